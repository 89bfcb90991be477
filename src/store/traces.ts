import { MtrError } from '../schema/errors.js';
import { type ModelCall, ModelCallSchema } from '../schema/model-call.js';
import type { RejectedTool, StopReason } from '../schema/trace.js';
import { type Db, jsonColumn } from './db.js';
import { jsonOf, recordOf } from './rows.js';
import type { TracePieces } from './store.js';

/** A 'running' trace row for an item (visible to status; a resume drops it). Returns its id. */
export function beginTrace(db: Db, runId: number, itemId: string): number {
  return Number(db.prepare(`INSERT INTO traces (run_id, item_id, status) VALUES (?, ?, 'running')`).run(runId, itemId).lastInsertRowid);
}

/** Writes a running trace's pieces and ends it (finished or failed) in ONE transaction: all of it lands, or none. */
function endTrace(db: Db, traceId: number, pieces: TracePieces, end: () => void): void {
  db.transaction(() => {
    const row = db.prepare('SELECT status FROM traces WHERE id = ?').get(traceId) as { status: string } | undefined;
    if (row?.status !== 'running')
      throw new MtrError('E_STORE', `trace ${traceId}: expected a running trace, got ${row ? `a ${row.status} one` : 'none (dropped by a resume?)'}`);
    writePieces(db, traceId, pieces);
    end();
  }).immediate(); // reads, then writes: a deferred transaction would fail at once (SQLITE_BUSY, no busy wait) when validate/export wrote in between
}

function writePieces(db: Db, traceId: number, p: TracePieces): void {
  const tool = db.prepare(`INSERT INTO tools (trace_id, name, origin, accepted, schema, reasons, attempt) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const step = db.prepare(`INSERT INTO steps (trace_id, idx, think, call, observation, answer, raw) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const call =
    db.prepare(`INSERT INTO model_calls (trace_id, role, model, prompt_file, prompt_hash, params, tokens_in, tokens_out, latency_ms, attempt, ok, error, raw)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  for (const t of p.tools) tool.run(traceId, t.tool.api_name, t.origin, 1, JSON.stringify(t.tool), null, 0);
  for (const r of p.rejected) tool.run(traceId, rejectedName(r), 'maker', 0, JSON.stringify(r.tool), JSON.stringify(r.reasons), r.attempt);
  if (p.classification) db.prepare('UPDATE traces SET classification = ? WHERE id = ?').run(JSON.stringify(p.classification), traceId);
  for (const s of p.steps) step.run(traceId, s.index, s.think, jsonColumn(s.call), jsonColumn(s.observation), s.answer ?? null, s.raw);
  for (const c of p.calls)
    call.run(
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
    );
}

const rejectedName = (r: RejectedTool): string =>
  typeof r.tool === 'object' && r.tool && 'api_name' in r.tool ? String((r.tool as { api_name: unknown }).api_name) : '?';

export function finishTrace(db: Db, traceId: number, pieces: TracePieces, end: { stopReason: StopReason; answer?: string | undefined }): void {
  endTrace(db, traceId, pieces, () =>
    db
      .prepare(`UPDATE traces SET status = 'finished', stop_reason = ?, answer = ?, finished_at = datetime('now') WHERE id = ?`)
      .run(end.stopReason, end.answer ?? null, traceId),
  );
}

export function failTrace(db: Db, traceId: number, pieces: TracePieces, error: { code: string; message: string }): void {
  endTrace(db, traceId, pieces, () =>
    db
      .prepare(`UPDATE traces SET status = 'failed', error = ?, error_code = ?, finished_at = datetime('now') WHERE id = ?`)
      .run(error.message, error.code, traceId),
  );
}

/** A trace's model calls in the order they were stored. */
export function traceCalls(db: Db, traceId: number): ModelCall[] {
  const rows = db.prepare('SELECT * FROM model_calls WHERE trace_id = ? ORDER BY id').all(traceId) as (Record<string, unknown> & {
    id: number;
    params: string;
    ok: number;
    error: string | null;
    raw: string | null;
  })[];
  return rows.map((r) =>
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
    }),
  );
}
