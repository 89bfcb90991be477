import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DatasetItem } from '../../src/schema/item.js';
import type { ModelCall } from '../../src/schema/model-call.js';
import type { Step } from '../../src/schema/trace.js';
import { openStore, type Store } from '../../src/store/index.js';
import { freshPgDatabase } from '../support/postgres.js';

/**
 * The Store interface's browsing queries (`mtr view`), written once per backend as in interface.test.ts:
 * each answer is compared with what the test wrote through the interface.
 */
interface Backend {
  name: string;
  fresh(): Promise<Store>;
}
const tmp = mkdtempSync(join(tmpdir(), 'mtr-store-view-'));
let n = 0;
const BACKENDS: Backend[] = [
  { name: 'sqlite', fresh: () => openStore(join(tmp, `s${n++}.sqlite`), { create: true }) },
  { name: 'postgres', fresh: async () => openStore(await freshPgDatabase('view'), { create: true }) },
];

const item = (id: string, dataset: string, question: string): DatasetItem => ({ id, dataset, question, answers: [`gold ${id}`] });
const call = (role: ModelCall['role'], ok = true): ModelCall => ({
  role,
  model: 'm',
  prompt_file: `${role}.md`,
  prompt_hash: 'h',
  params: {},
  tokens_in: 10,
  tokens_out: 2,
  latency_ms: role === 'agent' ? 30 : 10,
  attempt: 1,
  ok,
});
const steps = (calls: number): Step[] => [
  ...Array.from({ length: calls }, (_, i): Step => ({ index: i, think: 't', call: { name: 'search', arguments: { q: 'x' } }, raw: 'r' })),
  { index: calls, think: 't', answer: 'a', raw: 'r' },
];

/** Run 1: 5 items over two datasets (a question with `%` and `_` in it); traces finished with 0–2 tool calls, one failed; run 2: one trace. */
async function seeded(store: Store) {
  const run = await store.runs.upsert('r1', 'mix', {});
  await store.items.add(run, [
    item('a', 'hotpot', 'Who wrote Hamlet?'),
    item('b', 'hotpot', 'Where is 100% of_the gold?'),
    item('c', 'musique', 'Who wrote Faust?'),
    item('d', 'musique', 'When?'),
    item('e', 'musique', 'Why?'),
  ]);
  const ids: Record<string, number> = {};
  for (const [id, toolCalls] of [
    ['a', 2],
    ['b', 1],
    ['c', 1],
    ['d', 0],
  ] as const) {
    ids[id] = await store.traces.begin(run, id);
    const calls = [call('agent'), ...Array.from({ length: toolCalls }, () => call('actor'))];
    await store.traces.finish(ids[id]!, { tools: [], rejected: [], steps: steps(toolCalls), calls }, { stopReason: 'answer', answer: `ans ${id}` });
  }
  ids.e = await store.traces.begin(run, 'e');
  await store.traces.fail(ids.e, { tools: [], rejected: [], steps: [], calls: [call('agent', false)] }, { code: 'E_MODEL_OUTPUT', message: 'bad' });
  const other = await store.runs.upsert('r2', 'mix', {});
  await store.items.add(other, [item('z', 'hotpot', 'Who wrote Hamlet twice?')]);
  const z = await store.traces.begin(other, 'z');
  await store.traces.finish(z, { tools: [], rejected: [], steps: steps(0), calls: [] }, { stopReason: 'answer', answer: 'z' });
  const fail = (trace_id: number, check: string, reason: string) => ({ trace_id, check, result: { pass: false as const, reason, details: {} } });
  const pass = (trace_id: number, check: string) => ({ trace_id, check, result: { pass: true as const } });
  await store.verdicts.write('cfg1', [
    fail(ids.a!, 'slots', 'slot_disagreement'),
    fail(ids.a!, 'answer', 'wrong_answer'),
    pass(ids.b!, 'slots'),
    fail(ids.c!, 'slots', 'slot_disagreement'),
    fail(ids.e!, 'finished', 'not_finished'),
  ] as never);
  await store.verdicts.write('cfg2', [fail(ids.b!, 'answer', 'wrong_answer')] as never);
  return { run, other, ids, z };
}

