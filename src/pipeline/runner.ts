import { asMtrError, isMtrError, MtrError } from '../schema/errors.js';

/**
 * The one resumable item runner of every job that works item by item (generate, the CARG stages, eval): a
 * bounded queue over the items a (resumed) run still has to do. One rule for what is fatal, one for stopping:
 *
 * - **fatal** (`isFatalError`: the model server unreachable, the store failing) — it would fail every remaining
 *   item too, so no further item starts, every item in flight is awaited, then the first fatal error is thrown;
 * - **a failure** of one item (anything else `work` throws) is handed to `onFailure`, which stores it; if storing
 *   it fails, that is fatal too;
 * - **abort** (`signal`) — no further item starts, every item in flight is awaited, and the result says `aborted`
 *   (a re-run resumes).
 *
 * When `runItems` returns or throws, nothing it started is still running or writing: the caller may close the store.
 */
export interface RunnerOptions<T> {
  /** items in flight at once */
  concurrency: number;
  signal?: AbortSignal;
  /** stores one item's failure (as an MtrError: its code, or E_INTERNAL); a throw here is fatal */
  onFailure?: (item: T, error: MtrError) => void | Promise<void>;
  /** after each item settles (done or failed) */
  onProgress?: (progress: RunnerProgress) => void;
}

export interface RunnerProgress {
  total: number;
  done: number;
  failed: number;
}

export interface RunnerResult extends RunnerProgress {
  /** the signal stopped the run: items were left for a re-run */
  aborted: boolean;
  /** items never started (after an abort) */
  skipped: number;
}

/** Errors that would fail every remaining item too: the run stops instead of burning through its items. */
export const isFatalError = (e: unknown): boolean => isMtrError(e) && (e.code === 'E_MODEL_UNREACHABLE' || e.code === 'E_STORE');

/**
 * Where the items come from: a list, or a source pulled one item at a time (a worker's leases), done when it gives
 * `undefined`. A source that throws is fatal (as E_STORE unless it is an MtrError).
 */
export type ItemSource<T> = readonly T[] | (() => Promise<T | undefined>);

/** Runs `work` over `items` under the rules above; resolves with the counts, or throws the first fatal error. */
export async function runItems<T>(items: ItemSource<T>, work: (item: T) => Promise<unknown>, opts: RunnerOptions<T>): Promise<RunnerResult> {
  if (!(Number.isInteger(opts.concurrency) && opts.concurrency > 0))
    throw new MtrError('E_INTERNAL', `runItems: concurrency: expected a whole number > 0, got ${opts.concurrency}`);
  const list = typeof items === 'function' ? undefined : items;
  const progress: RunnerProgress = { total: list?.length ?? 0, done: 0, failed: 0 };
  let next = 0; // items taken from the list or the source
  let fatal: { error: unknown } | undefined;
  const halted = () => fatal !== undefined || opts.signal?.aborted === true;
  const halt = (error: unknown) => {
    fatal ??= { error };
  };

  const one = async (item: T): Promise<void> => {
    try {
      await work(item);
      progress.done++;
    } catch (e) {
      if (isFatalError(e)) return halt(e);
      try {
        await opts.onFailure?.(item, asMtrError(e, 'E_INTERNAL'));
      } catch (stored) {
        return halt(asMtrError(stored, 'E_STORE', 'storing a failure'));
      }
      progress.failed++;
    }
    try {
      opts.onProgress?.({ ...progress });
    } catch (e) {
      halt(e);
    }
  };
  const pull = async (source: () => Promise<T | undefined>): Promise<T | undefined> => {
    try {
      const item = await source();
      if (item !== undefined) progress.total = ++next; // a source's total: what it gave so far
      return item;
    } catch (e) {
      halt(asMtrError(e, 'E_STORE', 'taking the next item'));
      return undefined;
    }
  };
  const worker = async (): Promise<void> => {
    while (!halted()) {
      const item = list ? (next < list.length ? list[next++] : undefined) : await pull(items as () => Promise<T | undefined>);
      if (item === undefined || halted()) return; // a source's item taken during a halt is left to the source (a worker's stop frees its lease)
      await one(item);
    }
  };
  await Promise.all(Array.from({ length: list ? Math.min(opts.concurrency, list.length) : opts.concurrency }, worker));
  if (fatal) throw fatal.error;
  return { ...progress, aborted: opts.signal?.aborted === true, skipped: list ? list.length - next : 0 };
}
