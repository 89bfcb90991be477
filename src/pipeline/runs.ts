import { existsSync } from 'node:fs';
import { MtrError } from '../schema/errors.js';
import { type Db, openDb } from '../store/index.js';
import { listRuns } from '../store/verdicts.js';

/** A run as `--run` names it: its name (the key `mtr generate --run` gave it) or its numeric id. */
export interface RunRef {
  id: number;
  key: string;
}

/**
 * The one `--run` resolver: absent → every run; a run's name → that run; a whole number → the run with that id
 * (ids keep working; a name that is also another run's id names the run with that id). Anything else is a usage
 * error listing the store's runs by name and id.
 */
export function resolveRuns(runs: readonly RunRef[], run: string | number | undefined): number[] {
  if (run === undefined) return runs.map((r) => r.id);
  const text = String(run).trim();
  const byId = /^\d+$/.test(text) ? runs.find((r) => r.id === Number(text)) : undefined;
  const found = byId ?? runs.find((r) => r.key === text);
  if (found) return [found.id];
  const listed = runs.map((r) => `${r.key} (id ${r.id})`).join(', ') || 'none';
  throw new MtrError('E_USAGE', `--run: expected one of the runs in the store by name or id (${listed}), got "${text}"`, { field: 'run' });
}

/** A store that must already exist: reading jobs never create an empty one by mistake. */
export function openExistingStore(path: string): Db {
  if (!existsSync(path)) throw new MtrError('E_STORE', `${path}: no such store (create one with mtr generate --db ${path})`);
  return openDb(path);
}

/** The runs `--run` names in an open store (every run when absent). */
export const selectRuns = (db: Db, run: string | number | undefined): number[] => resolveRuns(listRuns(db), run);
