import type { DatasetItem } from '../schema/item.js';
import type { RunRecord } from '../schema/run.js';
import type { Store } from '../store/index.js';
import { GENERATE_ROLES, type GenerateConfig, GenerateConfigSchema, type RunSource, runKey, type Transport, transportOf } from './config.js';

/** The stored run a config resumes; `key` is the run's key under the current rules, `stored` the row found. */
export interface FoundRun {
  key: string;
  stored?: { id: number; key: string };
  /** one line saying the run resumes although a server address changed */
  notice?: string;
}

const storedTransport = (config: unknown): Transport | undefined => {
  const parsed = GenerateConfigSchema.safeParse(config);
  return parsed.success ? transportOf(parsed.data) : undefined;
};

/**
 * Finds the run this config resumes among a store's runs (a pure function). Server addresses are not part of a key, so a server that moved resumes
 * the same run; a store made when keys held the addresses is found by recomputing its old key with the
 * addresses it stored (the caller renames it to the new key).
 */
export function findRun(runs: readonly RunRecord[], c: GenerateConfig, dataset: RunSource): FoundRun {
  const key = runKey(c, dataset);
  let row = runs.find((r) => r.key === key);
  if (!row && !c.run) {
    const legacy = runs.filter((r) => {
      const t = r.key.startsWith(`${dataset.name}-`) ? storedTransport(r.config) : undefined;
      return t !== undefined && runKey(c, dataset, t) === r.key;
    });
    // the same settings may have made one run per server address: the one at today's address first
    const here = JSON.stringify(transportOf(c));
    row = legacy.find((r) => JSON.stringify(storedTransport(r.config)) === here) ?? legacy[0];
  }
  if (!row) return { key };
  const before = storedTransport(row.config);
  const now = transportOf(c);
  const moved: string[] = [];
  for (const role of GENERATE_ROLES) {
    const [was, is] = [before?.baseUrls[role], now.baseUrls[role]];
    if (was && is && was !== is && !moved.some((m) => m.includes(`${was} to ${is}`))) moved.push(`model server moved from ${was} to ${is}`);
  }
  if (before?.retrievalUrl && now.retrievalUrl && before.retrievalUrl !== now.retrievalUrl)
    moved.push(`retrieval server moved from ${before.retrievalUrl} to ${now.retrievalUrl}`);
  return {
    key,
    stored: { id: row.id, key: row.key },
    ...(moved.length ? { notice: `resuming run ${key} (#${row.id}): ${moved.join('; ')}` } : {}),
  };
}

/** Failure codes another try may fix: the model server failed (after its retries), not the item or the model's answer. */
export const TRANSIENT_FAILURES: ReadonlySet<string> = new Set(['E_MODEL', 'E_MODEL_UNREACHABLE']);

export interface ItemPlan {
  /** items to generate now: never tried, or failed and retried */
  run: DatasetItem[];
  finished: number;
  /** failed items tried again now */
  retried: number;
  /** failed items left failed: a lasting failure, or out of attempts */
  kept: { item: string; attempts: number; code: string | null }[];
}

/**
 * Which items a (resumed) run works on: those without a finished trace, except failed ones whose failure
 * was not transient or that failed `maxItemAttempts` times already (across runs); `retryFailed` retries all.
 */
export async function planItems(
  store: Store,
  runId: number,
  items: readonly DatasetItem[],
  c: Pick<GenerateConfig, 'maxItemAttempts' | 'retryFailed'>,
): Promise<ItemPlan> {
  const pending = await store.items.pending(
    runId,
    items.map((i) => i.id),
  );
  const failed = await store.runs.failedAttempts(runId);
  const plan: ItemPlan = { run: [], finished: items.length - pending.length, retried: 0, kept: [] };
  for (const item of pending) {
    const f = failed.get(item.id);
    if (!f) plan.run.push(item);
    else if (c.retryFailed || (TRANSIENT_FAILURES.has(f.code ?? '') && f.attempts < c.maxItemAttempts)) {
      plan.run.push(item);
      plan.retried++;
    } else plan.kept.push({ item: item.id, ...f });
  }
  return plan;
}
