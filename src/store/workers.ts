import type { DatasetItem } from '../schema/item.js';
import type { StopReason } from '../schema/trace.js';
import { type LeaseRules, type WorkerRecord, WorkerRecordSchema } from '../schema/worker.js';
import type { Db } from './db.js';
import { recordOf } from './rows.js';
import { type ItemRow, itemFromRow, NOW_MS, pidAlive, plainHoldsRun } from './runs.js';
import type { TracePieces, WorkerEnd } from './store.js';
import { failTrace, finishTrace } from './traces.js';

/**
 * Workers on SQLite (one host, several processes on one file): the SQL of postgres/workers.ts, where an
 * IMMEDIATE transaction stands in for SKIP LOCKED (SQLite has one writer at a time). Times are the database's
 * clock in ms since the epoch.
 */

/**
 * An item `i` a lease may take, apart from its lease: no finished trace, no failure outside the transient codes
 * (`codes`: a subquery listing them), fewer failed traces than the last `?`. One text for both backends.
 */
export const leasableSql = (codes: string): string => `NOT EXISTS (SELECT 1 FROM traces t WHERE t.run_id = i.run_id AND t.item_id = i.item_id
      AND (t.status = 'finished' OR (t.status = 'failed' AND COALESCE(t.error_code, '') NOT IN (${codes}))))
    AND (SELECT COUNT(*) FROM traces t WHERE t.run_id = i.run_id AND t.item_id = i.item_id AND t.status = 'failed') < ?`;

export interface WorkerRow {
  id: number;
  run_id: number;
  host: string;
  pid: number;
  started_ms: number;
  heartbeat_ms: number;
  stopped_ms: number | null;
  items_done: number;
  items_failed: number;
  items_lost: number;
  /** the database's clock when the row was read */
  now_ms: number;
}

/** A workers row as the record (both backends). */
export const workerOf = (r: WorkerRow): WorkerRecord => {
  const alive = Math.max(0, r.heartbeat_ms - r.started_ms) / 1000;
  return recordOf(WorkerRecordSchema, 'workers', r.id, {
    id: r.id,
    run_id: r.run_id,
    host: r.host,
    pid: r.pid,
    started_at: new Date(r.started_ms).toISOString(),
    last_heartbeat: new Date(r.heartbeat_ms).toISOString(),
    heartbeat_age_s: Math.round(Math.max(0, r.now_ms - r.heartbeat_ms) / 100) / 10,
    stopped: r.stopped_ms !== null,
    items_done: r.items_done,
    items_failed: r.items_failed,
    items_lost: r.items_lost,
    rate_per_s: alive > 0 ? Math.round((r.items_done / alive) * 100) / 100 : 0,
  });
};

/** Items finished outside a lease (a generate without --worker) are marked settled too, so leases skip them. */
export const SETTLE_FINISHED = `UPDATE items SET settled = 1 WHERE run_id = ? AND settled = 0
  AND EXISTS (SELECT 1 FROM traces t WHERE t.run_id = items.run_id AND t.item_id = items.item_id AND t.status = 'finished')`;

export function registerWorker(db: Db, runId: number, host: string, pid: number): number {
  const sql = `INSERT INTO workers (run_id, host, pid, started_ms, heartbeat_ms) VALUES (?, ?, ?, ${NOW_MS}, ${NOW_MS})`;
  return db
    .transaction(() => {
      const owner = (db.prepare('SELECT owner_pid FROM runs WHERE id = ?').get(runId) as { owner_pid: number | null } | undefined)?.owner_pid;
      if (owner && owner !== pid && pidAlive(owner)) throw plainHoldsRun(runId, `process ${owner}`);
      db.prepare(SETTLE_FINISHED).run(runId);
      return Number(db.prepare(sql).run(runId, host, pid).lastInsertRowid);
    })
    .immediate();
}

