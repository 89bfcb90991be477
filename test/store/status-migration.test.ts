import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { DatasetItem } from '../../src/schema/item.js';
import type { ModelCall } from '../../src/schema/model-call.js';
import type { RunTool, Step } from '../../src/schema/trace.js';
import { openStore, type Store, TraceDraft } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { stepsSql } from '../../src/store/status.js';
import { freshPgDatabase, pgExec } from '../support/postgres.js';

/**
 * Migration 12 (status read from indexes) on a store of the version before it, on both backends: read without
 * migrating (as `mtr view` does) and after migrating, a run's status, provenance and verdicts are the same, and
 * the figures are the ones the fixture was made to have.
 */
const tmp = mkdtempSync(join(tmpdir(), 'mtr-status-migration-'));
const PREVIOUS = MIGRATIONS.length - 1;

/** A store's location and raw SQL on it (statements, and rows of a query). */
interface Raw {
  location: string;
  exec(sql: string): Promise<void>;
  rows(sql: string): Promise<Record<string, unknown>[]>;
}
const BACKENDS: { name: string; make(): Promise<Raw>; setVersion: (v: number) => string; indexes: string }[] = [
  {
    name: 'sqlite',
    make: async () => {
      const location = join(tmp, `s${Date.now()}-${Math.random()}.sqlite`);
      const raw = <T>(f: (db: Database.Database) => T): T => {
        const db = new Database(location);
        try {
          return f(db);
        } finally {
          db.close();
        }
      };
      return {
        location,
        exec: async (sql) => raw((db) => void db.exec(sql)),
        rows: async (sql) => raw((db) => db.prepare(sql).all() as Record<string, unknown>[]),
      };
    },
    setVersion: (v) => `PRAGMA user_version = ${v}`,
    indexes: `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('steps', 'tools', 'model_calls') AND name NOT LIKE 'sqlite_%' ORDER BY name`,
  },
  {
    name: 'postgres',
    make: async () => {
      const location = await freshPgDatabase('status12');
      return { location, exec: async (sql) => void (await pgExec(location, sql)), rows: (sql) => pgExec(location, sql) };
    },
    setVersion: (v) => `UPDATE mtr_schema SET version = ${v}`,
    indexes: `SELECT indexname AS name FROM pg_indexes WHERE tablename IN ('steps', 'tools', 'model_calls') AND indexname NOT LIKE '%_pkey' ORDER BY indexname`,
  },
];
/** Migration 12 undone: its indexes dropped, the ones it replaced back */
const UNDO_12 = `DROP INDEX steps_with_call; DROP INDEX tools_by_trace_accepted; DROP INDEX model_calls_by_trace_totals;
  CREATE INDEX tools_by_trace ON tools(trace_id); CREATE INDEX model_calls_by_trace ON model_calls(trace_id);`;

const items: DatasetItem[] = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, dataset: 'toy', question: `Where is ${id}?`, answers: [`place ${id}`] }));
const tool: RunTool = {
  origin: 'maker',
  tool: { api_name: 'lookup', api_description: 'Looks a thing up.', parameters: { q: { type: 'string' } }, required: ['q'], responses: {} },
};
const steps: Step[] = [
  {
    index: 0,
    think: 'look',
    call: { name: 'lookup', arguments: { q: 'a' } },
    observation: { content: { text: 'A' }, source: 'simulated' },
    raw: '<tool_call>',
  },
  { index: 1, think: 'done', answer: 'place a', raw: '<answer>place a</answer>' },
];
const call = (role: ModelCall['role'], tokens: number, extra: Partial<ModelCall> = {}): ModelCall => ({
  role,
  model: 'm1',
  prompt_file: `${role}.md`,
  prompt_hash: `h-${role}`,
  params: {},
  tokens_in: tokens,
  tokens_out: 1,
  latency_ms: 5,
  attempt: 1,
  ok: true,
  ...extra,
});
/** 2 steps (1 tool call), 1 accepted and 1 rejected tool, 3 calls (60 tokens in, 1 failed, 1 through a server) */
function draft(id: number): TraceDraft {
  const d = new TraceDraft(id);
  d.sink.tools([tool], [{ tool: { api_name: 'bad' }, reasons: ['no description'], attempt: 1 }]);
  d.sink.call(call('maker', 10));
  for (const s of steps) d.sink.step(s);
  d.sink.call(call('agent', 20, { server: 'http://s1', latency_ms: 7 }));
  d.sink.call(call('actor', 30, { ok: false, error: 'bad json' }));
  return d;
}

