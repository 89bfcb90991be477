import { type CallAuditRecord, CallAuditRecordSchema } from '../schema/fidelity.js';
import type { Db } from './db.js';
import { jsonOf, recordOf } from './rows.js';

/** A call_audits row joined with its trace's item (both backends). */
export interface CallAuditRow {
  id: number;
  trace_id: number;
  item_id: string;
  step: number;
  tool: string;
  mode: string;
  source: string;
  arguments: string;
  real: string | null;
  simulated: string | null;
  error: string | null;
  failed: number;
  latency_ms_real: number;
  latency_ms_simulated: number;
  metrics: string;
}

/** The audits of finished traces (of one run, or all), in trace then step order: what `mtr status` aggregates. */
export const AUDITS_OF_FINISHED = (oneRun: boolean): string =>
  `SELECT a.*, t.item_id FROM call_audits a JOIN traces t ON t.id = a.trace_id
    WHERE t.status = 'finished'${oneRun ? ' AND t.run_id = ?' : ''} ORDER BY a.trace_id, a.step, a.id`;

export const callAuditOf = (r: CallAuditRow): CallAuditRecord =>
  recordOf(CallAuditRecordSchema, 'call_audits', r.id, {
    trace_id: r.trace_id,
    item_id: r.item_id,
    step: r.step,
    tool: r.tool,
    mode: r.mode,
    source: r.source,
    arguments: jsonOf('call_audits', r.id, 'arguments', r.arguments),
    real: jsonOf('call_audits', r.id, 'real', r.real) ?? null,
    simulated: jsonOf('call_audits', r.id, 'simulated', r.simulated) ?? null,
    ...(r.error !== null ? { error: r.error } : {}),
    failed: r.failed === 1,
    latency_ms_real: r.latency_ms_real,
    latency_ms_simulated: r.latency_ms_simulated,
    metrics: jsonOf('call_audits', r.id, 'metrics', r.metrics),
  });

export function listAudits(db: Db, runId?: number): CallAuditRecord[] {
  // a store read without migrating (read only) from before the table has no audits
  if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'call_audits'`).get()) return [];
  const rows = db.prepare(AUDITS_OF_FINISHED(runId !== undefined)).all(...(runId === undefined ? [] : [runId])) as CallAuditRow[];
  return rows.map(callAuditOf);
}
