import { hostname } from 'node:os';
import type { DatasetItem } from '../schema/item.js';
import type { LeaseRules } from '../schema/worker.js';
import type { Store, TracePieces } from '../store/index.js';
import type { GenerateConfig } from './config.js';
import { planItems, TRANSIENT_FAILURES } from './resume.js';
import type { ItemSource } from './runner.js';

/**
 * How generate ends a trace and where its items come from: the run's own list (one process holds the run), or,
 * with --worker, leases shared with the run's other workers.
 */
export interface ItemWork {
  items: ItemSource<DatasetItem>;
  /** false: the trace was dropped, another worker finished the item (this worker's lease had expired) */
  finish(traceId: number, pieces: TracePieces, end: { stopReason: 'answer' | 'max_turns'; answer?: string | undefined }): Promise<boolean>;
  fail(traceId: number, pieces: TracePieces, error: { code: string; message: string }): Promise<boolean>;
  /** the worker's id in the store (`mtr status` lists it) */
  workerId?: number;
  /** after the items: heartbeats stop, leases are freed and their running traces dropped */
  close(): Promise<void>;
}

/** One process on the run: the planned list, the store's plain finish and fail. */
export const ownWork = (store: Store, items: readonly DatasetItem[]): ItemWork => ({
  items,
  finish: async (id, pieces, end) => {
    await store.traces.finish(id, pieces, end);
    return true;
  },
  fail: async (id, pieces, error) => {
    await store.traces.fail(id, pieces, error);
    return true;
  },
  close: async () => {},
});

/** The lease rules are the resume rules (planItems): a transient failure is retried until --max-item-attempts. */
export const leaseRules = (c: Pick<GenerateConfig, 'maxItemAttempts'>): LeaseRules => ({
  transientCodes: [...TRANSIENT_FAILURES],
  maxAttempts: c.maxItemAttempts,
});

/**
 * A worker on the run: registers (host, pid), leases one item per free slot, renews its leases every third of
 * --lease-seconds. When nothing is leasable but items are still to do (leased by others, maybe dead), it waits for
 * them to be finished or their leases to expire; it is done when the run has no item left to do.
 */
export async function workerWork(store: Store, runId: number, items: readonly DatasetItem[], c: GenerateConfig, signal?: AbortSignal): Promise<ItemWork> {
  const ttlMs = Math.round((c.worker?.leaseSeconds ?? 60) * 1000);
  const rules = leaseRules(c);
  const id = await store.workers.register(runId, hostname(), process.pid);
  let beat: Promise<unknown> = Promise.resolve();
  // a failed heartbeat is not fatal: the leases expire and go to others, and this worker's late traces are dropped as 'lost'
  const timer = setInterval(() => (beat = beat.then(() => store.workers.heartbeat(id, ttlMs)).catch(() => {})), ttlMs / 3);
  const pollMs = Math.min(250, ttlMs / 4); // the last items finish soon after: a worker exits within this of them
  // the free slots share one check of whether items are left to do (it reads the run's pending items)
  let check: Promise<boolean> | undefined;
  const itemsLeft = () =>
    (check ??= planItems(store, runId, items, c)
      .then((p) => p.run.length > 0)
      .finally(() => setTimeout(() => (check = undefined), pollMs)));
  const next = async (): Promise<DatasetItem | undefined> => {
    while (!signal?.aborted) {
      const [item] = await store.workers.lease(id, 1, ttlMs, rules);
      if (item) return item;
      if (!(await itemsLeft())) return undefined;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    return undefined;
  };
  return {
    items: next,
    workerId: id,
    finish: async (traceId, pieces, end) => (await store.workers.finish(id, traceId, pieces, end)) === 'stored',
    fail: async (traceId, pieces, error) => (await store.workers.fail(id, traceId, pieces, error)) === 'stored',
    close: async () => {
      clearInterval(timer);
      await beat;
      await store.workers.stop(id);
    },
  };
}
