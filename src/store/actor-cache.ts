import { type ActorCacheEntry, type Observation, ObservationSchema } from '../schema/trace.js';
import type { Db } from './db.js';
import { jsonOf, recordOf } from './rows.js';

/**
 * The run-level ToolActor cache (table actor_cache): identical calls — same tool, canonical arguments,
 * grounding, model and prompt — are answered with the stored observation, so a re-run replays exactly.
 * The first observation stored under a key wins; later puts for it are ignored.
 */
/** A cached observation's column as the record (both backends). */
export const observationOf = (key: string, text: string): Observation =>
  recordOf(ObservationSchema, 'actor_cache', key, jsonOf('actor_cache', key, 'observation', text));

export class ActorCache {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      get: db.prepare('SELECT observation FROM actor_cache WHERE key = ?'),
      hit: db.prepare('UPDATE actor_cache SET hits = hits + 1 WHERE key = ?'),
      put: db.prepare(`INSERT OR IGNORE INTO actor_cache (key, tool, arguments, grounding, observation, model, prompt_hash) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      stats: db.prepare('SELECT COUNT(*) AS entries, COALESCE(SUM(hits), 0) AS hits FROM actor_cache'),
    };
  }

  get(key: string): Observation | undefined {
    const row = this.stmts.get.get(key) as { observation: string } | undefined;
    if (!row) return undefined;
    const observation = observationOf(key, row.observation);
    this.stmts.hit.run(key);
    return observation;
  }

  put(e: ActorCacheEntry): void {
    this.stmts.put.run(e.key, e.tool, e.arguments, e.grounding, JSON.stringify(e.observation), e.model, e.prompt_hash);
  }

  stats(): { entries: number; hits: number } {
    return this.stmts.stats.get() as { entries: number; hits: number };
  }
}
