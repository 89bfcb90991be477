import type { ActorCacheEntry, Observation } from '../../schema/trace.js';
import type { Verdict } from '../../schema/verdict.js';
import { observationOf } from '../actor-cache.js';
import { VERDICT_COLUMNS, type VerdictRow, verdictOf, verdictParams } from '../verdicts.js';
import type { PgDb, Q } from './db.js';

/** Verdicts and the actor cache on PostgreSQL: the SQL of src/store/verdicts.ts and actor-cache.ts. */

export async function unvalidatedTraceIds(q: Q, runId: number, configHash: string): Promise<number[]> {
  const rows = await q.all<{ id: number }>(
    `SELECT t.id FROM traces t WHERE t.run_id = ? AND t.status IN ('finished', 'failed')
      AND NOT EXISTS (SELECT 1 FROM verdicts v WHERE v.trace_id = t.id AND v.config_hash = ?) ORDER BY t.id`,
    [runId, configHash],
  );
  return rows.map((r) => r.id);
}

/** A batch in one transaction; the same (trace, check, config) replaces the stored verdict, as SQLite's INSERT OR REPLACE does. */
export async function writeVerdicts(db: PgDb, configHash: string, verdicts: readonly Verdict[]): Promise<void> {
  await db.tx(async (q) => {
    for (const v of verdicts)
      await q.run(
        `INSERT INTO verdicts (trace_id, check_name, pass, reason, details, config_hash) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (trace_id, check_name, config_hash) DO UPDATE SET pass = excluded.pass, reason = excluded.reason, details = excluded.details, created_at = excluded.created_at`,
        verdictParams(configHash, v),
      );
  });
}

export async function readVerdicts(q: Q, runId: number, configHash: string): Promise<Verdict[]> {
  const rows = await q.all<VerdictRow>(
    `SELECT ${VERDICT_COLUMNS} FROM verdicts v JOIN traces t ON t.id = v.trace_id WHERE t.run_id = ? AND v.config_hash = ?
      ORDER BY v.trace_id, v.check_name COLLATE "C"`,
    [runId, configHash],
  );
  return rows.map(verdictOf);
}

/** The first observation stored under a key wins; a get that finds one counts a hit. */
export async function cacheGet(q: Q, key: string): Promise<Observation | undefined> {
  const row = await q.one<{ observation: string }>('SELECT observation FROM actor_cache WHERE key = ?', [key]);
  if (!row) return undefined;
  const observation = observationOf(key, row.observation);
  await q.run('UPDATE actor_cache SET hits = hits + 1 WHERE key = ?', [key]);
  return observation;
}

export async function cachePut(q: Q, e: ActorCacheEntry): Promise<void> {
  await q.run(
    `INSERT INTO actor_cache (key, tool, arguments, grounding, observation, model, prompt_hash) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
    [e.key, e.tool, e.arguments, e.grounding, JSON.stringify(e.observation), e.model, e.prompt_hash],
  );
}

export async function cacheStats(q: Q): Promise<{ entries: number; hits: number }> {
  return (await q.one<{ entries: number; hits: number }>('SELECT COUNT(*) AS entries, COALESCE(SUM(hits), 0) AS hits FROM actor_cache'))!;
}
