import type { DatasetItem } from '../../schema/item.js';
import type { StopReason } from '../../schema/trace.js';
import type { LeaseRules, WorkerRecord } from '../../schema/worker.js';
import { type ItemRow, itemFromRow } from '../runs.js';
import type { TracePieces, WorkerEnd } from '../store.js';
import { leasableSql, SETTLE_FINISHED, type WorkerRow, workerOf } from '../workers.js';
import type { PgDb, Q } from './db.js';
import { NOW_MS, refuseHeldRun } from './runs.js';
import { failTraceIn, finishTraceIn } from './traces.js';

/**
 * Workers on PostgreSQL: leases with SELECT … FOR UPDATE SKIP LOCKED on the items' own rows, not a queue library
 * (pg-boss, graphile-worker). Their jobs live in tables of their own, committed by their own connections: an
 * item's state would be kept twice, and finishing a trace and completing its job could not be one transaction.
 * Here the lease is a column of the item, freed in the transaction that stores the trace. Locks are always taken
 * items first, then traces, then the worker's row, so leases, finishes and heartbeats never deadlock. Times are the server's clock (ms since the epoch).
 */

export async function registerWorker(q: Q, runId: number, host: string, pid: number): Promise<number> {
  await refuseHeldRun(q, runId, pid);
  await q.run(SETTLE_FINISHED, [runId]); // one statement: racing workers settle the same rows twice, harmlessly
  const sql = `INSERT INTO workers (run_id, host, pid, started_ms, heartbeat_ms) VALUES (?, ?, ?, ${NOW_MS}, ${NOW_MS}) RETURNING id`;
  return (await q.one<{ id: number }>(sql, [runId, host, pid]))!.id;
}

export async function leaseItems(db: PgDb, workerId: number, n: number, ttlMs: number, rules: LeaseRules): Promise<DatasetItem[]> {
  return db.tx(async (q) => {
    const rows = await q.all<ItemRow & { ord: number }>(
      `WITH picked AS (
        SELECT i.run_id, i.item_id FROM items i WHERE i.run_id = (SELECT run_id FROM workers WHERE id = ?) AND i.settled = 0
          AND (i.lease_until IS NULL OR i.lease_until < ${NOW_MS})
          AND ${leasableSql('SELECT json_array_elements_text(?::json)')}
        ORDER BY i.ord LIMIT ? FOR UPDATE OF i SKIP LOCKED)
      UPDATE items u SET lease_owner = ?, lease_until = ${NOW_MS} + ? FROM picked p WHERE u.run_id = p.run_id AND u.item_id = p.item_id RETURNING u.*`,
      [workerId, JSON.stringify(rules.transientCodes), rules.maxAttempts, n, workerId, ttlMs],
    );
    if (rows.length)
      await q.run(`DELETE FROM traces WHERE run_id = ? AND status = 'running' AND item_id IN (SELECT json_array_elements_text(?::json))`, [
        rows[0]!.run_id,
        JSON.stringify(rows.map((r) => r.item_id)),
      ]); // the work of the expired leases
    return rows.sort((a, b) => a.ord - b.ord).map(itemFromRow);
  });
}

export async function heartbeat(db: PgDb, workerId: number, ttlMs: number): Promise<number> {
  return db.tx(async (q) => {
    const held = await q.run(`UPDATE items SET lease_until = ${NOW_MS} + ? WHERE lease_owner = ?`, [ttlMs, workerId]);
    await q.run(`UPDATE workers SET heartbeat_ms = ${NOW_MS} WHERE id = ?`, [workerId]); // after the items: the order a finish locks them in
    return held;
  });
}

async function endLeased(
  db: PgDb,
  workerId: number,
  traceId: number,
  counter: 'items_done' | 'items_failed',
  end: (q: Q) => Promise<void>,
): Promise<WorkerEnd> {
  return db.tx(async (q): Promise<WorkerEnd> => {
    const item = await q.one<{ run_id: number; item_id: string }>('SELECT run_id, item_id FROM traces WHERE id = ?', [traceId]);
    if (item) await q.run('SELECT 1 FROM items WHERE run_id = ? AND item_id = ? FOR UPDATE', [item.run_id, item.item_id]); // item first
    const t = await q.one<{ status: string }>('SELECT status FROM traces WHERE id = ? FOR UPDATE', [traceId]);
    const taken =
      !item ||
      t?.status !== 'running' ||
      (await q.one(`SELECT 1 FROM traces WHERE run_id = ? AND item_id = ? AND status = 'finished'`, [item.run_id, item.item_id])) !== undefined;
    if (taken) {
      if (t) await q.run(`DELETE FROM traces WHERE id = ? AND status = 'running'`, [traceId]);
    } else {
      await end(q);
      // the lease freed only if still this worker's; a finished item is settled whoever leased it last
      await q.run(
        `UPDATE items SET settled = CASE WHEN ? = 1 THEN 1 ELSE settled END,
          lease_owner = CASE WHEN lease_owner = ? THEN NULL ELSE lease_owner END,
          lease_until = CASE WHEN lease_owner = ? THEN NULL ELSE lease_until END
        WHERE run_id = ? AND item_id = ?`,
        [counter === 'items_done' ? 1 : 0, workerId, workerId, item.run_id, item.item_id],
      );
    }
    const column = taken ? 'items_lost' : counter;
    await q.run(`UPDATE workers SET ${column} = ${column} + 1, heartbeat_ms = ${NOW_MS} WHERE id = ?`, [workerId]);
    return taken ? 'lost' : 'stored';
  });
}

export const finishLeased = (db: PgDb, workerId: number, traceId: number, pieces: TracePieces, end: { stopReason: StopReason; answer?: string | undefined }) =>
  endLeased(db, workerId, traceId, 'items_done', (q) => finishTraceIn(q, traceId, pieces, end));

export const failLeased = (db: PgDb, workerId: number, traceId: number, pieces: TracePieces, error: { code: string; message: string }) =>
  endLeased(db, workerId, traceId, 'items_failed', (q) => failTraceIn(q, traceId, pieces, error));

export async function stopWorker(db: PgDb, workerId: number): Promise<void> {
  await db.tx(async (q) => {
    const mine = await q.all<{ run_id: number; item_id: string }>('SELECT run_id, item_id FROM items WHERE lease_owner = ? FOR UPDATE', [workerId]);
    for (const it of mine) await q.run(`DELETE FROM traces WHERE run_id = ? AND item_id = ? AND status = 'running'`, [it.run_id, it.item_id]);
    await q.run('UPDATE items SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?', [workerId]);
    await q.run(`UPDATE workers SET stopped_ms = ${NOW_MS}, heartbeat_ms = ${NOW_MS} WHERE id = ?`, [workerId]);
  });
}

export async function listWorkers(q: Q, runId?: number): Promise<WorkerRecord[]> {
  const rows = await q.all<WorkerRow>(
    `SELECT w.*, ${NOW_MS} AS now_ms FROM workers w ${runId === undefined ? '' : 'WHERE w.run_id = ?'} ORDER BY w.id`,
    runId === undefined ? [] : [runId],
  );
  return rows.map(workerOf);
}
