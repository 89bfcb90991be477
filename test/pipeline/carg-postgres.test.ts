import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeEmbeddings, tempDir } from '../carg/helpers.js';
import { scriptedCarg } from '../carg/scripted-carg.js';
import type { CargToolRow, FieldRow } from '../../src/schema/carg.js';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../support/cli.js';
import { type FakeReply, type FakeRequest, type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { freshPgDatabase, pgExec } from '../support/postgres.js';
import { sealTools } from '../support/seal-tools.js';

/** `carg tools expand`'s model: two new fields per round, two subfields per field, per pair one good tool and one broken (required, no parameter). */
const taxonomyWriter = (req: FakeRequest): FakeReply => {
  const name = req.response_format?.json_schema?.name;
  if (name === 'carg_expand_fields') return { content: JSON.stringify({ fields: ['Astronomy', 'sports', 'Cooking'] }) };
  if (name === 'carg_expand_subfields') return { content: JSON.stringify({ subfields: ['Basics', 'Advanced'] }) };
  const sub = /subfield "([^"]+)"/.exec(req.messages.map((m: { content: string }) => m.content).join('\n'))![1]!;
  const slug = sub.replace(/\W/g, '');
  const good = { api_name: `get${slug}Report`, api_description: `Report on ${sub}.`, parameters: { id: { type: 'string', description: 'Record id' } } };
  return {
    content: JSON.stringify({
      tools: [
        { ...good, required: ['id'], responses: { report: { type: 'string', description: 'The report' } } },
        { api_name: `broken${slug}`, api_description: 'Broken.', parameters: {}, required: ['x'], responses: { ok: { type: 'boolean', description: 'ok' } } },
      ],
    }),
  };
};

/** The CARG stages on a PostgreSQL store, as users run them, against the same stages on SQLite with the same scripted answers. */
const tmp = tempDir('carg-pg');
const tools = sealTools().slice(10, 14);
let server: FakeServer;
beforeAll(async () => {
  server = await startFakeOpenAI({ respond: scriptedCarg(tools) });
});
afterAll(() => server.close());

const ok = async (args: string[]) => {
  const r = await runCli(args);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
};

