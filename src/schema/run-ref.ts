import { z } from 'zod';
import { MtrError } from './errors.js';

/** A run as `--run` names it: its name (the key `mtr generate --run` gave it) or its numeric id. */
export const RunRefSchema = z.object({ id: z.number().int(), key: z.string() });
export type RunRef = z.infer<typeof RunRefSchema>;

/**
 * The one `--run` resolver (here, beside the record, so every part that lists runs can use it): absent → every
 * run; a run's name → that run; a whole number → the run with that id (ids keep working; a number that is one
 * run's id and another's name names the run with that id). Anything else is a usage error listing the runs by
 * name and id, under `flag` (the option that named the run).
 */
export function resolveRuns(runs: readonly RunRef[], run: string | number | undefined, flag = '--run'): number[] {
  if (run === undefined) return runs.map((r) => r.id);
  const text = String(run).trim();
  const byId = /^\d+$/.test(text) ? runs.find((r) => r.id === Number(text)) : undefined;
  const found = byId ?? runs.find((r) => r.key === text);
  if (found) return [found.id];
  const listed = runs.map((r) => `${r.key} (id ${r.id})`).join(', ') || 'none';
  throw new MtrError('E_USAGE', `${flag}: expected one of the runs in the store by name or id (${listed}), got "${text}"`, {
    field: flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
  });
}
