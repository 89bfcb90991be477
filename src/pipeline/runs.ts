import { existsSync } from 'node:fs';
import { MtrError } from '../schema/errors.js';
import { type Db, openDb } from '../store/index.js';
import { listRuns } from '../store/verdicts.js';
import { resolveRuns } from '../schema/run-ref.js';

export { type RunRef, resolveRuns } from '../schema/run-ref.js';

/** A store that must already exist: reading jobs never create an empty one by mistake. */
export function openExistingStore(path: string): Db {
  if (!existsSync(path)) throw new MtrError('E_STORE', `${path}: no such store (create one with mtr generate --db ${path})`);
  return openDb(path);
}

/** The runs `--run` names in an open store (every run when absent). */
export const selectRuns = (db: Db, run: string | number | undefined): number[] => resolveRuns(listRuns(db), run);
