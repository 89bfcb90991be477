import {
  type CallMinute,
  CallMinuteSchema,
  type TraceMinute,
  TraceMinuteSchema,
  type TracePage,
  type TracePageQuery,
  TraceRowSchema,
  type TraceShape,
  TraceShapeSchema,
  type VerdictConfig,
  VerdictConfigSchema,
} from '../schema/browse.js';
import type { Db } from './db.js';
import { jsonOf, recordOf } from './rows.js';

/** `%`, `_` and `\` in a search are literal characters, not LIKE patterns. */
const likeText = (q: string): string => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * One page of traces under filters, newest id last. The WHERE is built once for the count and the page; the
 * items table is joined only when a filter needs it, and the page's rows are read by id after LIMIT/OFFSET,
 * so a page costs one index walk, not a read of the run.
 */
export function tracePage(db: Db, q: TracePageQuery): TracePage {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (sql: string, ...values: (string | number)[]): void => {
    where.push(sql);
    params.push(...values);
  };
  if (q.runId !== undefined) add('t.run_id = ?', q.runId);
  if (q.traceId !== undefined) add('t.id = ?', q.traceId);
  if (q.status !== undefined) add('t.status = ?', q.status);
  // a run is mostly one dataset: a dataset filter every item of the run passes is dropped (no join for it)
  const dataset =
    q.dataset !== undefined && q.runId !== undefined && !db.prepare('SELECT 1 FROM items WHERE run_id = ? AND dataset <> ? LIMIT 1').get(q.runId, q.dataset)
      ? undefined
      : q.dataset;
  const joinItems = dataset !== undefined || q.q !== undefined;
  if (dataset !== undefined) add('i.dataset = ?', dataset);
  if (q.q !== undefined) add(`i.question LIKE ? ESCAPE '\\'`, likeText(q.q));
  const config = q.configHash ?? '';
  if (q.reason !== undefined) add('t.id IN (SELECT v.trace_id FROM verdicts v WHERE v.config_hash = ? AND v.reason = ? AND v.pass = 0)', config, q.reason);
  if (q.check !== undefined) add('t.id IN (SELECT v.trace_id FROM verdicts v WHERE v.config_hash = ? AND v.check_name = ? AND v.pass = 0)', config, q.check);
  // the type as summarizeVerdicts reads it from the details: error.type, or 'unknown'
  if (q.errorType !== undefined)
    add(
      `t.id IN (SELECT v.trace_id FROM verdicts v WHERE v.config_hash = ? AND v.reason = 'invalid_arguments' AND v.pass = 0
        AND COALESCE(CAST(json_extract(v.details, '$.error.type') AS TEXT), 'unknown') = ?)`,
      config,
      q.errorType,
    );
  if (q.verdict !== undefined) {
    const failedAny = 't.id IN (SELECT v.trace_id FROM verdicts v WHERE v.config_hash = ? AND v.pass = 0)';
    if (q.verdict === 'failed') add(failedAny, config);
    else add('t.id IN (SELECT v.trace_id FROM verdicts v WHERE v.config_hash = ?)', config);
    if (q.verdict === 'passed') add(`NOT ${failedAny}`, config);
  }
  const from = `traces t${joinItems ? ' JOIN items i ON i.run_id = t.run_id AND i.item_id = t.item_id' : ''}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM ${from}`).get(...params) as { n: number }).n;
  const ids = (db.prepare(`SELECT t.id FROM ${from} ORDER BY t.id LIMIT ? OFFSET ?`).all(...params, q.limit, q.offset) as { id: number }[]).map((r) => r.id);
  if (!ids.length) return { total, items: [] };
  const marks = ids.map(() => '?').join(',');
  const rows = db
    .prepare(`SELECT t.id, t.run_id, t.item_id, i.dataset, i.question, i.answers, t.status, t.answer, t.error_code
      FROM traces t JOIN items i ON i.run_id = t.run_id AND i.item_id = t.item_id WHERE t.id IN (${marks}) ORDER BY t.id`)
    .all(...ids) as TracePageRow[];
  const failed =
    q.configHash === undefined
      ? []
      : (db
          .prepare(`SELECT trace_id, reason FROM verdicts WHERE config_hash = ? AND pass = 0 AND trace_id IN (${marks})`)
          .all(q.configHash, ...ids) as FailedReason[]);
  return tracePageOf(total, rows, failed);
}

/** A trace-list row as both backends select it (traces joined with their items). */
export interface TracePageRow {
  id: number;
  run_id: number;
  item_id: string;
  dataset: string;
  question: string;
  answers: string;
  status: string;
  answer: string | null;
  error_code: string | null;
}
export interface FailedReason {
  trace_id: number;
  reason: string;
}