/** Run 1: a finished; b failed then finished; c failed twice; d running; e never begun. Run 2: a stopped at max turns. */
async function fill(store: Store): Promise<number> {
  const run = await store.runs.upsert('r1', 'toy', {});
  await store.items.add(run, items);
  const end = async (runId: number, item: string, how: 'finish' | 'max' | 'E_MODEL' | 'E_MODEL_OUTPUT') => {
    const id = await store.traces.begin(runId, item);
    if (how === 'finish' || how === 'max') await store.traces.finish(id, draft(id), { stopReason: how === 'max' ? 'max_turns' : 'answer', answer: 'x' });
    else await store.traces.fail(id, draft(id), { code: how, message: 'no' });
    return id;
  };
  const a = await end(run, 'a', 'finish');
  await end(run, 'b', 'E_MODEL');
  await end(run, 'b', 'finish');
  await end(run, 'c', 'E_MODEL');
  await end(run, 'c', 'E_MODEL_OUTPUT');
  await store.traces.begin(run, 'd');
  const other = await store.runs.upsert('r2', 'toy', {});
  await store.items.add(other, items.slice(0, 1));
  await end(other, 'a', 'max');
  await store.verdicts.write('cfg', [
    { trace_id: a, check: 'grammar', result: { pass: true } },
    { trace_id: a, check: 'answer', result: { pass: false, reason: 'wrong_answer', details: { expected: 'place a' } } },
  ]);
  return run;
}

const read = async (store: Store, run: number) => ({
  run: await store.runs.status(run),
  all: await store.runs.status(),
  provenance: await store.modelCalls.provenance(run),
  verdicts: await store.verdicts.list(run, 'cfg'),
});

describe.each(BACKENDS)('migration 12 on a store of the version before ($name)', (backend) => {
  it('read without migrating and after migrating, status, provenance and verdicts are the same and right', async () => {
    const raw = await backend.make();
    const made = await openStore(raw.location, { create: true });
    const run = await fill(made);
    const current = await read(made, run);
    await made.close();
    await raw.exec(`${UNDO_12} ${backend.setVersion(PREVIOUS)}`);
    expect(await raw.rows(backend.indexes)).toEqual([{ name: 'model_calls_by_trace' }, { name: 'tools_by_trace' }]);

    const old = await openStore(raw.location, { readonly: true });
    const before = await read(old, run);
    await old.close();
    const migrated = await openStore(raw.location);
    const after = await read(migrated, run);
    await migrated.close();
    expect(await raw.rows(backend.indexes)).toEqual([
      { name: 'model_calls_by_trace_totals' },
      { name: 'steps_with_call' },
      { name: 'tools_by_trace_accepted' },
    ]);
    expect(before).toEqual(current);
    expect(after).toEqual(current);

    // the figures the fixture has, counted by hand: run 1's finished traces are a and b (2 steps, 1 tool call, 1
    // accepted and 1 rejected tool each); its calls are those of the 5 ended traces (d, running, has none written)
    expect(after.run).toEqual({
      runs: 1,
      items_total: 5,
      items_pending: 3,
      traces_finished: 2,
      traces_failed: 1,
      traces_running: 1,
      duplicates: 0,
      steps: 4,
      tool_calls: 2,
      answers: 2,
      stopped_at_max_turns: 0,
      model_calls: 15,
      model_calls_failed: 5,
      tokens_in: 300,
      tokens_out: 15,
      tools_accepted: 2,
      tools_rejected: 2,
      failures_by_code: { E_MODEL_OUTPUT: { items: 1, attempts: 2 } },
      items_retried: 1,
      by_role: {
        actor: { calls: 5, tokens_in: 150, tokens_out: 5, mean_latency_ms: 5 },
        agent: { calls: 5, tokens_in: 100, tokens_out: 5, mean_latency_ms: 7 },
        maker: { calls: 5, tokens_in: 50, tokens_out: 5, mean_latency_ms: 5 },
      },
      by_server: { 'http://s1': { calls: 5, errors: 0, mean_latency_ms: 7, p95_latency_ms: 7 } },
    });
    expect(after.all).toMatchObject({ runs: 2, items_total: 6, traces_finished: 3, steps: 6, stopped_at_max_turns: 1, model_calls: 18, tools_accepted: 3 });
    expect(after.provenance.map((p) => [p.role, p.calls])).toEqual([
      ['actor', 5],
      ['agent', 5],
      ['maker', 5],
    ]);
    expect(after.verdicts.map((v) => [v.check, v.result])).toEqual([
      ['answer', { pass: false, reason: 'wrong_answer', details: { expected: 'place a' } }],
      ['grammar', { pass: true }],
    ]);
  });
});

describe('migration 12 (sqlite): the status reads the new indexes', () => {
  it("counts a run's steps from the primary key and its tool calls from the partial index", async () => {
    const path = join(tmp, 'plan.sqlite');
    await (await openStore(path, { create: true })).close();
    const db = new Database(path, { readonly: true });
    const plan = (
      db.prepare(`EXPLAIN QUERY PLAN ${stepsSql(`SELECT id FROM traces t WHERE t.run_id = 1 AND t.status = 'finished'`)}`).all() as { detail: string }[]
    )
      .map((r) => r.detail)
      .join('\n');
    db.close();
    expect(plan).toContain('SEARCH steps USING COVERING INDEX sqlite_autoindex_steps_1 (trace_id=?)');
    expect(plan).toContain('SEARCH steps USING INDEX steps_with_call (trace_id=?)');
  });
});
