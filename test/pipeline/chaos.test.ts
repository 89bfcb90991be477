import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/carg/taxonomy.js';
import { storeStatus as statusOf } from '../support/store.js';
import { openDb } from '../../src/store/index.js';
import { type ChaosServer, startChaosServer } from '../support/chaos.js';
import { spawnCli } from '../support/cli.js';
import { SHARED_DATASETS } from '../support/paths.js';

/**
 * Chaos: the real binary generates 30 Bamboogle items against an OpenAI-compatible server in its own process
 * that fails 20% of the requests (500, 429 with Retry-After, hang past --timeout, malformed JSON, cut-off
 * body); the run is SIGKILLed twice at seeded moments and resumed. Every item must end with exactly one
 * finished trace, none failed, the store intact.
 */
const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const ITEMS = 30;
const SEED = 13;
const tmp = mkdtempSync(join(tmpdir(), 'mtr-chaos-'));

describe('chaos: 20% faults of every kind, two SIGKILLs, resumed', () => {
  let server: ChaosServer;
  beforeAll(async () => {
    server = await startChaosServer({ dataset: BAMBOOGLE, limit: ITEMS, faultRate: 0.2, seed: SEED });
  });
  afterAll(async () => {
    if (server.child.exitCode === null) await server.stop();
  });

  it(`${ITEMS}/${ITEMS} finished, 0 duplicates, 0 failed`, { timeout: 90_000 }, async () => {
    const started = Date.now();
    const db = join(tmp, 'chaos.sqlite');
    const args = [
      'generate',
      '--dataset',
      BAMBOOGLE,
      '--limit',
      String(ITEMS),
      '--db',
      db,
      '--base-url',
      server.url,
      '--concurrency',
      '4',
      '--timeout',
      '0.5',
      '--retries',
      '6',
      '--json',
    ];
    const random = seededRandom(SEED);
    // kill once at least this many traces are finished (seeded), a seeded few ms later
    const thresholds = [3 + Math.floor(random() * 6), 12 + Math.floor(random() * 8)];
    const kills: number[] = [];
    for (const threshold of thresholds) {
      const { child, done } = spawnCli(args);
      for (let i = 0; i < 600; i++) {
        await new Promise((r) => setTimeout(r, 50));
        let finished = 0;
        try {
          finished = statusOf(db).traces_finished;
        } catch {
          // the store does not exist yet
        }
        if (finished >= threshold || child.exitCode !== null) break;
      }
      await new Promise((r) => setTimeout(r, Math.floor(random() * 200)));
      child.kill('SIGKILL');
      const killed = await done;
      expect(killed.signal, `the run ended before kill #${kills.length + 1}: ${killed.stdout}${killed.stderr}`).toBe('SIGKILL');
      const mid = statusOf(db);
      kills.push(mid.traces_finished);
      expect(mid.duplicates).toBe(0);
      const store = openDb(db);
      expect(store.pragma('integrity_check', { simple: true })).toBe('ok');
      store.close();
    }
    const last = await spawnCli(args).done;
    expect(last.code, last.stderr).toBe(0);
    const summary = JSON.parse(last.stdout);
    expect(summary).toMatchObject({ items: ITEMS, failed: 0 });

    const s = statusOf(db);
    expect(s).toMatchObject({ runs: 1, items_total: ITEMS, traces_finished: ITEMS, traces_failed: 0, traces_running: 0, duplicates: 0 });
    const store = openDb(db);
    const perItem = store.prepare(`SELECT item_id, SUM(status = 'finished') f FROM traces GROUP BY item_id`).all() as { f: number }[];
    const retried = store.prepare(`SELECT COUNT(*) n FROM model_calls WHERE ok = 0 AND error LIKE 'retried:%'`).get() as { n: number };
    store.close();
    expect(perItem).toHaveLength(ITEMS);
    expect(perItem.every((x) => x.f === 1)).toBe(true);
    const injected = JSON.parse((await server.stop()).trim().split('\n').at(-1)!).injected as Record<string, number>;
    // every kind of fault was injected, and the retried requests are in the store
    for (const kind of ['500', '429', 'timeout', 'malformed', 'truncated']) expect(injected[kind], kind).toBeGreaterThan(0);
    expect(retried.n).toBeGreaterThan(0);
    expect(kills[0]).toBeLessThan(kills[1]!);
    console.log(
      `chaos: kills at ${kills.join(', ')} finished; faults ${JSON.stringify(injected)}; ${retried.n} retried requests stored; ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