describe('carg on PostgreSQL', () => {
  it('tools import → single → multi → errors → export → eval → audit: the same summaries and byte-identical files as on SQLite', async () => {
    const file = tmp.write('four.json', tools);
    const model = ['--base-url', server.url, '--model', 'fake-model', '--retries', '0', '--concurrency', '1'];
    const stores = { sqlite: join(tmp.dir, 'carg.sqlite'), postgres: await freshPgDatabase('carg') };
    // a stage that needs imported tools refuses an empty database as it refuses a missing file
    const early = await runCli(['carg', 'single', '--db', stores.postgres, ...model]);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain(`${stores.postgres}: no such store (import tools first`);

    const outputs: Record<string, string[]> = {};
    for (const [name, db] of Object.entries(stores)) {
      outputs[name] = [
        await ok(['carg', 'tools', 'import', file, '--db', db, '--json']),
        await ok(['carg', 'single', '--db', db, '--count', '2', '--json', ...model]),
        await ok(['carg', 'multi', '--db', db, '--turns', '2', '--tau', '0', '--group-size', '2', '--json', ...model]),
        await ok(['carg', 'errors', '--db', db, '--json', ...model]),
        await ok(['carg', 'export', '--db', db, '--out', join(tmp.dir, name, 'sft'), '--holdout', '0', '--val-ratio', '0.3', '--json']),
        await ok(['carg', 'eval', '--db', db, '--holdout', '1', '--per-tool', '1', '--json', ...model]),
        await ok(['carg', 'audit', '--db', db, '--min-reliability', '1', '--out', join(tmp.dir, name, 'reliable.json'), '--json', ...model]),
      ].map((s) => s.replaceAll(join(tmp.dir, name), 'OUT'));
    }
    expect(outputs.postgres).toEqual(outputs.sqlite);
    const [single, , errors, , evaluated, audit] = outputs.postgres!.slice(1).map((s) => JSON.parse(s));
    expect(single).toMatchObject({ job: 'single', done: 4 });
    expect(errors).toMatchObject({ done: 4, failed: 0 });
    expect(evaluated).toMatchObject({
      done: 4,
      table: [
        { scenario: 'error', cases: 4 },
        { scenario: 'multi', cases: 4 },
        { scenario: 'single', cases: 4 },
        { scenario: 'All', cases: 12 },
      ],
    });
    expect(audit).toMatchObject({ done: 4, kept: 1, reliability: { [tools[0]!.api_name]: 1 } });
    expect(readFileSync(join(tmp.dir, 'postgres', 'reliable.json'), 'utf8')).toBe(readFileSync(join(tmp.dir, 'sqlite', 'reliable.json'), 'utf8'));
    const files = readdirSync(join(tmp.dir, 'sqlite', 'sft')).filter((f) => f !== 'manifest.json');
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(join(tmp.dir, 'postgres', 'sft', f)).equals(readFileSync(join(tmp.dir, 'sqlite', 'sft', f))), f).toBe(true);
    expect(await pgExec(stores.postgres, `SELECT COUNT(*)::int AS n FROM carg_tools WHERE status = 'accepted'`)).toEqual([{ n: 4 }]);
  });

  it('tools expand (dedup on the embedding server) and its resumed re-run: the same summaries, fields and tools as on SQLite', async () => {
    const writer = await startFakeOpenAI({ respond: taxonomyWriter });
    const embeddings = await startFakeEmbeddings();
    try {
      const seed = tmp.write('seed.jsonl', '{"Sports": ["Tennis"]}\n{"Finance": ["Banking", "Insurance"]}\n');
      const flags = [
        ...['--seed-fields', seed, ...'--field-rounds 1 --fields-per-round 3 --subfields 2 --tools-per 2 --pairs 4 --seed 1'.split(' ')],
        ...['--embed-base-url', embeddings.url, '--embed-model', 'fake-embed', '--base-url', writer.url, '--model', 'fake-model', '--retries', '0', '--json'],
      ];
      const stores = { sqlite: join(tmp.dir, 'expand.sqlite'), postgres: await freshPgDatabase('carg_expand') };
      const outputs: Record<string, unknown[]> = {};
      for (const [name, db] of Object.entries(stores)) {
        const first = JSON.parse(await ok(['carg', 'tools', 'expand', '--db', db, ...flags]));
        const again = JSON.parse(await ok(['carg', 'tools', 'expand', '--db', db, ...flags]));
        const store = await openStore(db);
        outputs[name] = [first, again, await store.carg.listFields(), await store.carg.listTools()];
        await store.close();
      }
      expect(outputs.postgres).toEqual(outputs.sqlite);
      const [first, again, fields, rows] = outputs.postgres as [object, object, FieldRow[], CargToolRow[]];
      // letter-count embeddings put every get…Report near the first one: near duplicates, their similarities compared above
      expect(first).toMatchObject({ new_fields: 2, new_subfields: 4, pairs: 4, imported: 1, rejected: 4, duplicates: 3 });
      expect(again).toMatchObject({ new_fields: 0, new_subfields: 0, pairs: 3, imported: 1, duplicates: 2 }); // the pairs left, no new rounds
      expect(fields.every((f) => f.subfield === '' || f.tools_done)).toBe(true);
      expect(rows.filter((r) => r.status === 'duplicate').every((r) => r.duplicate_of !== null && r.similarity! >= 0.8)).toBe(true);
      expect(rows.filter((r) => r.status === 'accepted').map((r) => r.name)).toEqual(['getTennisReport', 'getAdvancedReport']);
      expect(embeddings.inputs.flat()).toContain('getTennisReport'); // dedup asked the embedding server
    } finally {
      await writer.close();
      await embeddings.close();
    }
  });
});
