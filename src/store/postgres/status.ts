import { MtrError } from '../../schema/errors.js';
import type { RunStatusWithFailures } from '../../schema/status.js';
import { type StatusCounts, serversSql, statusOf, stepsSql } from '../status.js';
import type { Q } from './db.js';

/** Totals over one run, or over every run: the counts of src/store/status.ts in PostgreSQL's dialect (COUNT … FILTER for SQLite's SUM of a comparison). */
export async function runStatus(q: Q, runId?: number): Promise<RunStatusWithFailures> {
  if (runId !== undefined && !Number.isSafeInteger(runId)) throw new MtrError('E_INTERNAL', `run id: expected an integer, got ${runId}`); // inlined into SQL below
  /** `column = runId`, or no restriction when every run is counted (an integer, so inlined) */
  const of = (column: string): string => (runId === undefined ? 'TRUE' : `${column} = ${runId}`);
  const tw = of('t.run_id');
  const one = async <T>(sql: string): Promise<T> => (await q.one<T>(sql))!;
  const finishedTraces = `SELECT id FROM traces t WHERE ${tw} AND t.status = 'finished'`;
  const callWhere = `trace_id IN (SELECT id FROM traces t WHERE ${tw})`;
  const [items, steps, stops, tools, roles, servers, runs, failedItems, retried] = await Promise.all([
    // per item from its traces, as src/store/status.ts counts them
    one<StatusCounts['items']>(`
      SELECT (SELECT COUNT(*) FROM items i WHERE ${of('i.run_id')}) AS total, COUNT(*) FILTER (WHERE fin >= 1) AS finished,
        COUNT(*) FILTER (WHERE fin = 0 AND failed > 0 AND running = 0) AS failed,
        COUNT(*) FILTER (WHERE fin = 0 AND running > 0) AS running, COUNT(*) FILTER (WHERE fin > 1) AS dup
      FROM (SELECT COUNT(*) FILTER (WHERE t.status = 'finished') AS fin, COUNT(*) FILTER (WHERE t.status = 'failed') AS failed,
          COUNT(*) FILTER (WHERE t.status = 'running') AS running
        FROM traces t WHERE ${tw} GROUP BY t.run_id, t.item_id) AS per_item`),
    one<StatusCounts['steps']>(stepsSql(finishedTraces)),
    one<StatusCounts['stops']>(
      `SELECT COUNT(*) FILTER (WHERE stop_reason = 'answer') AS answers, COUNT(*) FILTER (WHERE stop_reason = 'max_turns') AS max_turns FROM traces t WHERE ${tw} AND t.status = 'finished'`,
    ),
    one<StatusCounts['tools']>(
      `SELECT COUNT(*) FILTER (WHERE accepted = 1) AS accepted, COUNT(*) FILTER (WHERE accepted = 0) AS rejected FROM tools WHERE trace_id IN (${finishedTraces})`,
    ),
    q.all<StatusCounts['roles'][number]>(
      `SELECT role, COUNT(*) AS calls, COUNT(*) FILTER (WHERE ok = 0) AS failed, SUM(tokens_in) AS tin, SUM(tokens_out) AS tout, AVG(latency_ms) AS lat FROM model_calls WHERE ${callWhere} GROUP BY role ORDER BY role COLLATE "C"`,
    ),
    q.all<StatusCounts['servers'][number]>(serversSql(callWhere)),
    one<StatusCounts['runs']>(`SELECT COUNT(*) AS n FROM runs WHERE ${of('id')}`),
    q.all<StatusCounts['failedItems'][number]>(`SELECT code, COUNT(*) AS items, SUM(attempts) AS attempts FROM (
        SELECT COUNT(*) AS attempts,
          (SELECT COALESCE(l.error_code, 'unknown') FROM traces l WHERE l.run_id = t.run_id AND l.item_id = t.item_id AND l.status = 'failed' ORDER BY l.id DESC LIMIT 1) AS code
        FROM traces t WHERE ${tw} AND t.status = 'failed'
          AND NOT EXISTS (SELECT 1 FROM traces o WHERE o.run_id = t.run_id AND o.item_id = t.item_id AND o.status IN ('finished', 'running'))
        GROUP BY t.run_id, t.item_id) AS per_item
      GROUP BY code ORDER BY items DESC, code COLLATE "C"`),
    one<StatusCounts['retried']>(`SELECT COUNT(*) AS n FROM traces t WHERE ${tw} AND t.status = 'finished'
      AND EXISTS (SELECT 1 FROM traces f WHERE f.run_id = t.run_id AND f.item_id = t.item_id AND f.status = 'failed')`),
  ]);
  return statusOf({ items, steps, stops, tools, roles, servers, runs, failedItems, retried });
}
