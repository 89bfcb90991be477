import { MtrError } from '../../schema/errors.js';
import type { ModelCall } from '../../schema/model-call.js';
import type { Provenance, RunToolRow } from '../../schema/run.js';
import type { StopReason, TraceRecord } from '../../schema/trace.js';
import { type RunToolDbRow, runToolOf, type StepRow, type ToolRow, type TraceRow, traceOf } from '../read.js';
import type { TracePieces } from '../store.js';
import { type ModelCallRow, modelCallOf, PIECE_INSERTS, pieceRows } from '../traces.js';
import { provenanceOf } from '../verdicts.js';
import { insertMany, type PgDb, type Q } from './db.js';

/** Traces and model calls on PostgreSQL: the SQL of src/store/traces.ts and read.ts, rows read through the same functions. */

export async function beginTrace(q: Q, runId: number, itemId: string): Promise<number> {
  return (await q.one<{ id: number }>(`INSERT INTO traces (run_id, item_id, status) VALUES (?, ?, 'running') RETURNING id`, [runId, itemId]))!.id;
}

/**
 * Writes a running trace's pieces and ends it in ONE transaction. The trace row is locked first (FOR UPDATE), so
 * two processes ending the same trace are serialised; the unique index refuses a second finished trace of an item.
 */
async function endTrace(q: Q, traceId: number, pieces: TracePieces, end: () => Promise<unknown>): Promise<void> {
  const row = await q.one<{ status: string }>('SELECT status FROM traces WHERE id = ? FOR UPDATE', [traceId]);
  if (row?.status !== 'running')
    throw new MtrError('E_STORE', `trace ${traceId}: expected a running trace, got ${row ? `a ${row.status} one` : 'none (dropped by a resume?)'}`);
  const rows = pieceRows(traceId, pieces);
  await insertMany(q, PIECE_INSERTS.tools, rows.tools);
  if (rows.classification) await q.run('UPDATE traces SET classification = ? WHERE id = ?', [rows.classification, traceId]);
  await insertMany(q, PIECE_INSERTS.steps, rows.steps);
  await insertMany(q, PIECE_INSERTS.calls, rows.calls);
  await insertMany(q, PIECE_INSERTS.audits, rows.audits);
  await end();
}

/** finishTrace inside a caller's transaction (a worker frees the item's lease in the same one). */
export const finishTraceIn = (q: Q, traceId: number, pieces: TracePieces, end: { stopReason: StopReason; answer?: string | undefined }): Promise<void> =>
  endTrace(q, traceId, pieces, () =>
    q.run(`UPDATE traces SET status = 'finished', stop_reason = ?, answer = ?, finished_at = mtr_now() WHERE id = ?`, [
      end.stopReason,
      end.answer ?? null,
      traceId,
    ]),
  );

export const failTraceIn = (q: Q, traceId: number, pieces: TracePieces, error: { code: string; message: string }): Promise<void> =>
  endTrace(q, traceId, pieces, () =>
    q.run(`UPDATE traces SET status = 'failed', error = ?, error_code = ?, finished_at = mtr_now() WHERE id = ?`, [error.message, error.code, traceId]),
  );

export function finishTrace(db: PgDb, traceId: number, pieces: TracePieces, end: { stopReason: StopReason; answer?: string | undefined }): Promise<void> {
  return db.tx((q) => finishTraceIn(q, traceId, pieces, end));
}

export function failTrace(db: PgDb, traceId: number, pieces: TracePieces, error: { code: string; message: string }): Promise<void> {
  return db.tx((q) => failTraceIn(q, traceId, pieces, error));
}

export async function traceCalls(q: Q, traceId: number): Promise<ModelCall[]> {
  return (await q.all<ModelCallRow>('SELECT * FROM model_calls WHERE trace_id = ? ORDER BY id', [traceId])).map(modelCallOf);
}

export async function readTrace(q: Q, traceId: number): Promise<TraceRecord | undefined> {
  return (await readTracesWhere(q, 't.id = ?', [traceId]))[0];
}

/** Traces of a run in item order, read in three queries (traces, their tools, their steps), not three per trace. */
export function readTraces(q: Q, runId: number, status?: TraceRecord['status']): Promise<TraceRecord[]> {
  return readTracesWhere(q, `t.run_id = ?${status ? ' AND t.status = ?' : ''}`, status ? [runId, status] : [runId]);
}

async function readTracesWhere(q: Q, where: string, params: (string | number)[]): Promise<TraceRecord[]> {
  const traces = await q.all<TraceRow>(
    `SELECT t.* FROM traces t JOIN items i ON i.run_id = t.run_id AND i.item_id = t.item_id WHERE ${where} ORDER BY i.ord, t.id`,
    params,
  );
  if (!traces.length) return [];
  const ids = traces.map((t) => t.id);
  const tools = group(await q.all<ToolRow & { trace_id: number }>('SELECT * FROM tools WHERE trace_id = ANY(?::bigint[]) ORDER BY id', [ids]));
  const steps = group(await q.all<StepRow & { trace_id: number }>('SELECT * FROM steps WHERE trace_id = ANY(?::bigint[]) ORDER BY idx', [ids]));
  return traces.map((t) => traceOf(t, tools.get(t.id) ?? [], steps.get(t.id) ?? []));
}

const group = <R extends { trace_id: number }>(rows: R[]): Map<number, R[]> => {
  const out = new Map<number, R[]>();
  for (const r of rows) out.set(r.trace_id, [...(out.get(r.trace_id) ?? []), r]);
  return out;
};

export async function runTools(q: Q, filter: { runId?: number; origin?: string; finishedOnly?: boolean } = {}): Promise<RunToolRow[]> {
  const where = ['x.accepted = 1'];
  const params: (string | number)[] = [];
  if (filter.runId !== undefined) {
    where.push('t.run_id = ?');
    params.push(filter.runId);
  }
  if (filter.origin !== undefined) {
    where.push('x.origin = ?');
    params.push(filter.origin);
  }
  if (filter.finishedOnly) where.push(`t.status = 'finished'`);
  const rows = await q.all<RunToolDbRow>(
    `SELECT x.id, t.run_id, x.trace_id, t.item_id, x.name, x.origin, x.schema FROM tools x JOIN traces t ON t.id = x.trace_id
      WHERE ${where.join(' AND ')} ORDER BY t.id, x.id`,
    params,
  );
  return rows.map(runToolOf);
}

export async function runProvenance(q: Q, runId: number): Promise<Provenance[]> {
  const rows = await q.all<Provenance>(
    `SELECT m.role, m.model, m.prompt_file, m.prompt_hash, COUNT(*) AS calls FROM model_calls m JOIN traces t ON t.id = m.trace_id
      WHERE t.run_id = ? GROUP BY m.role, m.model, m.prompt_file, m.prompt_hash ORDER BY m.role COLLATE "C", m.prompt_file COLLATE "C", m.model COLLATE "C"`,
    [runId],
  );
  return rows.map(provenanceOf);
}
