import type { CallAuditRecord } from '../../schema/fidelity.js';
import { AUDITS_OF_FINISHED, type CallAuditRow, callAuditOf } from '../audits.js';
import type { Q } from './db.js';

/** Audit rows on PostgreSQL: the SQL of src/store/audits.ts, rows read through the same function. */
export async function listAudits(q: Q, runId?: number): Promise<CallAuditRecord[]> {
  if (!(await q.one<{ t: string | null }>(`SELECT to_regclass('call_audits')::text AS t`))?.t) return [];
  return (await q.all<CallAuditRow>(AUDITS_OF_FINISHED(runId !== undefined), runId === undefined ? [] : [runId])).map(callAuditOf);
}