describe.each(BACKENDS)('Store browsing ($name)', (backend) => {
  it('traces.page: filters combine, the total counts every match, pages follow trace ids, reasons come from one check config', async () => {
    const store = await backend.fresh();
    const { run, other, ids, z } = await seeded(store);
    const page = await store.traces.page({ runId: run, configHash: 'cfg1', offset: 0, limit: 2 });
    expect(page.total).toBe(5);
    expect(page.items).toEqual([
      {
        trace_id: ids.a,
        run_id: run,
        item_id: 'a',
        dataset: 'hotpot',
        question: 'Who wrote Hamlet?',
        gold: ['gold a'],
        status: 'finished',
        answer: 'ans a',
        error_code: null,
        reasons: ['slot_disagreement', 'wrong_answer'],
      },
      expect.objectContaining({ trace_id: ids.b, reasons: [] }),
    ]);
    const ids1 = async (q: Parameters<Store['traces']['page']>[0]) => {
      const p = await store.traces.page(q);
      return { total: p.total, ids: p.items.map((r) => r.item_id) };
    };
    expect(await ids1({ runId: run, offset: 4, limit: 2 })).toEqual({ total: 5, ids: ['e'] });
    expect(await ids1({ runId: run, offset: 9, limit: 2 })).toEqual({ total: 5, ids: [] });
    expect(await ids1({ offset: 0, limit: 10 })).toEqual({ total: 6, ids: ['a', 'b', 'c', 'd', 'e', 'z'] });
    expect(await ids1({ runId: run, status: 'failed', offset: 0, limit: 10 })).toEqual({ total: 1, ids: ['e'] });
    expect(await ids1({ runId: run, dataset: 'musique', offset: 0, limit: 10 })).toEqual({ total: 3, ids: ['c', 'd', 'e'] });
    // a run of one dataset: the filter passes all of it, or none
    expect(await ids1({ runId: other, dataset: 'hotpot', offset: 0, limit: 10 })).toEqual({ total: 1, ids: ['z'] });
    expect(await ids1({ runId: other, dataset: 'musique', offset: 0, limit: 10 })).toEqual({ total: 0, ids: [] });
    expect(await ids1({ runId: run, reason: 'slot_disagreement', configHash: 'cfg1', offset: 0, limit: 10 })).toEqual({ total: 2, ids: ['a', 'c'] });
    expect(await ids1({ runId: run, reason: 'wrong_answer', configHash: 'cfg2', offset: 0, limit: 10 })).toEqual({ total: 1, ids: ['b'] });
    expect(await ids1({ runId: run, reason: 'wrong_answer', offset: 0, limit: 10 })).toEqual({ total: 0, ids: [] });
    expect(await ids1({ q: 'wrote', offset: 0, limit: 10 })).toEqual({ total: 3, ids: ['a', 'c', 'z'] });
    expect(await ids1({ q: 'HAMLET', dataset: 'hotpot', runId: run, offset: 0, limit: 10 })).toEqual({ total: 1, ids: ['a'] });
    expect(await ids1({ q: '100%', offset: 0, limit: 10 })).toEqual({ total: 1, ids: ['b'] });
    expect(await ids1({ q: '%', offset: 0, limit: 10 })).toEqual({ total: 1, ids: ['b'] }); // literal, not a pattern
    expect(await ids1({ q: 'e_g', offset: 0, limit: 10 })).toEqual({ total: 0, ids: [] }); // '_' literal: "the gold" does not match
    expect(await ids1({ traceId: z, offset: 0, limit: 1 })).toEqual({ total: 1, ids: ['z'] });
    const failed = await store.traces.page({ traceId: ids.e!, configHash: 'cfg1', offset: 0, limit: 1 });
    expect(failed.items[0]).toMatchObject({ status: 'failed', answer: null, error_code: 'E_MODEL_OUTPUT', reasons: ['not_finished'] });
    await store.close();
  });

  it("traces.page by the report's counts: a failed check, an invalid_arguments error type, validated / passed / failed", async () => {
    const store = await backend.fresh();
    const { run, ids } = await seeded(store);
    const bad = (trace_id: number, check: string, error: unknown) => ({
      trace_id,
      check,
      result: { pass: false as const, reason: 'invalid_arguments', details: { error } },
    });
    await store.verdicts.write('cfg3', [
      bad(ids.a!, 'arguments', { type: 'type_error', message: 'x' }),
      bad(ids.b!, 'arguments', { type: 'missing_required' }),
      bad(ids.c!, 'arguments', 'not an object'), // no type: counted as 'unknown' (summarizeVerdicts)
      { trace_id: ids.d!, check: 'arguments', result: { pass: true } },
      { trace_id: ids.d!, check: 'slots', result: { pass: true } },
      { trace_id: ids.e!, check: 'slots', result: { pass: false, reason: 'slot_disagreement', details: { error: { type: 'type_error' } } } },
    ] as never);
    const items = async (q: Omit<Parameters<Store['traces']['page']>[0], 'offset' | 'limit'>) => {
      const p = await store.traces.page({ runId: run, ...q, offset: 0, limit: 10 });
      expect(p.items.length).toBe(p.total);
      return p.items.map((r) => r.item_id);
    };
    expect(await items({ configHash: 'cfg3', errorType: 'type_error' })).toEqual(['a']); // e's type is not an invalid_arguments one
    expect(await items({ configHash: 'cfg3', errorType: 'missing_required' })).toEqual(['b']);
    expect(await items({ configHash: 'cfg3', errorType: 'unknown' })).toEqual(['c']);
    expect(await items({ configHash: 'cfg1', errorType: 'type_error' })).toEqual([]);
    expect(await items({ configHash: 'cfg3', check: 'arguments' })).toEqual(['a', 'b', 'c']);
    expect(await items({ configHash: 'cfg3', check: 'slots' })).toEqual(['e']);
    expect(await items({ configHash: 'cfg1', check: 'slots' })).toEqual(['a', 'c']);
    expect(await items({ configHash: 'cfg1', check: 'slots', reason: 'wrong_answer' })).toEqual(['a']);
    expect(await items({ configHash: 'cfg3', verdict: 'validated' })).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await items({ configHash: 'cfg3', verdict: 'passed' })).toEqual(['d']);
    expect(await items({ configHash: 'cfg3', verdict: 'failed' })).toEqual(['a', 'b', 'c', 'e']);
    // cfg1 judged a, b, c, e: b passed its one check; d was never judged, so it is neither passed nor failed
    expect(await items({ configHash: 'cfg1', verdict: 'passed' })).toEqual(['b']);
    expect(await items({ configHash: 'cfg1', verdict: 'failed' })).toEqual(['a', 'c', 'e']);
    expect(await items({ configHash: 'cfg1', verdict: 'passed', status: 'failed' })).toEqual([]);
    expect(await items({ verdict: 'validated' })).toEqual([]); // no config: none judged
    await store.close();
  });

  it('traces.shapes and minutes, modelCalls.minutes, verdicts.configs and latestConfig: the aggregates of what was written', async () => {
    const store = await backend.fresh();
    const { run, other } = await seeded(store);
    expect(await store.traces.shapes(run)).toEqual([
      { status: 'failed', steps: 0, tool_calls: 0, traces: 1 },
      { status: 'finished', steps: 1, tool_calls: 0, traces: 1 },
      { status: 'finished', steps: 2, tool_calls: 1, traces: 2 },
      { status: 'finished', steps: 3, tool_calls: 2, traces: 1 },
    ]);
    const minutes = await store.traces.minutes(run);
    expect(minutes.reduce((s, m) => s + m.finished, 0)).toBe(4);
    expect(minutes.reduce((s, m) => s + m.failed, 0)).toBe(1);
    expect(minutes[0]!.minute).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/);
    const calls = await store.modelCalls.minutes(run);
    const byRole = (role: string) => calls.filter((c) => c.role === role);
    expect(byRole('agent').reduce((s, c) => s + c.calls, 0)).toBe(5);
    expect(byRole('agent').reduce((s, c) => s + c.failed, 0)).toBe(1);
    expect(byRole('actor').reduce((s, c) => s + c.tokens_in, 0)).toBe(40);
    expect(byRole('actor')[0]!.mean_latency_ms).toBe(10);
    expect(await store.modelCalls.minutes(other)).toEqual([]);
    const configs = await store.verdicts.configs(run);
    expect(configs.map((c) => [c.config_hash, c.traces]).sort()).toEqual([
      ['cfg1', 4],
      ['cfg2', 1],
    ]);
    expect(await store.verdicts.configs(other)).toEqual([]);
    expect((await store.verdicts.configs()).length).toBe(2);
    // the config last written wins, per run and over the store
    expect(await store.verdicts.latestConfig(run)).toBe('cfg2');
    expect(await store.verdicts.latestConfig(other)).toBeUndefined();
    expect(await store.verdicts.latestConfig()).toBe('cfg2');
    await store.close();
  });

  it('carg.listEvalJobs: every job with cases stored, by name, with its model and case count', async () => {
    const store = await backend.fresh();
    expect(await store.carg.listEvalJobs()).toEqual([]);
    const tool = (name: string) => ({ name, source: 'test', template: { api_name: name }, status: 'accepted' as const, reasons: [], notes: [] });
    const [t1, t2] = await store.carg.insertTools([tool('a'), tool('b')]);
    const cases = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ scenario: i % 2 ? 'error' : 'normal', input: { i }, output: {}, scores: { format: 1 } }));
    await store.carg.saveEvalCases('eval:sim-b', 'sim-b', t1!, cases(2));
    await store.carg.saveEvalCases('eval:sim-b', 'sim-b', t2!, cases(3));
    await store.carg.saveEvalCases('audit:sim-a', 'sim-a', t1!, cases(1));
    await store.carg.saveEvalCases('eval:sim-a', 'sim-a', t2!, []); // a tool with no cases stores none
    expect(await store.carg.listEvalJobs()).toEqual([
      { job: 'audit:sim-a', model: 'sim-a', cases: 1 },
      { job: 'eval:sim-b', model: 'sim-b', cases: 5 },
    ]);
    await store.close();
  });
});
