import {
  type CallMinute,
  CallMinuteSchema,
  type TraceMinute,
  TraceMinuteSchema,
  type TracePage,
  type TracePageQuery,
  type TraceShape,
  TraceShapeSchema,
  type VerdictConfig,
  VerdictConfigSchema,
} from '../../schema/browse.js';
import { type FailedReason, type TracePageRow, tracePageOf } from '../browse.js';
import { recordOf } from '../rows.js';
import type { Q } from './db.js';

/** `mtr view`'s queries on PostgreSQL: the SQL of src/store/browse.ts (ILIKE for SQLite's ASCII-case-insensitive LIKE). */

const likeText = (q: string): string => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
/** `YYYY-MM-DDTHH:MM` of a stored `YYYY-MM-DD HH:MM:SS` (SQLite: strftime('%Y-%m-%dT%H:%M', …)) */
const minuteOf = (column: string): string => `substr(${column}, 1, 10) || 'T' || substr(${column}, 12, 5)`;

export async function tracePage(db: Q, q: TracePageQuery): Promise<TracePage> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (sql: string, ...values: (string | number)[]) => {
    where.push(sql);
    params.push(...values);
  };
  if (q.runId !== undefined) add('t.run_id = ?', q.runId);
  if (q.traceId !== undefined) add('t.id = ?', q.traceId);
  if (q.status !== undefined) add('t.status = ?', q.status);
  const joinItems = q.dataset !== undefined || q.q !== undefined;
  if (q.dataset !== undefined) add('i.dataset = ?', q.dataset);
  if (q.q !== undefined) add(`i.question ILIKE ? ESCAPE '\\'`, likeText(q.q));
  const config = q.configHash ?? '';
  const failed = (also: string) => `EXISTS (SELECT 1 FROM verdicts v WHERE v.trace_id = t.id AND v.config_hash = ? AND v.pass = 0${also})`;
  if (q.reason !== undefined) add(failed(' AND v.reason = ?'), config, q.reason);
  if (q.check !== undefined) add(failed(' AND v.check_name = ?'), config, q.check);
  // the type as summarizeVerdicts reads it from the details: error.type, or 'unknown'
  if (q.errorType !== undefined)
    add(failed(` AND v.reason = 'invalid_arguments' AND COALESCE(v.details::jsonb -> 'error' ->> 'type', 'unknown') = ?`), config, q.errorType);
  if (q.verdict === 'failed') add(failed(''), config);
  else if (q.verdict !== undefined) add('EXISTS (SELECT 1 FROM verdicts v WHERE v.trace_id = t.id AND v.config_hash = ?)', config);
  if (q.verdict === 'passed') add(`NOT ${failed('')}`, config);
  const from = `traces t${joinItems ? ' JOIN items i ON i.run_id = t.run_id AND i.item_id = t.item_id' : ''}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  const total = (await db.one<{ n: number }>(`SELECT COUNT(*) AS n FROM ${from}`, params))!.n;
  const ids = (await db.all<{ id: number }>(`SELECT t.id FROM ${from} ORDER BY t.id LIMIT ? OFFSET ?`, [...params, q.limit, q.offset])).map((r) => r.id);
  if (!ids.length) return { total, items: [] };
  const rows = await db.all<TracePageRow>(
    `SELECT t.id, t.run_id, t.item_id, i.dataset, i.question, i.answers, t.status, t.answer, t.error_code
      FROM traces t JOIN items i ON i.run_id = t.run_id AND i.item_id = t.item_id WHERE t.id = ANY(?::bigint[]) ORDER BY t.id`,
    [ids],
  );
  const reasons =
    q.configHash === undefined
      ? []
      : await db.all<FailedReason>('SELECT trace_id, reason FROM verdicts WHERE config_hash = ? AND pass = 0 AND trace_id = ANY(?::bigint[])', [
          q.configHash,
          ids,
        ]);
  return tracePageOf(total, rows, reasons);
}

export async function traceShapes(db: Q, runId: number): Promise<TraceShape[]> {
  const rows = await db.all<TraceShape>(
    `SELECT t.status, COALESCE(s.steps, 0) AS steps, COALESCE(s.calls, 0) AS tool_calls, COUNT(*) AS traces
      FROM traces t LEFT JOIN (SELECT trace_id, COUNT(*) AS steps, COUNT(call) AS calls FROM steps GROUP BY trace_id) s ON s.trace_id = t.id
      WHERE t.run_id = ? GROUP BY t.status, 2, 3 ORDER BY t.status COLLATE "C", 2, 3`,
    [runId],
  );
  return rows.map((r, i) => recordOf(TraceShapeSchema, 'traces', `shape ${i}`, r));
}

export async function traceMinutes(db: Q, runId: number): Promise<TraceMinute[]> {
  const rows = await db.all<TraceMinute>(
    `SELECT ${minuteOf('finished_at')} AS minute, COUNT(*) FILTER (WHERE status = 'finished') AS finished, COUNT(*) FILTER (WHERE status = 'failed') AS failed
      FROM traces WHERE run_id = ? AND finished_at IS NOT NULL GROUP BY 1 ORDER BY 1`,
    [runId],
  );
  return rows.map((r) => recordOf(TraceMinuteSchema, 'traces', r.minute, r));
}

export async function callMinutes(db: Q, runId: number): Promise<CallMinute[]> {
  const rows = await db.all<CallMinute>(
    `SELECT ${minuteOf('m.created_at')} AS minute, m.role, COUNT(*) AS calls, COUNT(*) FILTER (WHERE m.ok = 0) AS failed,
        SUM(m.tokens_in) AS tokens_in, SUM(m.tokens_out) AS tokens_out, AVG(m.latency_ms) AS mean_latency_ms
      FROM model_calls m JOIN traces t ON t.id = m.trace_id WHERE t.run_id = ? GROUP BY 1, m.role ORDER BY 1, m.role COLLATE "C"`,
    [runId],
  );
  return rows.map((r) => recordOf(CallMinuteSchema, 'model_calls', `${r.minute}/${r.role}`, r));
}

export async function verdictConfigs(db: Q, runId?: number): Promise<VerdictConfig[]> {
  const rows = await db.all<VerdictConfig>(
    `SELECT v.config_hash, COUNT(DISTINCT v.trace_id) AS traces, MAX(v.created_at) AS last_at FROM verdicts v
      ${runId === undefined ? '' : 'JOIN traces t ON t.id = v.trace_id WHERE t.run_id = ?'} GROUP BY v.config_hash ORDER BY last_at DESC, v.config_hash COLLATE "C"`,
    runId === undefined ? [] : [runId],
  );
  return rows.map((r) => recordOf(VerdictConfigSchema, 'verdicts', r.config_hash, r));
}

/** The check config of the newest verdict on a run's traces (any run's when left out); SQLite reads it by rowid, here by created_at then the writing transaction (xmin). */
export async function latestVerdictConfig(db: Q, runId?: number): Promise<string | undefined> {
  const row = await db.one<{ config_hash: string }>(
    runId === undefined
      ? 'SELECT config_hash FROM verdicts ORDER BY created_at DESC, xmin::text::bigint DESC LIMIT 1'
      : 'SELECT v.config_hash FROM verdicts v JOIN traces t ON t.id = v.trace_id WHERE t.run_id = ? ORDER BY v.created_at DESC, v.xmin::text::bigint DESC LIMIT 1',
    runId === undefined ? [] : [runId],
  );
  return row?.config_hash;
}
