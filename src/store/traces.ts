import { MtrError } from '../schema/errors.js';
import { type ModelCall, ModelCallSchema } from '../schema/model-call.js';
import type { RejectedTool, StopReason } from '../schema/trace.js';
import type { Statement } from 'better-sqlite3';
import { type Db, jsonColumn } from './db.js';
import { jsonOf, recordOf } from './rows.js';
import type { TracePieces } from './store.js';

/** Statements prepared once per connection: a trace's end runs six of them, and preparing costs more than running. */
const prepared = new WeakMap<Db, Map<string, Statement>>();
function stmt(db: Db, sql: string): Statement {
  let byText = prepared.get(db);
  if (!byText) prepared.set(db, (byText = new Map()));
  let s = byText.get(sql);
  if (!s) byText.set(sql, (s = db.prepare(sql)));
  return s;
}

/** A 'running' trace row for an item (visible to status; a resume drops it). Returns its id. */
export function beginTrace(db: Db, runId: number, itemId: string): number {
  return Number(stmt(db, `INSERT INTO traces (run_id, item_id, status) VALUES (?, ?, 'running')`).run(runId, itemId).lastInsertRowid);
}

/** Writes a running trace's pieces and ends it (finished or failed) in ONE transaction: all of it lands, or none. */
function endTrace(db: Db, traceId: number, pieces: TracePieces, end: () => void): void {
  db.transaction(() => {
    const row = stmt(db, 'SELECT status FROM traces WHERE id = ?').get(traceId) as { status: string } | undefined;
    if (row?.status !== 'running')
      throw new MtrError('E_STORE', `trace ${traceId}: expected a running trace, got ${row ? `a ${row.status} one` : 'none (dropped by a resume?)'}`);
    writePieces(db, traceId, pieces);
    end();
  }).immediate(); // reads, then writes: a deferred transaction would fail at once (SQLITE_BUSY, no busy wait) when validate/export wrote in between
}

/** The INSERTs of a trace's pieces, in column order (both backends; `?` placeholders, numbered on PostgreSQL). */
export const PIECE_INSERTS = {
  tools: 'INSERT INTO tools (trace_id, name, origin, accepted, schema, reasons, attempt) VALUES (?, ?, ?, ?, ?, ?, ?)',
  steps: 'INSERT INTO steps (trace_id, idx, think, call, observation, answer, raw) VALUES (?, ?, ?, ?, ?, ?, ?)',
  calls: `INSERT INTO model_calls (trace_id, role, model, prompt_file, prompt_hash, params, tokens_in, tokens_out, latency_ms, attempt, ok, error, raw, server)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  audits: `INSERT INTO call_audits (trace_id, step, tool, mode, source, arguments, real, simulated, error, failed, latency_ms_real, latency_ms_simulated, metrics)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
} as const;

type Value = string | number | null;

/** A trace's pieces as column values for PIECE_INSERTS, and its classification column: how both backends store them. */
export function pieceRows(
  traceId: number,
  p: TracePieces,
): { tools: Value[][]; steps: Value[][]; calls: Value[][]; audits: Value[][]; classification: string | null } {
  return {
    tools: [
      ...p.tools.map((t) => [traceId, t.tool.api_name, t.origin, 1, JSON.stringify(t.tool), null, 0]),
      ...p.rejected.map((r) => [traceId, rejectedName(r), 'maker', 0, JSON.stringify(r.tool), JSON.stringify(r.reasons), r.attempt]),
    ],
    steps: p.steps.map((s) => [traceId, s.index, s.think, jsonColumn(s.call), jsonColumn(s.observation), s.answer ?? null, s.raw]),
    calls: p.calls.map((c) => [
      traceId,
      c.role,
      c.model,
      c.prompt_file,
      c.prompt_hash,
      JSON.stringify(c.params),
      c.tokens_in,
      c.tokens_out,
      c.latency_ms,
      c.attempt,
      c.ok ? 1 : 0,
      c.error ?? null,
      c.raw ?? null,
      c.server ?? null,
    ]),
    audits: (p.audits ?? []).map((a) => [
      traceId,
      a.step,
      a.tool,
      a.mode,
      a.source,
      JSON.stringify(a.arguments),
      jsonColumn(a.real),
      jsonColumn(a.simulated),
      a.error ?? null,
      a.failed ? 1 : 0,
      a.latency_ms_real,
      a.latency_ms_simulated,
      JSON.stringify(a.metrics),
    ]),
    classification: p.classification ? JSON.stringify(p.classification) : null,
  };
}

function writePieces(db: Db, traceId: number, p: TracePieces): void {
  const rows = pieceRows(traceId, p);
  const tool = stmt(db, PIECE_INSERTS.tools);
  for (const r of rows.tools) tool.run(...r);
  if (rows.classification) stmt(db, 'UPDATE traces SET classification = ? WHERE id = ?').run(rows.classification, traceId);
  const step = stmt(db, PIECE_INSERTS.steps);
  for (const r of rows.steps) step.run(...r);
  const call = stmt(db, PIECE_INSERTS.calls);
  for (const r of rows.calls) call.run(...r);
  if (rows.audits.length) {
    const audit = stmt(db, PIECE_INSERTS.audits);
    for (const r of rows.audits) audit.run(...r);
  }
}

const rejectedName = (r: RejectedTool): string =>
  typeof r.tool === 'object' && r.tool && 'api_name' in r.tool ? String((r.tool as { api_name: unknown }).api_name) : '?';

export function finishTrace(db: Db, traceId: number, pieces: TracePieces, end: { stopReason: StopReason; answer?: string | undefined }): void {
  endTrace(db, traceId, pieces, () =>
    stmt(db, `UPDATE traces SET status = 'finished', stop_reason = ?, answer = ?, finished_at = datetime('now') WHERE id = ?`).run(
      end.stopReason,
      end.answer ?? null,
      traceId,
    ),
  );
}

export function failTrace(db: Db, traceId: number, pieces: TracePieces, error: { code: string; message: string }): void {
  endTrace(db, traceId, pieces, () =>
    stmt(db, `UPDATE traces SET status = 'failed', error = ?, error_code = ?, finished_at = datetime('now') WHERE id = ?`).run(
      error.message,
      error.code,
      traceId,
    ),
  );
}

/** A trace's model calls in the order they were stored. */
export function traceCalls(db: Db, traceId: number): ModelCall[] {
  return (db.prepare('SELECT * FROM model_calls WHERE trace_id = ? ORDER BY id').all(traceId) as ModelCallRow[]).map(modelCallOf);
}

export type ModelCallRow = Record<string, unknown> & {
  id: number;
  params: string;
  ok: number;
  error: string | null;
  raw: string | null;
  /** absent when the store is read without migrating (read only) from before the column */
  server?: string | null;
};

/** A model_calls row as the record (both backends). */
export const modelCallOf = (r: ModelCallRow): ModelCall =>
  recordOf(ModelCallSchema, 'model_calls', r.id, {
    role: r.role,
    model: r.model,
    prompt_file: r.prompt_file,
    prompt_hash: r.prompt_hash,
    params: jsonOf('model_calls', r.id, 'params', r.params),
    tokens_in: r.tokens_in,
    tokens_out: r.tokens_out,
    latency_ms: r.latency_ms,
    attempt: r.attempt,
    ok: r.ok === 1,
    ...(r.error !== null ? { error: r.error } : {}),
    ...(r.raw !== null ? { raw: r.raw } : {}),
    ...(typeof r.server === 'string' ? { server: r.server } : {}),
  });