export function leaseItems(db: Db, workerId: number, n: number, ttlMs: number, rules: LeaseRules): DatasetItem[] {
  return db
    .transaction(() => {
      const runId = (db.prepare('SELECT run_id FROM workers WHERE id = ?').get(workerId) as { run_id: number }).run_id;
      const rows = db
        .prepare(`SELECT i.* FROM items i WHERE i.run_id = ? AND i.settled = 0 AND (i.lease_until IS NULL OR i.lease_until < ${NOW_MS})
          AND ${leasableSql('SELECT value FROM json_each(?)')} ORDER BY i.ord LIMIT ?`)
        .all(runId, JSON.stringify(rules.transientCodes), rules.maxAttempts, n) as ItemRow[];
      const take = db.prepare(`UPDATE items SET lease_owner = ?, lease_until = ${NOW_MS} + ? WHERE run_id = ? AND item_id = ?`);
      const drop = db.prepare(`DELETE FROM traces WHERE run_id = ? AND item_id = ? AND status = 'running'`);
      for (const r of rows) {
        take.run(workerId, ttlMs, runId, r.item_id);
        drop.run(runId, r.item_id); // the work of the expired lease
      }
      return rows.map(itemFromRow);
    })
    .immediate();
}

export function heartbeat(db: Db, workerId: number, ttlMs: number): number {
  return db
    .transaction(() => {
      db.prepare(`UPDATE workers SET heartbeat_ms = ${NOW_MS} WHERE id = ?`).run(workerId);
      return db.prepare(`UPDATE items SET lease_until = ${NOW_MS} + ? WHERE lease_owner = ?`).run(ttlMs, workerId).changes;
    })
    .immediate();
}

/** Ends a leased item's trace with `end` unless the item is another worker's now (then the trace is dropped). */
function endLeased(db: Db, workerId: number, traceId: number, counter: 'items_done' | 'items_failed', end: () => void): WorkerEnd {
  return db
    .transaction((): WorkerEnd => {
      const t = db.prepare('SELECT run_id, item_id, status FROM traces WHERE id = ?').get(traceId) as
        | { run_id: number; item_id: string; status: string }
        | undefined;
      const taken =
        t?.status !== 'running' ||
        db.prepare(`SELECT 1 FROM traces WHERE run_id = ? AND item_id = ? AND status = 'finished'`).get(t.run_id, t.item_id) !== undefined;
      if (taken) {
        if (t) db.prepare(`DELETE FROM traces WHERE id = ? AND status = 'running'`).run(traceId);
      } else {
        end();
        const free = 'UPDATE items SET lease_owner = NULL, lease_until = NULL WHERE run_id = ? AND item_id = ? AND lease_owner = ?';
        db.prepare(free).run(t.run_id, t.item_id, workerId);
        if (counter === 'items_done') db.prepare('UPDATE items SET settled = 1 WHERE run_id = ? AND item_id = ?').run(t.run_id, t.item_id);
      }
      const column = taken ? 'items_lost' : counter;
      db.prepare(`UPDATE workers SET ${column} = ${column} + 1, heartbeat_ms = ${NOW_MS} WHERE id = ?`).run(workerId);
      return taken ? 'lost' : 'stored';
    })
    .immediate();
}

export const finishLeased = (db: Db, workerId: number, traceId: number, pieces: TracePieces, end: { stopReason: StopReason; answer?: string | undefined }) =>
  endLeased(db, workerId, traceId, 'items_done', () => finishTrace(db, traceId, pieces, end));

export const failLeased = (db: Db, workerId: number, traceId: number, pieces: TracePieces, error: { code: string; message: string }) =>
  endLeased(db, workerId, traceId, 'items_failed', () => failTrace(db, traceId, pieces, error));

export function stopWorker(db: Db, workerId: number): void {
  db.transaction(() => {
    db.prepare(
      `DELETE FROM traces WHERE status = 'running' AND EXISTS (SELECT 1 FROM items i WHERE i.run_id = traces.run_id AND i.item_id = traces.item_id AND i.lease_owner = ?)`,
    ).run(workerId);
    db.prepare('UPDATE items SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?').run(workerId);
    db.prepare(`UPDATE workers SET stopped_ms = ${NOW_MS}, heartbeat_ms = ${NOW_MS} WHERE id = ?`).run(workerId);
  }).immediate();
}

export function listWorkers(db: Db, runId?: number): WorkerRecord[] {
  const rows = db
    .prepare(`SELECT w.*, ${NOW_MS} AS now_ms FROM workers w ${runId === undefined ? '' : 'WHERE w.run_id = ?'} ORDER BY w.id`)
    .all(...(runId === undefined ? [] : [runId])) as WorkerRow[];
  return rows.map(workerOf);
}
