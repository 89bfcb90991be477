import { existsSync, mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { NewCargTool } from '../../src/schema/carg.js';
import type { DatasetItem } from '../../src/schema/item.js';
import type { ModelCall } from '../../src/schema/model-call.js';
import type { ActorCacheEntry, RunTool, Step } from '../../src/schema/trace.js';
import type { Verdict } from '../../src/schema/verdict.js';
import { openStore, type Store, storeExists, TraceDraft } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { freshPgDatabase, pgExec } from '../support/postgres.js';
import { closedPort } from '../support/store.js';

/**
 * The Store interface, written once and run against every backend in BACKENDS: SQLite, and PostgreSQL on the
 * suite's throwaway server (a fresh database per store). A backend gives a fresh store and a raw-SQL hook,
 * used only to corrupt a row on purpose.
 */
interface Backend {
  name: string;
  fresh(): Promise<{ store: Store; sql(statement: string): Promise<void> }>;
}

const tmp = mkdtempSync(join(tmpdir(), 'mtr-store-if-'));
let n = 0;
const BACKENDS: Backend[] = [
  {
    name: 'sqlite',
    fresh: async () => {
      const path = join(tmp, `s${n++}.sqlite`);
      const store = await openStore(path, { create: true });
      return {
        store,
        sql: async (statement) => {
          const raw = new Database(path);
          try {
            raw.exec(statement);
          } finally {
            raw.close();
          }
        },
      };
    },
  },
  {
    name: 'postgres',
    fresh: async () => {
      const url = await freshPgDatabase('iface');
      return { store: await openStore(url, { create: true }), sql: async (statement) => void (await pgExec(url, statement)) };
    },
  },
];

const items: DatasetItem[] = ['a', 'b', 'c'].map((id) => ({
  id,
  dataset: 'toy',
  question: `Question ${id}?`,
  answers: [`answer ${id}`],
  context: [{ title: id, text: `about ${id}`, supporting: true }],
}));
const tool: RunTool = {
  origin: 'maker',
  tool: {
    api_name: 'lookup',
    api_description: 'Looks a thing up.',
    parameters: { q: { type: 'string' } },
    required: ['q'],
    responses: { text: { type: 'string' } },
  },
};
const call = (role: ModelCall['role'], tokens: number, extra: Partial<ModelCall> = {}): ModelCall => ({
  role,
  model: 'm1',
  prompt_file: `${role}.md`,
  prompt_hash: `h-${role}`,
  params: { temperature: 0 },
  tokens_in: tokens,
  tokens_out: 1,
  latency_ms: 5,
  attempt: 1,
  ok: true,
  ...extra,
});
const steps: Step[] = [
  {
    index: 0,
    think: 'look it up',
    call: { name: 'lookup', arguments: { q: 'a' } },
    observation: { content: { text: 'A is answer a' }, source: 'simulated' },
    raw: '<tool_call>…',
  },
  { index: 1, think: 'done', answer: 'answer a', raw: '<answer>answer a</answer>' },
];

/** A draft as the graph fills it: ToolMaker's tools, the agent's steps, every model call. */
function draft(id: number): TraceDraft {
  const d = new TraceDraft(id);
  d.sink.tools([tool], [{ tool: { api_name: 'bad' }, reasons: ['no description'], attempt: 1 }], { domain: 'trivia', reasoning_type: 'lookup', hops: 1 });
  d.sink.call(call('maker', 10));
  for (const s of steps) d.sink.step(s);
  d.sink.call(call('agent', 20));
  d.sink.call(call('actor', 30, { ok: false, error: 'bad json', raw: '{' }));
  return d;
}

async function seeded(b: Backend) {
  const { store, sql } = await b.fresh();
  const runId = await store.runs.upsert('run-1', 'toy', { k: 1 });
  await store.items.add(runId, items);
  return { store, sql, runId };
}

const storeError = (table: string, row: string | number, field: string) =>
  expect.objectContaining({ code: 'E_STORE', message: expect.stringContaining(`${table} row ${row}: ${field}: `), details: { table, row, field } });

describe.each(BACKENDS)('Store ($name)', (backend) => {
  it('runs: upsert finds the same run by key and keeps the latest config; rename; list parses each run', async () => {
    const { store } = await backend.fresh();
    const id = await store.runs.upsert('r', 'toy', { a: 1 });
    expect(await store.runs.upsert('r', 'toy', { a: 2 })).toBe(id);
    const other = await store.runs.upsert('s', 'hotpotqa', {});
    await store.runs.rename(other, 's2');
    expect(await store.runs.list()).toEqual([
      { id, key: 'r', dataset: 'toy', config: { a: 2 } },
      { id: other, key: 's2', dataset: 'hotpotqa', config: {} },
    ]);
    await store.close();
  });

  it('runs: one live process owns a run; a dead owner is taken over', async () => {
    const { store, sql, runId } = await seeded(backend);
    await store.runs.claim(runId, process.pid);
    await expect(store.runs.claim(runId, process.ppid)).rejects.toMatchObject({
      code: 'E_STORE',
      message: expect.stringMatching(/being generated by process/),
    });
    await store.runs.release(runId, process.pid);
    await store.runs.claim(runId, process.ppid);
    await store.runs.release(runId, process.ppid);
    await sql(`UPDATE runs SET owner_pid = ${2 ** 22 + 12345} WHERE id = ${runId}`); // no such process
    await expect(store.runs.claim(runId, process.pid)).resolves.toBeUndefined();
    await store.close();
  });

  it('items: added in order, kept on re-add, read back whole; pending ones are those with no finished trace', async () => {
    const { store, runId } = await seeded(backend);
    await store.items.add(runId, [
      { ...items[0]!, question: 'changed?' },
      { id: 'd', dataset: 'toy', question: 'Question d?', answers: ['d'] },
    ]);
    expect(await store.items.list(runId)).toEqual([...items, { id: 'd', dataset: 'toy', question: 'Question d?', answers: ['d'] }]);
    const t = await store.traces.begin(runId, 'b');
    await store.traces.finish(t, draft(t), { stopReason: 'answer', answer: 'answer b' });
    expect((await store.items.pending(runId)).map((i) => i.id)).toEqual(['a', 'c', 'd']);
    expect((await store.items.pending(runId, ['d', 'b', 'a'])).map((i) => i.id)).toEqual(['a', 'd']);
    await store.close();
  });

  it('traces: a finished trace reads back as written — tools, rejected tools, classification, steps, model calls', async () => {
    const { store, runId } = await seeded(backend);
    const id = await store.traces.begin(runId, 'a');
    expect(await store.traces.get(id)).toMatchObject({ status: 'running', steps: [], tools: [] });
    await store.traces.finish(id, draft(id), { stopReason: 'answer', answer: 'answer a' });
    const trace = await store.traces.get(id);
    expect(trace).toEqual({
      id,
      run_id: runId,
      item_id: 'a',
      status: 'finished',
      stop_reason: 'answer',
      answer: 'answer a',
      error: null,
      classification: { domain: 'trivia', reasoning_type: 'lookup', hops: 1 },
      tools: [tool],
      rejected_tools: [{ tool: { api_name: 'bad' }, reasons: ['no description'], attempt: 1 }],
      steps,
    });
    expect(await store.traces.list(runId)).toEqual([trace]);
    expect(await store.modelCalls.list(id)).toEqual([call('maker', 10), call('agent', 20), call('actor', 30, { ok: false, error: 'bad json', raw: '{' })]);
    expect(await store.traces.finishedItemIds('run-1', ['a', 'b'])).toEqual(new Set(['a']));
    expect(await store.traces.finishedItemIds('no-such-run', ['a'])).toEqual(new Set());
    expect(await store.traces.get(id + 100)).toBeUndefined();
    await store.close();
  });

  it('traces: one finished trace per item — a second is refused and nothing of it is written', async () => {
    const { store, runId } = await seeded(backend);
    const first = await store.traces.begin(runId, 'a');
    await store.traces.finish(first, draft(first), { stopReason: 'answer', answer: 'answer a' });
    const second = await store.traces.begin(runId, 'a');
    await expect(store.traces.finish(second, draft(second), { stopReason: 'answer', answer: 'again' })).rejects.toMatchObject({
      code: 'E_STORE',
      message: expect.stringMatching(/UNIQUE/),
    });
    expect(await store.traces.get(second)).toMatchObject({ status: 'running', steps: [], tools: [], classification: null });
    expect(await store.modelCalls.list(second)).toEqual([]);
    expect(await store.runs.status(runId)).toMatchObject({ traces_finished: 1, duplicates: 0 });
    await store.close();
  });

  it('traces: a trace is finished in one transaction — a crash mid-trace or a write failing half way leaves nothing finished', async () => {
    const { store, runId } = await seeded(backend);
    // crash mid-trace: the graph ran, the process died before finish — only the running row exists
    const crashed = await store.traces.begin(runId, 'a');
    draft(crashed);
    // a write failing half way: the second step repeats an index (primary key), after the tools and the first step were written
    const broken = await store.traces.begin(runId, 'b');
    const d = draft(broken);
    d.sink.step({ ...steps[0]!, index: 1 });
    await expect(store.traces.finish(broken, d, { stopReason: 'answer', answer: 'x' })).rejects.toMatchObject({ code: 'E_STORE' });
    for (const id of [crashed, broken]) {
      expect(await store.traces.get(id)).toMatchObject({ status: 'running', answer: null, steps: [], tools: [], rejected_tools: [] });
      expect(await store.modelCalls.list(id)).toEqual([]);
    }
    expect(await store.runs.status(runId)).toMatchObject({ traces_finished: 0, traces_running: 2, steps: 0, model_calls: 0 });
    expect(await store.traces.dropUnfinished(runId)).toBe(2);
    expect(await store.traces.list(runId)).toEqual([]);
    expect((await store.items.pending(runId)).map((i) => i.id)).toEqual(['a', 'b', 'c']);
    await store.close();
  });

  it('traces: a failed trace keeps its pieces and error; ending a trace that is not running is refused', async () => {
    const { store, runId } = await seeded(backend);
    const id = await store.traces.begin(runId, 'c');
    await store.traces.fail(id, draft(id), { code: 'E_MODEL', message: 'model said no' });
    expect(await store.traces.get(id)).toMatchObject({ status: 'failed', error: 'model said no', steps, tools: [tool] });
    expect(await store.runs.failedAttempts(runId)).toEqual(new Map([['c', { attempts: 1, code: 'E_MODEL' }]]));
    expect(await store.runs.status(runId)).toMatchObject({
      traces_failed: 1,
      failures_by_code: { E_MODEL: { items: 1, attempts: 1 } },
      model_calls: 3,
      model_calls_failed: 1,
    });
    await expect(store.traces.finish(id, draft(id), { stopReason: 'answer' })).rejects.toMatchObject({
      code: 'E_STORE',
      message: expect.stringMatching(/expected a running trace, got a failed one/),
    });
    expect(await store.modelCalls.list(id)).toHaveLength(3); // the refused finish wrote nothing
    await store.close();
  });

  it('runs: status totals, tools of finished traces (one run or all, by origin), provenance of the calls', async () => {
    const { store, runId } = await seeded(backend);
    const a = await store.traces.begin(runId, 'a');
    await store.traces.finish(a, draft(a), { stopReason: 'answer', answer: 'answer a' });
    const b = await store.traces.begin(runId, 'b');
    await store.traces.fail(b, draft(b), { code: 'E_MODEL', message: 'x' });
    expect(await store.runs.status()).toMatchObject({
      runs: 1,
      items_total: 3,
      items_pending: 2,
      traces_finished: 1,
      traces_failed: 1,
      steps: 2,
      tool_calls: 1,
      answers: 1,
      tools_accepted: 1,
      tools_rejected: 1,
      model_calls: 6,
      tokens_in: 120,
    });
    expect(await store.runs.tools({ runId, finishedOnly: true })).toEqual([
      { id: expect.any(Number), run_id: runId, trace_id: a, item_id: 'a', name: 'lookup', origin: 'maker', tool: tool.tool },
    ]);
    expect((await store.runs.tools({ origin: 'maker' })).map((t) => t.trace_id)).toEqual([a, b]);
    expect(await store.runs.tools({ origin: 'utility' })).toEqual([]);
    expect(await store.modelCalls.provenance(runId)).toEqual([
      { role: 'actor', model: 'm1', prompt_file: 'actor.md', prompt_hash: 'h-actor', calls: 2 },
      { role: 'agent', model: 'm1', prompt_file: 'agent.md', prompt_hash: 'h-agent', calls: 2 },
      { role: 'maker', model: 'm1', prompt_file: 'maker.md', prompt_hash: 'h-maker', calls: 2 },
    ]);
    await store.close();
  });

  it('verdicts: a batch is one transaction; the same config replaces; traces with verdicts are no longer unvalidated', async () => {
    const { store, runId } = await seeded(backend);
    const a = await store.traces.begin(runId, 'a');
    await store.traces.finish(a, draft(a), { stopReason: 'answer', answer: 'answer a' });
    const b = await store.traces.begin(runId, 'b');
    await store.traces.fail(b, draft(b), { code: 'E_MODEL', message: 'x' });
    await store.traces.begin(runId, 'c'); // running: waits
    expect(await store.verdicts.unvalidated(runId, 'h1')).toEqual([a, b]);
    const batch: Verdict[] = [
      { trace_id: a, check: 'grammar', result: { pass: true } },
      { trace_id: b, check: 'finished', result: { pass: false, reason: 'not_finished', details: { status: 'failed' } } },
    ];
    await store.verdicts.write('h1', batch);
    await store.verdicts.write('h1', [{ trace_id: a, check: 'grammar', result: { pass: false, reason: 'malformed', details: { at: 3 } } }]);
    expect(await store.verdicts.list(runId, 'h1')).toEqual([
      { trace_id: a, check: 'grammar', result: { pass: false, reason: 'malformed', details: { at: 3 } } },
      batch[1],
    ]);
    expect(await store.verdicts.unvalidated(runId, 'h1')).toEqual([]);
    expect(await store.verdicts.unvalidated(runId, 'h2')).toEqual([a, b]);
    // a batch with one verdict the store refuses (no such trace) writes none of them
    await expect(
      store.verdicts.write('h2', [
        { trace_id: a, check: 'grammar', result: { pass: true } },
        { trace_id: 9999, check: 'grammar', result: { pass: true } },
      ]),
    ).rejects.toMatchObject({ code: 'E_STORE' });
    expect(await store.verdicts.list(runId, 'h2')).toEqual([]);
    await store.close();
  });

  it('actorCache: the first observation under a key wins; a get counts a hit', async () => {
    const { store } = await backend.fresh();
    const entry = (text: string): ActorCacheEntry => ({
      key: 'k1',
      tool: 'lookup',
      arguments: '{"q":"a"}',
      grounding: 'none:useful:-',
      observation: { content: { text }, source: 'simulated', cache_key: 'k1' },
      model: 'm1',
      prompt_hash: 'p',
    });
    expect(await store.actorCache.get('k1')).toBeUndefined();
    await store.actorCache.put(entry('first'));
    await store.actorCache.put(entry('second'));
    expect(await store.actorCache.get('k1')).toEqual(entry('first').observation);
    expect(await store.actorCache.stats()).toEqual({ entries: 1, hits: 1 });
    await store.close();
  });

  it('carg: tools (batch duplicates, update appends calls), samples and job rows, failures, eval cases, job stats, fields', async () => {
    const { store } = await backend.fresh();
    const t = (name: string, extra: Partial<NewCargTool> = {}): NewCargTool => ({
      name,
      source: 'f.json:1',
      template: { api_name: name, api_description: 'd', parameters: {} },
      status: 'accepted',
      reasons: [],
      notes: [],
      ...extra,
    });
    const [x, y, z] = await store.carg.insertTools([
      t('x', { field: 'Weather', calls: [call('maker', 1)] }),
      t('y', { status: 'incomplete', reasons: ['no responses'] }),
      t('x', { status: 'duplicate', duplicateOf: { batch: 0 }, similarity: 0.97 }),
    ]);
    await store.carg.updateTool(y!, {
      template: { api_name: 'y', api_description: 'd', parameters: {}, responses: {} },
      status: 'accepted',
      reasons: [],
      notes: ['completed'],
      calls: [call('maker', 2)],
    });
    expect(await store.carg.listTools(['accepted'])).toEqual([
      {
        id: x,
        name: 'x',
        field: 'Weather',
        subfield: null,
        source: 'f.json:1',
        template: { api_name: 'x', api_description: 'd', parameters: {} },
        status: 'accepted',
        reasons: [],
        notes: [],
        duplicate_of: null,
        similarity: null,
      },
      expect.objectContaining({ id: y, notes: ['completed'], template: { api_name: 'y', api_description: 'd', parameters: {}, responses: {} } }),
    ]);
    expect((await store.carg.listTools()).find((r) => r.id === z)).toMatchObject({ status: 'duplicate', duplicate_of: x, similarity: 0.97 });

    await store.carg.saveFailure('single:j', x!, { code: 'E_MODEL', error: 'timeout' });
    expect(await store.carg.listFailures('single:j')).toEqual([{ tool_id: x, code: 'E_MODEL', error: 'timeout' }]);
    const verdicts = { format: { pass: true, reason: 'ok' }, logic: { pass: true, reason: 'ok' }, message: null };
    await store.carg.saveJob('single:j', x!, { rounds: 1, pass_rates: [1] }, [
      { kind: 'single', round: 0, input: { q: 1 }, output: { a: 2 }, verdicts, accepted: true, calls: [call('judge', 3)] },
      {
        kind: 'multi',
        toolId: y!,
        round: 0,
        input: { q: 2 },
        output: { a: 3 },
        history: [{ name: 'x' }],
        context: { group: ['x', 'y'] },
        verdicts,
        accepted: false,
      },
    ]);
    expect(await store.carg.listFailures('single:j')).toEqual([]); // finishing the tool clears its failure
    expect(await store.carg.finishedTools('single:j')).toEqual(new Set([x]));
    expect(await store.carg.countSamples()).toBe(2);
    expect(await store.carg.countSamples({ acceptedOnly: true })).toBe(1);
    expect(await store.carg.listSamples({ kinds: ['multi'] })).toEqual([
      {
        id: expect.any(Number),
        tool_id: y,
        kind: 'multi',
        job: 'single:j',
        error_type: null,
        round: 0,
        input: { q: 2 },
        output: { a: 3 },
        history: [{ name: 'x' }],
        context: { group: ['x', 'y'] },
        verdicts,
        accepted: false,
      },
    ]);
    expect((await store.carg.listSamples({ toolId: x! })).map((s) => s.kind)).toEqual(['single']);

    await store.carg.saveEvalCases('audit:m', 'sim', x!, [{ scenario: 'normal', input: { q: 1 }, output: { a: 1 }, scores: { correct: 1, schema: null } }], {
      reliability: 1,
      cases: 1,
    });
    expect(await store.carg.listEvalCases('audit:m')).toEqual([
      { tool_id: x, scenario: 'normal', input: { q: 1 }, output: { a: 1 }, scores: { correct: 1, schema: null } },
    ]);
    expect(await store.carg.jobStats('audit:m')).toEqual(new Map([[x, { reliability: 1, cases: 1 }]]));
    expect(await store.carg.jobStats('single:j')).toEqual(new Map([[x, { rounds: 1, pass_rates: [1] }]]));

    expect(
      await store.carg.addFields([
        { field: 'Weather', origin: 'seed' },
        { field: 'Weather', subfield: 'Alerts', origin: 'model' },
      ]),
    ).toBe(2);
    expect(await store.carg.countFieldRounds()).toBe(0);
    expect(
      await store.carg.addFields(
        [
          { field: 'Travel', origin: 'model' },
          { field: 'Weather', origin: 'seed' },
        ],
        [call('maker', 5)],
      ),
    ).toBe(1);
    expect(await store.carg.countFieldRounds()).toBe(1); // a proposal round: its first field carries the round's calls
    const ids = await store.carg.saveFieldTools('Weather', 'Alerts', [t('alerts', { field: 'Weather', subfield: 'Alerts' })]);
    expect(ids).toHaveLength(1);
    expect(await store.carg.listFields()).toEqual([
      { field: 'Weather', subfield: '', origin: 'seed', tools_done: false },
      { field: 'Weather', subfield: 'Alerts', origin: 'model', tools_done: true },
      { field: 'Travel', subfield: '', origin: 'model', tools_done: false },
    ]);
    await store.close();
  });

  it('carg: a batch with a tool the store refuses (a second live tool of one name) inserts none of them', async () => {
    const { store } = await backend.fresh();
    const t = (name: string): NewCargTool => ({ name, source: 's', template: { api_name: name }, status: 'accepted', reasons: [], notes: [] });
    await expect(store.carg.insertTools([t('a'), t('b'), t('a')])).rejects.toMatchObject({ code: 'E_STORE', message: expect.stringMatching(/UNIQUE/) });
    expect(await store.carg.listTools()).toEqual([]);
    await store.close();
  });

  it('a row that does not parse is E_STORE naming table, row and field — bad JSON or a wrong shape', async () => {
    const { store, sql, runId } = await seeded(backend);
    const id = await store.traces.begin(runId, 'a');
    await store.traces.finish(id, draft(id), { stopReason: 'answer', answer: 'answer a' });
    await sql(`UPDATE steps SET observation = '{"content": 1, "source": "oracle"}' WHERE trace_id = ${id} AND idx = 0`);
    await expect(store.traces.get(id)).rejects.toEqual(storeError('steps', `${id}/0`, 'observation.source'));
    await expect(store.traces.list(runId)).rejects.toEqual(storeError('steps', `${id}/0`, 'observation.source'));
    await sql(`UPDATE steps SET observation = '{not json' WHERE trace_id = ${id} AND idx = 0`);
    await expect(store.traces.get(id)).rejects.toEqual(storeError('steps', `${id}/0`, 'observation'));
    await sql(`UPDATE items SET answers = '[]' WHERE item_id = 'b'`);
    await expect(store.items.list(runId)).rejects.toEqual(storeError('items', `${runId}/b`, 'answers'));
    await sql(`UPDATE model_calls SET params = '[1' WHERE trace_id = ${id}`);
    const calls = store.modelCalls.list(id);
    await expect(calls).rejects.toMatchObject({ code: 'E_STORE', details: { table: 'model_calls', field: 'params' } });
    await sql(`UPDATE runs SET config = 'nope' WHERE id = ${runId}`);
    await expect(store.runs.list()).rejects.toEqual(storeError('runs', runId, 'config'));

    await store.actorCache.put({
      key: 'k',
      tool: 't',
      arguments: '{}',
      grounding: 'g',
      observation: { content: 1, source: 'simulated' },
      model: 'm',
      prompt_hash: 'p',
    });
    await sql(`UPDATE actor_cache SET observation = '{"content": 1}' WHERE key = 'k'`);
    await expect(store.actorCache.get('k')).rejects.toEqual(storeError('actor_cache', 'k', 'source'));

    const [tool] = await store.carg.insertTools([{ name: 'x', source: 's', template: { api_name: 'x' }, status: 'accepted', reasons: [], notes: [] }]);
    await store.carg.saveJob('single:j', tool!, { rounds: 1 }, [
      { kind: 'single', round: 0, input: {}, output: {}, verdicts: { format: { pass: true, reason: 'ok' } }, accepted: true },
    ]);
    await sql(`UPDATE carg_samples SET verdicts = '{"format": {"pass": "yes"}}'`);
    await expect(store.carg.listSamples()).rejects.toMatchObject({ code: 'E_STORE', details: { table: 'carg_samples', field: 'verdicts.format.pass' } });
    await sql(`UPDATE carg_tools SET template = '"a string"' WHERE id = ${tool}`);
    await expect(store.carg.listTools()).rejects.toEqual(storeError('carg_tools', tool!, 'template'));
    await sql(`UPDATE carg_jobs SET stats = '{"rounds": "one"}'`);
    await expect(store.carg.jobStats('single:j')).rejects.toEqual(storeError('carg_jobs', `single:j/${tool}`, 'rounds'));
    await store.close();
  });
});

describe('openStore', () => {
  it('creates a store only when asked; a missing file is E_STORE saying how to make one', async () => {
    const path = join(tmp, 'missing', 'store.sqlite');
    await expect(openStore(path)).rejects.toMatchObject({ code: 'E_STORE', message: `${path}: no such store (create one with mtr generate --db ${path})` });
    expect(existsSync(path)).toBe(false);
    const store = await openStore(path, { create: true });
    await store.close();
    await store.close(); // closing twice is harmless
    expect(existsSync(path)).toBe(true);
    const again = await openStore(path);
    expect(await again.runs.list()).toEqual([]);
    await again.close();
  });

  it('postgres://: an empty database is no store until create makes the tables; an unreachable server is E_STORE; the password is never shown', async () => {
    const url = await freshPgDatabase('open');
    const withPassword = url.replace('postgres@', 'postgres:s3cret@'); // trust auth: the password is ignored, not echoed
    expect(await storeExists(withPassword)).toBe(false);
    const missing = await openStore(withPassword).catch((e: unknown) => e);
    expect(missing).toMatchObject({
      code: 'E_STORE',
      message: `${url.replace('postgres@', 'postgres:***@')}: no such store (create one with mtr generate --db ${url.replace('postgres@', 'postgres:***@')})`,
    });
    expect(await pgExec(url, `SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`)).toEqual([{ n: 0 }]);
    const store = await openStore(withPassword, { create: true });
    expect(store.location).not.toContain('s3cret');
    await store.runs.upsert('r', 'toy', {});
    await store.close();
    await store.close(); // closing twice is harmless
    expect(await storeExists(url)).toBe(true);
    // the same schema version as SQLite's, so version N means the same store on both
    expect(await pgExec(url, 'SELECT version FROM mtr_schema')).toEqual([{ version: MIGRATIONS.length }]);
    expect(PG_MIGRATIONS).toHaveLength(MIGRATIONS.length);

    const port = await closedPort();
    const down = await openStore(`postgres://me:s3cret@127.0.0.1:${port}/mtr`).catch((e: unknown) => e);
    expect(down).toMatchObject({
      code: 'E_STORE',
      message: expect.stringMatching(/^postgres:\/\/me:\*\*\*@127\.0\.0\.1:\d+\/mtr: cannot open database: .*ECONNREFUSED/),
    });
    expect((down as Error).message).not.toContain('s3cret');
    await expect(storeExists(`postgres://127.0.0.1:${port}/mtr`)).rejects.toMatchObject({ code: 'E_STORE' });
    const noDb = url.replace(/\/[^/]+$/, '/no_such_db');
    await expect(openStore(noDb, { create: true })).rejects.toMatchObject({
      code: 'E_STORE',
      message: `${noDb}: cannot open database: database "no_such_db" does not exist (make it first: createdb, or CREATE DATABASE; mtr makes its tables)`,
    });
  });

  it('postgres://: a database holding other tables is not migrated; read only reads, never writes', async () => {
    const foreign = await freshPgDatabase('foreign');
    await pgExec(foreign, 'CREATE TABLE accounts (id int)');
    await expect(openStore(foreign, { create: true })).rejects.toMatchObject({
      code: 'E_STORE',
      message: expect.stringContaining('expected an mtr store (or an empty database), got a database with 1 other table(s)'),
    });
    expect(await pgExec(foreign, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)).toEqual([{ table_name: 'accounts' }]);

    const url = await freshPgDatabase('ro');
    const w = await openStore(url, { create: true });
    await w.runs.upsert('r', 'toy', {});
    await w.close();
    const ro = await openStore(url, { readonly: true });
    expect((await ro.runs.list()).map((r) => r.key)).toEqual(['r']);
    await expect(ro.runs.upsert('s', 'toy', {})).rejects.toMatchObject({ code: 'E_STORE', message: expect.stringMatching(/readonly/) });
    await ro.close();
    await expect(openStore(await freshPgDatabase('ro'), { readonly: true, create: true })).rejects.toMatchObject({
      message: expect.stringMatching(/no such store/),
    });
  });

  it('postgres://: a run owned by a process on another host is refused (its liveness cannot be checked from here)', async () => {
    const url = await freshPgDatabase('claim');
    const store = await openStore(url, { create: true });
    const runId = await store.runs.upsert('r', 'toy', {});
    await pgExec(url, `UPDATE runs SET owner_pid = ${2 ** 22 + 12345}, owner_host = 'elsewhere' WHERE id = ${runId}`);
    await expect(store.runs.claim(runId)).rejects.toMatchObject({
      code: 'E_STORE',
      message: expect.stringMatching(/being generated by process \d+ on elsewhere/),
    });
    await store.runs.release(runId); // not ours: left alone
    await expect(store.runs.claim(runId)).rejects.toMatchObject({ code: 'E_STORE' });
    await pgExec(url, `UPDATE runs SET owner_host = '${hostname()}' WHERE id = ${runId}`); // the same dead pid on this host: taken over
    await store.runs.claim(runId);
    expect(await pgExec(url, `SELECT owner_pid, owner_host FROM runs`)).toEqual([{ owner_pid: process.pid, owner_host: hostname() }]);
    await store.runs.release(runId);
    expect(await pgExec(url, `SELECT owner_pid, owner_host FROM runs`)).toEqual([{ owner_pid: null, owner_host: null }]);
    await store.close();
  });

  it('read only: reads, never writes', async () => {
    const path = join(tmp, 'ro.sqlite');
    const w = await openStore(path, { create: true });
    await w.runs.upsert('r', 'toy', {});
    await w.close();
    const ro = await openStore(path, { readonly: true });
    expect((await ro.runs.list()).map((r) => r.key)).toEqual(['r']);
    await expect(ro.runs.upsert('s', 'toy', {})).rejects.toMatchObject({ code: 'E_STORE', message: expect.stringMatching(/readonly/) });
    await ro.close();
  });
});
