import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { ActorCacheEntry } from '../../src/schema/trace.js';
import { openStore } from '../../src/store/index.js';

const entry = (key: string, text: string): ActorCacheEntry => ({
  key,
  tool: 'wiki_search',
  arguments: '{"query":"paris"}',
  grounding: 'none:useful:-',
  observation: { content: { results: [{ title: 'Paris', text }] }, source: 'simulated', cache_key: key },
  model: 'm',
  prompt_hash: 'abcd',
});

describe('actor cache (store.actorCache, SQLite table actor_cache)', () => {
  it('stores, replays and counts hits; the first observation under a key wins; survives reopening', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mtr-cache-')), 'c.sqlite');
    const store = await openStore(file, { create: true });
    expect(await store.actorCache.get('k1')).toBeUndefined();
    await store.actorCache.put(entry('k1', 'first'));
    await store.actorCache.put(entry('k1', 'second'));
    expect(await store.actorCache.get('k1')).toEqual(entry('k1', 'first').observation);
    expect(await store.actorCache.stats()).toEqual({ entries: 1, hits: 1 });
    await store.close();

    const again = await openStore(file);
    expect(await again.actorCache.get('k1')).toEqual(entry('k1', 'first').observation);
    expect(await again.actorCache.stats()).toEqual({ entries: 1, hits: 2 });
    await again.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare('SELECT tool, arguments, grounding, model, prompt_hash FROM actor_cache').get()).toEqual({
      tool: 'wiki_search',
      arguments: '{"query":"paris"}',
      grounding: 'none:useful:-',
      model: 'm',
      prompt_hash: 'abcd',
    });
    raw.close();
  });

  it('rejects a corrupted stored observation instead of replaying it (and counts no hit)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mtr-cache-')), 'bad.sqlite');
    const store = await openStore(file, { create: true });
    const raw = new Database(file);
    raw
      .prepare(
        `INSERT INTO actor_cache (key, tool, arguments, grounding, observation, model, prompt_hash) VALUES ('bad', 't', '{}', 'g', '{"content":1,"source":"oracle"}', 'm', 'h')`,
      )
      .run();
    raw.close();
    await expect(store.actorCache.get('bad')).rejects.toMatchObject({ code: 'E_STORE', message: expect.stringMatching(/^actor_cache row bad: source: /) });
    expect(await store.actorCache.stats()).toEqual({ entries: 1, hits: 0 });
    await store.close();
  });
});
