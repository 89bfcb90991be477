import { type RunStatusWithFailures, RunStatusWithFailuresSchema } from '../schema/status.js';
import type { Db } from './db.js';

/** Totals over one run, or over every run in the file. Counts items by their latest state. */
export function runStatus(db: Db, runId?: number): RunStatusWithFailures {
  /** `column = @runId`, or no restriction when every run is counted */
  const of = (column: string): string => (runId === undefined ? '1=1' : `${column} = @runId`);
  const tw = of('t.run_id');
  const p = runId === undefined ? {} : { runId };
  const one = <T>(sql: string): T => db.prepare(sql).get(p) as T;

  // per item from its traces (traces_by_item, in order); an item without traces counts in the total only. Every
  // trace has its item (a foreign key), so this equals reading the item rows and looking up their traces.
  const items = one<{ total: number; finished: number; failed: number; running: number; dup: number }>(`
    SELECT (SELECT COUNT(*) FROM items i WHERE ${of('i.run_id')}) AS total,
      COALESCE(SUM(fin >= 1), 0) AS finished,
      COALESCE(SUM(fin = 0 AND failed > 0 AND running = 0), 0) AS failed,
      COALESCE(SUM(fin = 0 AND running > 0), 0) AS running,
      COALESCE(SUM(fin > 1), 0) AS dup
    FROM (SELECT SUM(t.status = 'finished') AS fin, SUM(t.status = 'failed') AS failed, SUM(t.status = 'running') AS running
      FROM traces t WHERE ${tw} GROUP BY t.run_id, t.item_id)`);
  const finishedTraces = `SELECT id FROM traces t WHERE ${tw} AND t.status = 'finished'`;
  const steps = one<{ steps: number; calls: number }>(stepsSql(finishedTraces));
  const stops = one<{ answers: number; max_turns: number }>(
    `SELECT COALESCE(SUM(stop_reason = 'answer'), 0) AS answers, COALESCE(SUM(stop_reason = 'max_turns'), 0) AS max_turns FROM traces t WHERE ${tw} AND t.status = 'finished'`,
  );
  const tools = one<{ accepted: number; rejected: number }>(
    `SELECT COALESCE(SUM(accepted = 1), 0) AS accepted, COALESCE(SUM(accepted = 0), 0) AS rejected FROM tools WHERE trace_id IN (${finishedTraces})`,
  );
  const callWhere = `trace_id IN (SELECT id FROM traces t WHERE ${tw})`;
  const roles = db
    .prepare(
      `SELECT role, COUNT(*) AS calls, SUM(ok = 0) AS failed, SUM(tokens_in) AS tin, SUM(tokens_out) AS tout, AVG(latency_ms) AS lat FROM model_calls WHERE ${callWhere} GROUP BY role ORDER BY role`,
    )
    .all(p) as StatusCounts['roles'][number][];
  // a store read without migrating (view, read only) may predate the column: no per-server figures then
  const hasServer = db.prepare(`SELECT 1 FROM pragma_table_info('model_calls') WHERE name = 'server'`).get() !== undefined;
  const servers = hasServer ? (db.prepare(serversSql(callWhere)).all(p) as StatusCounts['servers']) : [];
  const runs = one<{ n: number }>(`SELECT COUNT(*) AS n FROM runs WHERE ${of('id')}`);
  const failedItems = db
    .prepare(`SELECT code, COUNT(*) AS items, SUM(attempts) AS attempts FROM (
      SELECT COUNT(*) AS attempts,
        (SELECT COALESCE(l.error_code, 'unknown') FROM traces l WHERE l.run_id = t.run_id AND l.item_id = t.item_id AND l.status = 'failed' ORDER BY l.id DESC LIMIT 1) AS code
      FROM traces t WHERE ${tw} AND t.status = 'failed'
        AND NOT EXISTS (SELECT 1 FROM traces o WHERE o.run_id = t.run_id AND o.item_id = t.item_id AND o.status IN ('finished', 'running'))
      GROUP BY t.run_id, t.item_id)
    GROUP BY code ORDER BY items DESC, code`)
    .all(p) as { code: string; items: number; attempts: number }[];
  const retried = one<{ n: number }>(`SELECT COUNT(*) AS n FROM traces t WHERE ${tw} AND t.status = 'finished'
    AND EXISTS (SELECT 1 FROM traces f WHERE f.run_id = t.run_id AND f.item_id = t.item_id AND f.status = 'failed')`);

  return statusOf({ items, steps, stops, tools, roles, servers, runs, failedItems, retried });
}