/** The page from its rows and their failed verdicts' reasons (both backends). */
export function tracePageOf(total: number, rows: readonly TracePageRow[], failed: readonly FailedReason[]): TracePage {
  const reasons = new Map<number, Set<string>>();
  for (const f of failed) reasons.set(f.trace_id, (reasons.get(f.trace_id) ?? new Set()).add(f.reason));
  return {
    total,
    items: rows.map((r) =>
      recordOf(TraceRowSchema, 'traces', r.id, {
        trace_id: r.id,
        run_id: r.run_id,
        item_id: r.item_id,
        dataset: r.dataset,
        question: r.question,
        gold: jsonOf('items', `${r.run_id}/${r.item_id}`, 'answers', r.answers),
        status: r.status,
        answer: r.answer,
        error_code: r.error_code,
        reasons: [...(reasons.get(r.id) ?? [])].sort(),
      }),
    ),
  };
}

/** Traces of a run grouped by status, step count and tool-call count. */
export function traceShapes(db: Db, runId: number): TraceShape[] {
  const rows = db
    .prepare(`SELECT t.status, COALESCE(s.steps, 0) AS steps, COALESCE(s.calls, 0) AS tool_calls, COUNT(*) AS traces
      FROM traces t LEFT JOIN (SELECT trace_id, COUNT(*) AS steps, SUM(call IS NOT NULL) AS calls FROM steps GROUP BY trace_id) s ON s.trace_id = t.id
      WHERE t.run_id = ? GROUP BY t.status, steps, tool_calls ORDER BY t.status, steps, tool_calls`)
    .all(runId) as TraceShape[];
  return rows.map((r, i) => recordOf(TraceShapeSchema, 'traces', `shape ${i}`, r));
}

/** Traces of a run that ended, per minute. */
export function traceMinutes(db: Db, runId: number): TraceMinute[] {
  const rows = db
    .prepare(`SELECT strftime('%Y-%m-%dT%H:%M', finished_at) AS minute, SUM(status = 'finished') AS finished, SUM(status = 'failed') AS failed
      FROM traces WHERE run_id = ? AND finished_at IS NOT NULL GROUP BY minute ORDER BY minute`)
    .all(runId) as TraceMinute[];
  return rows.map((r) => recordOf(TraceMinuteSchema, 'traces', r.minute, r));
}

/** A run's model calls per minute and role. */
export function callMinutes(db: Db, runId: number): CallMinute[] {
  const rows = db
    .prepare(`SELECT strftime('%Y-%m-%dT%H:%M', m.created_at) AS minute, m.role, COUNT(*) AS calls, SUM(m.ok = 0) AS failed,
        SUM(m.tokens_in) AS tokens_in, SUM(m.tokens_out) AS tokens_out, AVG(m.latency_ms) AS mean_latency_ms
      FROM model_calls m JOIN traces t ON t.id = m.trace_id WHERE t.run_id = ? GROUP BY minute, m.role ORDER BY minute, m.role`)
    .all(runId) as CallMinute[];
  return rows.map((r) => recordOf(CallMinuteSchema, 'model_calls', `${r.minute}/${r.role}`, r));
}

/** The check config whose verdicts were written last on a run's traces (any run's when left out): found from the newest verdict back (CROSS JOIN keeps verdicts the outer loop, walked by rowid). */
export function latestVerdictConfig(db: Db, runId?: number): string | undefined {
  const row = db
    .prepare(
      runId === undefined
        ? 'SELECT config_hash FROM verdicts ORDER BY rowid DESC LIMIT 1'
        : 'SELECT v.config_hash FROM verdicts v CROSS JOIN traces t ON t.id = v.trace_id WHERE t.run_id = ? ORDER BY v.rowid DESC LIMIT 1',
    )
    .get(...(runId === undefined ? [] : [runId])) as { config_hash: string } | undefined;
  return row?.config_hash;
}

/** The check configs with verdicts on a run's traces (every run's when left out), the last used first. */
export function verdictConfigs(db: Db, runId?: number): VerdictConfig[] {
  const rows = db
    .prepare(`SELECT v.config_hash, COUNT(DISTINCT v.trace_id) AS traces, MAX(v.created_at) AS last_at FROM verdicts v
      ${runId === undefined ? '' : 'JOIN traces t ON t.id = v.trace_id WHERE t.run_id = ?'} GROUP BY v.config_hash ORDER BY last_at DESC, v.config_hash`)
    .all(...(runId === undefined ? [] : [runId])) as VerdictConfig[];
  return rows.map((r) => recordOf(VerdictConfigSchema, 'verdicts', r.config_hash, r));
}
