import { MtrError } from '../schema/errors.js';
import type { RunRecord } from '../schema/run.js';
import { resolveRuns } from '../schema/run-ref.js';
import { type CoercePolicy, CoercePolicySchema } from '../validate/coerce.js';
import { openStore, type Store } from '../store/index.js';

export { type RunRef, resolveRuns } from '../schema/run-ref.js';

/** A store that must already exist: reading jobs never create an empty one by mistake (E_STORE "no such store"). */
export const openExistingStore = (path: string): Promise<Store> => openStore(path);

/** The runs `--run` names in an open store (every run when absent). */
export const selectRuns = async (store: Store, run: string | number | undefined): Promise<number[]> => resolveRuns(await store.runs.list(), run);

/** The runs `--run` names, as records (config included), read with one listing. */
export async function selectRunRecords(store: Store, run: string | number | undefined): Promise<RunRecord[]> {
  const all = await store.runs.list();
  const ids = resolveRuns(all, run);
  return all.filter((r) => ids.includes(r.id));
}

/**
 * The pre-check policy the runs were generated with (`mtr generate --coerce`), for validate and export when
 * `--coerce` is not given: the tool_calls check then reads each call as the actor did. Runs made under two
 * policies need the flag (E_USAGE), since one check config is one verdict hash.
 */
export function runsCoerce(runs: readonly RunRecord[]): CoercePolicy | undefined {
  const policies = new Set(runs.map((r) => CoercePolicySchema.safeParse((r.config as { coerce?: unknown } | null)?.coerce).data ?? 'strict'));
  if (policies.size > 1)
    throw new MtrError(
      'E_USAGE',
      `--coerce: expected one pre-check policy for runs ${runs.map((r) => r.key).join(', ')}, got ${[...policies].join(' and ')}; name it with --coerce`,
    );
  return policies.has('strings') ? 'strings' : undefined;
}
