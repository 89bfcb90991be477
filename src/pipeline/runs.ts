import { resolveRuns } from '../schema/run-ref.js';
import { openStore, type Store } from '../store/index.js';

export { type RunRef, resolveRuns } from '../schema/run-ref.js';

/** A store that must already exist: reading jobs never create an empty one by mistake (E_STORE "no such store"). */
export const openExistingStore = (path: string): Promise<Store> => openStore(path);

/** The runs `--run` names in an open store (every run when absent). */
export const selectRuns = async (store: Store, run: string | number | undefined): Promise<number[]> => resolveRuns(await store.runs.list(), run);