/**
 * Steps and tool calls of the traces `traces` selects (SQL both backends run), as two counts so that each reads an
 * index alone: the steps' primary key, and the calls' partial index (migration 12; without it, the step rows).
 */
export const stepsSql = (traces: string): string => `
  SELECT (SELECT COUNT(*) FROM steps WHERE trace_id IN (${traces})) AS steps,
    (SELECT COUNT(*) FROM steps WHERE call IS NOT NULL AND trace_id IN (${traces})) AS calls`;

/**
 * Calls, errors, mean and p95 latency per server, of the calls `where` selects (SQL both SQLite and PostgreSQL
 * run). p95 is the nearest rank: the ⌈0.95·n⌉-th smallest latency, (95n + 99) / 100 in integer arithmetic.
 */
export const serversSql = (where: string): string => `
  WITH c AS (
    SELECT server, ok, latency_ms,
      ROW_NUMBER() OVER (PARTITION BY server ORDER BY latency_ms) AS rn,
      COUNT(*) OVER (PARTITION BY server) AS n
    FROM model_calls WHERE server IS NOT NULL AND ${where})
  SELECT server, COUNT(*) AS calls, SUM(CASE WHEN ok = 0 THEN 1 ELSE 0 END) AS errors, AVG(latency_ms) AS lat,
    MAX(CASE WHEN rn = (95 * n + 99) / 100 THEN latency_ms END) AS p95
  FROM c GROUP BY server ORDER BY server`;

/** The totals each backend counts with its own SQL dialect. */
export interface StatusCounts {
  items: { total: number; finished: number; failed: number; running: number; dup: number };
  steps: { steps: number; calls: number };
  stops: { answers: number; max_turns: number };
  tools: { accepted: number; rejected: number };
  /** per role; the model-call totals are their sums (role is never NULL), read in the same pass */
  roles: readonly { role: string; calls: number; failed: number; tin: number; tout: number; lat: number }[];
  /** per server (serversSql) */
  servers: readonly { server: string; calls: number; errors: number; lat: number; p95: number }[];
  runs: { n: number };
  failedItems: readonly { code: string; items: number; attempts: number }[];
  retried: { n: number };
}

/** The status record from the counts (both backends). */
export function statusOf({ items, steps, stops, tools, roles, servers, runs, failedItems, retried }: StatusCounts): RunStatusWithFailures {
  const sum = (key: 'calls' | 'failed' | 'tin' | 'tout'): number => roles.reduce((n, r) => n + Number(r[key]), 0);
  return RunStatusWithFailuresSchema.parse({
    runs: runs.n,
    items_total: items.total,
    items_pending: items.total - items.finished,
    traces_finished: items.finished,
    traces_failed: items.failed,
    traces_running: items.running,
    duplicates: items.dup,
    steps: steps.steps,
    tool_calls: steps.calls,
    answers: stops.answers,
    stopped_at_max_turns: stops.max_turns,
    model_calls: sum('calls'),
    model_calls_failed: sum('failed'),
    tokens_in: sum('tin'),
    tokens_out: sum('tout'),
    tools_accepted: tools.accepted,
    tools_rejected: tools.rejected,
    failures_by_code: Object.fromEntries(failedItems.map((f) => [f.code, { items: f.items, attempts: f.attempts }])),
    items_retried: retried.n,
    by_role: Object.fromEntries(
      roles.map((r) => [r.role, { calls: r.calls, tokens_in: r.tin, tokens_out: r.tout, mean_latency_ms: Math.round(r.lat * 10) / 10 }]),
    ),
    by_server: Object.fromEntries(
      servers.map((s) => [
        s.server,
        { calls: Number(s.calls), errors: Number(s.errors), mean_latency_ms: Math.round(Number(s.lat) * 10) / 10, p95_latency_ms: Number(s.p95) },
      ]),
    ),
  });
}
