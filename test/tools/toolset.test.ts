import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toOpenAIFunction } from '../../src/schema/tool-convert.js';
import type { RejectedTool, RunTool } from '../../src/schema/trace.js';
import { openStore } from '../../src/store/index.js';
import { loadToolsetFile, loadToolsetFromRun } from '../../src/tools/toolset.js';
import { UTILITY_TOOLS } from '../../src/tools/utility.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { TASK_TOOL } from '../support/scripted-roles.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-toolset-'));
const write = (name: string, text: string): string => {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
};

describe('tool files', () => {
  it('reads all of Seal-Tools (JSONL templates): 4,076 tools, the two uncallable names renamed as carg renames them, types as JSON Schema', () => {
    const file = join(SHARED_DATASETS, 'tools/seal-tools/tool.jsonl');
    const set = loadToolsetFile(file);
    expect(set.tools).toHaveLength(4076);
    expect(set.skipped).toEqual([]);
    expect(set.renamed?.map((r) => [r.where.slice(file.length), r.note])).toEqual([
      [':158', 'api_name: renamed "requestFirst Aid Assistance" to "requestFirst_Aid_Assistance" (function names allow only letters, digits, _ and -)'],
      [expect.stringMatching(/^:\d+$/), expect.stringContaining('"getPM2.5Level" to "getPM2_5Level"')],
    ]);
    expect(new Set(set.tools.map((t) => t.api_name)).size).toBe(4076);
    expect(set.tools.find((t) => t.api_name === 'analyzeEvidence')?.parameters.evidence_type?.type).toBe('string'); // was "str"
  });

  it('reads the ToolEyes library (groups of OpenAI functions): field from the group, identical copies merged, a different tool of a taken name skipped', () => {
    const file = join(SHARED_DATASETS, 'tools/tooleyes_tool_library.json');
    const groups = (JSON.parse(readFileSync(file, 'utf8')) as { tools: { functions: { name: string }[] }[] }).tools;
    const names = new Set(groups.flatMap((g) => g.functions.map((f) => f.name)));
    const set = loadToolsetFile(file);
    expect(set.tools.map((t) => t.api_name).sort()).toEqual([...names].sort());
    expect(set.tools.find((t) => t.api_name === 'random_advice')).toMatchObject({ field: 'Advice/Advice_slip', responses: {} });
    const taken = set.skipped.filter((s) => s.reasons[0]!.includes('is already taken by a different tool at'));
    expect(taken.length).toBe(set.skipped.length);
    expect(taken[0]!.where).toMatch(/tooleyes_tool_library\.json#\/tools\/\d+\/functions\/\d+$/);
  });

  it('reads OpenAI function lists, {tools: [...]} and single tool objects', () => {
    const fns = [UTILITY_TOOLS.wiki_search!, UTILITY_TOOLS.calculator!].map(toOpenAIFunction);
    const list = loadToolsetFile(write('fns.json', JSON.stringify(fns)));
    expect(list.tools.map((t) => t.api_name)).toEqual(['wiki_search', 'calculator']);
    expect(list.tools[0]!.required).toEqual(['query']);
    expect(loadToolsetFile(write('wrapped.json', JSON.stringify({ tools: [TASK_TOOL] }))).tools[0]).toMatchObject({
      api_name: TASK_TOOL.api_name,
      responses: { value: { type: 'string' }, source: { type: 'string' } },
    });
    expect(loadToolsetFile(write('one.json', JSON.stringify(TASK_TOOL))).tools).toHaveLength(1);
    // a JSON-lines file of one tool is read as one, named by its line
    const oneLine = loadToolsetFile(write('one.jsonl', `${JSON.stringify({ ...TASK_TOOL, api_name: 'x y' })}\n`));
    expect(oneLine.renamed?.[0]?.where).toBe(`${tmp}/one.jsonl:1`);
  });

  it('reports what breaks a tool; bad JSON and missing files are errors naming the file (and line)', () => {
    const set = loadToolsetFile(
      write(
        'mixed.jsonl',
        [
          JSON.stringify(TASK_TOOL),
          JSON.stringify({ ...TASK_TOOL, api_name: 'x', required: ['nope'] }),
          '42',
          JSON.stringify({ type: 'function', function: { description: 'no name' } }),
        ].join('\n'),
      ),
    );
    expect(set.tools).toHaveLength(1);
    expect(set.skipped.map((s) => [s.where.replace(tmp, ''), s.reasons[0]])).toEqual([
      ['/mixed.jsonl:2', 'required: "nope" is not a parameter (parameters: entity, attribute)'],
      ['/mixed.jsonl:3', 'tool: expected a tool object, got 42'],
      ['/mixed.jsonl:4', expect.stringMatching(/^api_name: /)],
    ]);
    expect(() => loadToolsetFile(write('broken.jsonl', `${JSON.stringify(TASK_TOOL)}\n{"api_name": `))).toThrow(
      /broken\.jsonl:2: expected JSON, got invalid JSON/,
    );
    expect(() => loadToolsetFile(write('broken.json', '[{"api_name": 1},'))).toThrow(/broken\.json: expected a JSON list of tools, got invalid JSON/);
    expect(() => loadToolsetFile(join(tmp, 'absent.json'))).toThrow(/--toolset: expected an existing tool file/);
    expect(() => loadToolsetFile(join(SHARED_DATASETS, 'tools/seal-tools/field.jsonl'))).toThrow(
      /field\.jsonl: expected a tool file .*got a field taxonomy .*\(first entry: an object with Sports\)/,
    );
  });

  it('refuses what is no JSON Schema: an unknown type (was served as {}), a bad keyword value, a pattern RE2 cannot run', () => {
    const fn = (name: string, spec: Record<string, unknown>) => ({
      type: 'function',
      function: { name, description: 'd', parameters: { type: 'object', properties: { a: spec } } },
    });
    const file = write(
      'bad-types.json',
      JSON.stringify([
        fn('typo', { type: 'strng' }),
        fn('neg', { type: 'string', minLength: -1 }),
        fn('look', { type: 'string', pattern: '^(?=a)' }),
        fn('ok', { type: 'string', pattern: '^(a+)+$' }),
      ]),
    );
    const set = loadToolsetFile(file);
    expect(set.tools.map((t) => t.api_name)).toEqual(['ok']);
    expect(set.skipped.map((s) => `${s.where.replace(tmp, '')}: ${s.reasons.join('; ')}`)).toEqual([
      '/bad-types.json#/0: parameters.a.type: unknown type "strng"',
      '/bad-types.json#/1: parameters: invalid JSON Schema: /properties/a/minLength: must be >= 0',
      expect.stringMatching(
        /^\/bad-types\.json#\/2: parameters: invalid JSON Schema: \/properties\/a: pattern "\^\(\?=a\)": expected a regular expression a linear-time engine \(RE2\) accepts, got .*\(\?=/,
      ),
    ]);
  });
});

describe('--from-run DB[:RUN]', () => {
  async function store(name: string, runs: string[]): Promise<string> {
    const path = join(tmp, name);
    const st = await openStore(path, { create: true });
    const pieces = (tools: RunTool[], rejected: RejectedTool[] = []) => ({ tools, rejected, steps: [], calls: [] });
    for (const key of runs) {
      const runId = await st.runs.upsert(key, 'toy', {});
      await st.items.add(
        runId,
        ['a', 'b', 'c'].map((id) => ({ id, dataset: 'toy', question: `Q ${id}?`, answers: ['x'] })),
      );
      const wiki = { origin: 'utility' as const, tool: UTILITY_TOOLS.wiki_search! };
      const task = { origin: 'maker' as const, tool: { ...TASK_TOOL, required: ['entity'] } };
      const a = await st.traces.begin(runId, 'a');
      await st.traces.finish(a, pieces([wiki, task], [{ tool: { api_name: 'rejected_one' }, reasons: ['bad'], attempt: 0 }]), {
        stopReason: 'answer',
        answer: 'x',
      });
      const b = await st.traces.begin(runId, 'b'); // same names: wiki identical, the task tool different
      await st.traces.finish(b, pieces([wiki, { ...task, tool: { ...task.tool, api_description: 'Another design.' } }]), { stopReason: 'answer', answer: 'x' });
      const c = await st.traces.begin(runId, 'c'); // unfinished traces do not count
      await st.traces.fail(c, pieces([{ origin: 'maker', tool: { ...TASK_TOOL, api_name: 'unfinished_tool' } }]), { code: 'E_MODEL', message: 'x' });
    }
    await st.close();
    return path;
  }

  it("serves the accepted tools of a run's finished traces, merged by name", async () => {
    const path = await store('one.sqlite', ['run-1']);
    const set = await loadToolsetFromRun(path);
    expect(set.source).toBe(`${path}:run-1`);
    expect(set.tools.map((t) => t.api_name)).toEqual(['wiki_search', TASK_TOOL.api_name]);
    expect(set.skipped).toEqual([
      { where: expect.stringMatching(/run run-1: trace 2 \(b\)$/), reasons: [expect.stringMatching(/already taken by a different tool at .*trace 1 \(a\)/)] },
    ]);
    expect((await loadToolsetFromRun(`${path}:1`)).tools).toHaveLength(2);
    // every item of the run comes along, in run order, so sessions can be grounded by item id
    expect(set.items?.map((i) => i.id)).toEqual(['a', 'b', 'c']);
  });

  it('needs RUN when the store holds several runs, and names the runs it has', async () => {
    const path = await store('two.sqlite', ['run-1', 'run-2']);
    expect((await loadToolsetFromRun(`${path}:run-2`)).source).toBe(`${path}:run-2`);
    await expect(loadToolsetFromRun(path)).rejects.toThrow(/run: expected a run name \(the store holds several\), got none; runs: 1 \(run-1\), 2 \(run-2\)/);
    await expect(loadToolsetFromRun(`${path}:nope`)).rejects.toThrow(/got "nope"/);
    await expect(loadToolsetFromRun(join(tmp, 'absent.sqlite'))).rejects.toThrow(/--from-run: expected DB\[:RUN\] naming an existing store file/);
  });
});
