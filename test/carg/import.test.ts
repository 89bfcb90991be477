import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDuplicates } from '../../src/carg/dedup.js';
import { openAIEmbedder } from '../../src/carg/embed.js';
import { importTools } from '../../src/carg/repository.js';
import { openDb } from '../../src/store/db.js';
import { type CargRepository, openStore } from '../../src/store/index.js';
import { startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { sealTools } from '../support/seal-tools.js';
import { cargTestRoles, memoryCarg, startFakeEmbeddings, tempDir } from './helpers.js';

const TOOLS = join(SHARED_DATASETS, 'tools');
const tmp = tempDir('import');

describe('import: Seal-Tools tool.jsonl', () => {
  let summary: Awaited<ReturnType<typeof importTools>>;
  let db: CargRepository;
  beforeAll(async () => {
    db = await memoryCarg();
    summary = await importTools(db, [join(TOOLS, 'seal-tools/tool.jsonl')]);
  }, 60_000);

  it('keeps all 4,076 tools: none rejected, two renamed, near-duplicate names flagged not dropped', async () => {
    expect(summary.files).toEqual([{ file: join(TOOLS, 'seal-tools/tool.jsonl'), format: 'template', tools: 4076 }]);
    expect(summary).toMatchObject({ imported: 3970, duplicates: 106, rejected: 0, incomplete: 0, renamed: 2, by_reason: { near_duplicate: 106 } });
    const rows = await db.listTools();
    expect(rows).toHaveLength(4076);
    const renamed = rows.filter((r) => r.notes.some((n) => n.startsWith('api_name: renamed'))).map((r) => r.name);
    expect(renamed.sort()).toEqual(['getPM2_5Level', 'requestFirst_Aid_Assistance']);
    for (const r of rows.filter((r) => r.status === 'duplicate')) {
      expect(r.similarity).toBeGreaterThanOrEqual(0.8);
      expect(r.similarity).toBeLessThan(1);
      expect(rows.find((o) => o.id === r.duplicate_of)?.status).toBe('accepted');
    }
  });

  it('stores templates with JSON-Schema types and field/subfield split', async () => {
    const t = (await db.listTools()).find((r) => r.name === 'analyzeEvidence')!;
    expect(t).toMatchObject({ field: 'Chemical Engineering', subfield: 'Forensic engineering', status: 'accepted' });
    expect((t.template as any).parameters.evidence_type.type).toBe('string');
  });

  it('only exact names collide at threshold 1, so every Seal-Tools name is distinct', async () => {
    const hits = await findDuplicates(
      [],
      sealTools().map((t) => t.api_name),
      1,
    );
    expect(hits.filter(Boolean)).toEqual([]);
  });

  it('re-importing the same file changes nothing: every tool unchanged, no row added, no status moved', async () => {
    const before = await db.listTools();
    const again = await importTools(db, [join(TOOLS, 'seal-tools/tool.jsonl')]);
    expect(again).toMatchObject({ unchanged: 4076, imported: 0, incomplete: 0, rejected: 0, duplicates: 0 });
    expect(await db.listTools()).toEqual(before);
  }, 60_000);
});

describe('import: ToolEyes, ToolAlpaca, OpenAI and MCP lists', () => {
  it('ToolEyes: no responses or no description in the file → incomplete, not invented (servable, as serve tools serves them); repeated names deduped', async () => {
    const db = await memoryCarg();
    const s = await importTools(db, [join(TOOLS, 'tooleyes_tool_library.json')]);
    expect(s.files[0]).toMatchObject({ format: 'tooleyes', tools: 758 });
    expect(s).toMatchObject({ imported: 0, incomplete: 496, rejected: 0, duplicates: 262 });
    expect(s.by_reason).toEqual({ missing_responses: 758, missing_description: 13, duplicate_name: 226, near_duplicate: 36 });
    const incomplete = await db.listTools(['incomplete']);
    expect(incomplete.every((t) => Object.keys((t.template as any).responses).length === 0)).toBe(true);
    expect(s.problems.find((p) => p.name === 'baidu_search')?.reasons).toEqual([
      'api_description: missing in the source file (write one there and import again; --complete does not invent descriptions)',
      'responses: missing in the source file (run with --complete to have the model write them)',
    ]);
    expect(incomplete.find((t) => t.name === 'advice_by_id')).toMatchObject({
      field: 'Advice',
      subfield: 'Advice_slip',
      template: { field: 'Advice/Advice_slip' },
    });
  });

  it('ToolAlpaca: each OpenAPI operation is a tool; body fields without a description leave it incomplete, named by path', async () => {
    const db = await memoryCarg();
    const s = await importTools(db, [join(TOOLS, 'toolalpaca/eval_simulated.json')]);
    expect(s.files[0]).toMatchObject({ format: 'toolalpaca', tools: 54 });
    expect(s).toMatchObject({ imported: 49, rejected: 0, duplicates: 0, incomplete: 5, by_reason: { missing_description: 5 } });
    const search = (await db.listTools(['accepted'])).find((t) => t.name === 'searchAxolotlImages')!;
    expect(search.template).toMatchObject({
      parameters: { color: { type: 'string', enum: ['wild', 'leucistic', 'albino'] }, page: { type: 'integer' } },
      required: [],
    });
    expect(Object.keys((search.template as any).responses)).toEqual(['results', 'pagination']);
    expect(search.source).toMatch(/eval_simulated\.json#\/0\/Documentation#\/paths\/~1search\/get$/);
    expect(s.problems.find((p) => p.name === 'generateAvatar')?.reasons).toContain(
      'parameters.userId.description: missing in the source file (write one there and import again; --complete does not invent descriptions)',
    );
  });

  it('OpenAI function lists and MCP tools/list (with outputSchema) import; required must name a parameter', async () => {
    const openai = tmp.write('openai.json', [
      {
        type: 'function',
        function: {
          name: 'get_time',
          description: 'Current time in a zone.',
          parameters: { type: 'object', properties: { zone: { type: 'string', description: 'IANA zone' } }, required: ['zone'] },
        },
      },
      { name: 'bad_required', description: 'Broken.', parameters: { type: 'object', properties: {}, required: ['x'] } },
    ]);
    const mcp = tmp.write('mcp.json', {
      jsonrpc: '2.0',
      id: 1,
      result: {
        tools: [
          {
            name: 'add',
            description: 'Adds two numbers.',
            inputSchema: {
              type: 'object',
              properties: { a: { type: 'number', description: 'first' }, b: { type: 'number', description: 'second' } },
              required: ['a', 'b'],
            },
            outputSchema: { type: 'object', properties: { sum: { type: 'number', description: 'a + b' } } },
          },
          { name: 'echo', description: 'Echoes text.', inputSchema: { type: 'object', properties: { text: { type: 'string', description: 'text' } } } },
        ],
      },
    });
    const db = await memoryCarg();
    const s = await importTools(db, [openai, mcp]);
    expect(s.files.map((f) => f.format)).toEqual(['openai', 'mcp']);
    expect(s).toMatchObject({ imported: 1, incomplete: 2, rejected: 1, by_reason: { required_not_a_parameter: 1, missing_responses: 3 } });
    expect((await db.listTools(['accepted'])).map((t) => t.name)).toEqual(['add']);
  });

  it('a file that is no tool file or has a bad JSON line is listed with why (file and line); the good files of the same import are imported', async () => {
    const db = await memoryCarg();
    const good = tmp.write('good.json', [sealTools()[0]]);
    const s = await importTools(db, [tmp.write('x.json', { hello: 1 }), good, tmp.write('y.jsonl', '{"api_name":"a"}\n{oops\n')]);
    expect(s.failed).toEqual([
      {
        file: expect.stringMatching(/x\.json$/),
        error: expect.stringMatching(/x\.json: expected a tool file .*got no named tool in it \(first entry: an object with hello\)$/),
      },
      { file: expect.stringMatching(/y\.jsonl$/), error: expect.stringMatching(/y\.jsonl:2: expected JSON, got invalid JSON/) },
    ]);
    expect(s).toMatchObject({ files: [{ file: good, tools: 1 }], imported: 1 });
  });

  it('a JSON-lines file holding one tool is read (as serve tools reads it), named by its line', async () => {
    const db = await memoryCarg();
    const file = tmp.write('one.jsonl', `${JSON.stringify(sealTools()[0])}\n`);
    const s = await importTools(db, [file]);
    expect(s).toMatchObject({ files: [{ format: 'template', tools: 1 }], imported: 1 });
    expect((await db.listTools())[0]!.source).toBe(`${file}:1`);
  });

  it('an unknown type is refused with the same file:line: field message serve tools gives', async () => {
    const db = await memoryCarg();
    const file = tmp.write('strng.json', [
      { type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object', properties: { a: { type: 'strng', description: 'a' } } } } },
    ]);
    const s = await importTools(db, [file]);
    expect(s.problems.map((p) => `${p.source}: ${p.reasons[0]}`)).toEqual([`${file}#/0: parameters.a.type: unknown type "strng"`]);
  });
});

describe('import: dedup and --complete through real HTTP', () => {
  const seal = sealTools().slice(0, 40);
  const planted = [
    { ...seal[3]!, api_name: `${seal[3]!.api_name}s` },
    { ...seal[7]!, api_name: seal[7]!.api_name.replace(/([A-Z])/g, '_$1').toLowerCase() },
    { ...seal[11]!, api_name: `${seal[11]!.api_name}Info` },
  ];

  it('planted near-duplicates are flagged with the tool they repeat (offline vectoriser)', async () => {
    const db = await memoryCarg();
    const s = await importTools(db, [tmp.write('seal40.json', [...seal, ...planted])]);
    expect(s).toMatchObject({ imported: 40, duplicates: 3 });
    const rows = await db.listTools();
    const dups = rows.filter((r) => r.status === 'duplicate').map((r) => [r.name, rows.find((o) => o.id === r.duplicate_of)!.name]);
    expect(dups).toEqual(planted.map((p, i) => [p.api_name, seal[[3, 7, 11][i]!]!.api_name]));
  });

  let emb: Awaited<ReturnType<typeof startFakeEmbeddings>>;
  beforeAll(async () => (emb = await startFakeEmbeddings()));
  afterAll(() => emb.close());

  it('uses /v1/embeddings when configured, batched, in input order', async () => {
    const db = await memoryCarg();
    const file = tmp.write('pair.json', [seal[0]!, { ...seal[0]!, api_name: 'EvidenceAnalyze' }, seal[1]!]);
    const s = await importTools(db, [file], { embedder: openAIEmbedder({ baseUrl: emb.url, model: 'fake-embed', batchSize: 2 }), threshold: 0.99 });
    expect(emb.inputs).toEqual([[seal[0]!.api_name, 'EvidenceAnalyze'], [seal[1]!.api_name]]);
    expect(s).toMatchObject({ imported: 2, duplicates: 1 });
  });

  it('--complete: the model writes missing responses (stored with its calls); a bad answer leaves the tool incomplete', async () => {
    const server = await startFakeOpenAI({
      respond: (req) => {
        const tool = String(req.messages.at(-1)?.content ?? '');
        if (tool.includes('"api_name": "lookup_zip"'))
          return { content: JSON.stringify({ parameter_types: {}, responses: { city: { type: 'string', description: 'City of the ZIP code' } } }) };
        return { content: 'no idea' };
      },
    });
    try {
      const completer = (await cargTestRoles(['maker'], { baseUrl: server.url, model: 'fake-model', maxRetries: 0 }, 2)).roles.maker;
      const file = tmp.write('incomplete.json', [
        {
          name: 'lookup_zip',
          description: 'City for a ZIP code.',
          parameters: { type: 'object', properties: { zip: { type: 'string', description: 'ZIP' } }, required: ['zip'] },
        },
        { name: 'mystery', description: 'Does something.', parameters: { type: 'object', properties: {} } },
      ]);
      const storeFile = join(tmp.dir, 'complete.sqlite');
      const store = await openStore(storeFile, { create: true });
      const db = store.carg;
      const s = await importTools(db, [file], { completer });
      expect(s).toMatchObject({ imported: 1, incomplete: 1, completed: 1 });
      const zip = (await db.listTools(['accepted']))[0]!;
      expect(zip.template).toMatchObject({ responses: { city: { type: 'string' } } });
      expect(zip.notes[0]).toMatch(/^completed by model fake-model: responses/);
      const raw = openDb(storeFile); // the stored calls, which the repository does not read back
      const stored = raw.prepare('SELECT calls FROM carg_tools WHERE name = ?').get('mystery') as { calls: string };
      raw.close();
      expect(JSON.parse(stored.calls)).toHaveLength(2);
      expect(JSON.parse(stored.calls)[0]).toMatchObject({ role: 'maker', prompt_file: 'carg-complete.md', ok: false });
      // importing the same file again changes nothing, the completed tool included; an edited tool is new
      const before = await db.listTools();
      const again = await importTools(db, [file]);
      expect(again).toMatchObject({ unchanged: 2, imported: 0, incomplete: 0, duplicates: 0 });
      expect(await db.listTools()).toEqual(before);
      const edited = tmp.write('incomplete.json', [
        {
          name: 'lookup_zip',
          description: 'City and state for a ZIP code.',
          parameters: { type: 'object', properties: { zip: { type: 'string', description: 'ZIP' } }, required: ['zip'] },
        },
        { name: 'mystery', description: 'Does something else.', parameters: { type: 'object', properties: {} } },
      ]);
      // the completed lookup_zip stays as completed (same place and name); the edited mystery is new, a duplicate of the stored one
      expect(await importTools(db, [edited])).toMatchObject({ unchanged: 1, duplicates: 1, by_reason: { duplicate_name: 1 } });
      await store.close();
    } finally {
      await server.close();
    }
  });
});

describe('import: the tools of a ToolMaker run', () => {
  it('reads accepted maker tools from an mtr run store (read-only), skipping utility and rejected ones', async () => {
    const runDb = join(tmp.dir, 'run.sqlite');
    const run = openDb(runDb);
    const seal = sealTools();
    run.exec(`INSERT INTO runs (key, dataset, config) VALUES ('r', 'bamboogle', '{}');
      INSERT INTO items (run_id, item_id, ord, dataset, question, answers) VALUES (1, 'q1', 0, 'bamboogle', 'Who?', '["x"]');
      INSERT INTO traces (run_id, item_id, status) VALUES (1, 'q1', 'finished');`);
    const add = run.prepare('INSERT INTO tools (trace_id, name, origin, accepted, schema) VALUES (1, ?, ?, ?, ?)');
    add.run(seal[0]!.api_name, 'maker', 1, JSON.stringify(seal[0]));
    add.run(seal[1]!.api_name, 'maker', 0, JSON.stringify(seal[1]));
    add.run('wiki_search', 'utility', 1, JSON.stringify({ ...seal[2], api_name: 'wiki_search' }));
    run.close();
    const db = await memoryCarg();
    const s = await importTools(db, [runDb]);
    expect(s.files[0]).toMatchObject({ format: 'mtr-run', tools: 1 });
    expect(await db.listTools(['accepted'])).toMatchObject([{ name: seal[0]!.api_name, source: `${runDb}#tools/1` }]);
  });
});
