import { z } from 'zod';

const count = z.number().int().nonnegative();

/** One `mtr generate --worker` process on a run, as `mtr status` shows it (keys added, never renamed). */
export const WorkerRecordSchema = z.object({
  id: z.number().int(),
  run_id: z.number().int(),
  host: z.string(),
  pid: z.number().int(),
  /** ISO 8601, UTC, by the database's clock */
  started_at: z.string(),
  last_heartbeat: z.string(),
  /** seconds since its last heartbeat, by the database's clock: a live worker beats every third of its lease */
  heartbeat_age_s: z.number(),
  /** it exited (its leases released); false for a running one and for one killed without a chance to say so */
  stopped: z.boolean(),
  items_done: count,
  items_failed: count,
  /** traces it dropped because another worker had finished the item (its lease had expired) */
  items_lost: count,
  /** finished items per second from its start to its last heartbeat */
  rate_per_s: z.number(),
});
export type WorkerRecord = z.infer<typeof WorkerRecordSchema>;

/** Which failed items another lease may retry: a transient failure, fewer failed traces than `maxAttempts`. */
export interface LeaseRules {
  transientCodes: readonly string[];
  maxAttempts: number;
}
