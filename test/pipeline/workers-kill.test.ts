import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/carg/taxonomy.js';
import { loadItems } from '../../src/data/index.js';
import { type ChaosServer, startChaosServer } from '../support/chaos.js';
import { type CliResult, runCli, spawnCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { freshPgDatabase, pgExec } from '../support/postgres.js';
import { scriptedModel } from '../support/scripted-roles.js';

/**
 * The kill test of issue 19: four `mtr generate --worker` processes (the real binary) on one PostgreSQL run against
 * a model server that fails 10% of the requests (500, 429, hang past --timeout, malformed, cut off); two are
 * SIGKILLed at seeded moments and one new worker is started (after the first kill). Every item must end with exactly one finished trace
 * (0 lost, 0 duplicated), and the export must equal a SQLite run's of the same items with the same scripted answers.
 */
const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const ITEMS = 40;
const SEED = 19;
const LEASE_S = 3;
const tmp = mkdtempSync(join(tmpdir(), 'mtr-workers-kill-'));
let chaos: ChaosServer;
let clean: FakeServer;

beforeAll(async () => {
  // 150 ms a reply: the run lasts long enough (~10 s) for the kills and for the new worker's start-up
  chaos = await startChaosServer({ dataset: BAMBOOGLE, limit: ITEMS, faultRate: 0.1, seed: SEED, latencyMs: 150 });
  clean = await startFakeOpenAI({ respond: scriptedModel({ items: await loadItems(BAMBOOGLE, { limit: ITEMS }) }) });
});
afterAll(async () => {
  await chaos?.stop();
  await clean?.close();
});

const generateArgs = (db: string, baseUrl: string) =>
  ['generate', '--dataset', BAMBOOGLE, '--limit', String(ITEMS), '--db', db, '--base-url', baseUrl, '--concurrency', '1'].concat([
    '--timeout',
    '1',
    '--retries',
    '6',
    '--json',
  ]);

const count = async (url: string, sql: string): Promise<number> => Number((await pgExec(url, sql))[0]?.n ?? 0);
const finishedNow = (url: string) => count(url, `SELECT COUNT(*) AS n FROM traces WHERE status = 'finished'`).catch(() => 0);

/** Every file of an export folder but its manifest (it names the store), by name. */
const exported = (dir: string): Record<string, Buffer> =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name !== 'manifest.json')
      .map((e) => [join(e.parentPath, e.name).slice(dir.length + 1), readFileSync(join(e.parentPath, e.name))]),
  );

describe('workers: four on one PostgreSQL run, two SIGKILLed, one started', () => {
  it(`${ITEMS}/${ITEMS} finished once, 0 lost, 0 duplicated; export equals a SQLite run's`, { timeout: 150_000 }, async () => {
    const started = Date.now();
    const url = await freshPgDatabase('kill');
    const args = [...generateArgs(url, chaos.url), '--worker', '--lease-seconds', String(LEASE_S)];
    const random = seededRandom(SEED);
    const workers = [1, 2, 3, 4].map(() => spawnCli(args));
    // kill worker 0 once at least t0 traces are finished, worker 1 at t1 (seeded), each a seeded few ms later
    const thresholds = [4 + Math.floor(random() * 6), 14 + Math.floor(random() * 8)];
    const kills: { at: number; held: number }[] = [];
    let late: ReturnType<typeof spawnCli> | undefined;
    for (const [i, threshold] of thresholds.entries()) {
      const w = workers[i]!;
      for (let t = 0; t < 1200 && (await finishedNow(url)) < threshold && w.child.exitCode === null; t++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, Math.floor(random() * 300)));
      w.child.kill('SIGKILL');
      const killed = await w.done;
      expect(killed.signal, `worker ${i} ended before its kill: ${killed.stdout}${killed.stderr}`).toBe('SIGKILL');
      // the leases it held: taken over by the others once they expire
      const held = await count(url, `SELECT COUNT(*) AS n FROM items i JOIN workers w ON w.id = i.lease_owner WHERE w.pid = ${w.child.pid}`);
      kills.push({ at: await finishedNow(url), held });
      late ??= spawnCli(args); // the new worker, started after the first kill
    }
    const survivors: CliResult[] = await Promise.all([workers[2]!.done, workers[3]!.done, late!.done]);
    for (const r of survivors) expect(r.code, r.stderr).toBe(0);
    const summaries = survivors.map((r) => JSON.parse(r.stdout));

    // every item: exactly one finished trace; nothing running, failed or duplicated
    const perItem = await pgExec(
      url,
      `SELECT i.item_id, COUNT(t.id) FILTER (WHERE t.status = 'finished')::int AS finished, COUNT(t.id) FILTER (WHERE t.status <> 'finished')::int AS other
        FROM items i LEFT JOIN traces t ON t.run_id = i.run_id AND t.item_id = i.item_id GROUP BY i.item_id`,
    );
    expect(perItem).toHaveLength(ITEMS);
    expect(perItem.filter((r) => r.finished !== 1 || r.other !== 0)).toEqual([]);
    const status = JSON.parse((await runCli(['status', '--db', url, '--json'])).stdout);
    expect(status).toMatchObject({ items_total: ITEMS, traces_finished: ITEMS, traces_failed: 0, traces_running: 0, duplicates: 0 });
    // the killed workers never stopped; what they had leased was taken over once their leases expired
    const rows = status.workers as { pid: number; stopped: boolean; items_done: number; items_lost: number }[];
    expect(rows).toHaveLength(5);
    const killedPids = [workers[0]!.child.pid, workers[1]!.child.pid];
    expect(
      rows
        .filter((w) => !w.stopped)
        .map((w) => w.pid)
        .sort(),
    ).toEqual(killedPids.sort()); // status lists workers in registration order, not kill order
    expect(await count(url, 'SELECT COUNT(*) AS n FROM items WHERE lease_owner IS NOT NULL')).toBe(0);
    expect(kills.some((k) => k.held > 0)).toBe(true); // a killed worker's lease was taken over, not only free items
    const done = rows.reduce((n, w) => n + w.items_done, 0);
    expect(done).toBe(ITEMS); // the killed ones' finished items plus the survivors'
    expect(summaries.reduce((n, s) => n + s.finished, 0)).toBe(ITEMS - rows.filter((w) => !w.stopped).reduce((n, w) => n + w.items_done, 0));
    const injected = JSON.parse((await chaos.stop()).trim().split('\n').at(-1)!).injected as Record<string, number>;
    expect(Object.values(injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const elapsed = (Date.now() - started) / 1000;

    // the same items with the same scripted answers on SQLite, one process, no faults: the same export, byte for byte
    const sqlite = join(tmp, 'one.sqlite');
    const one = await runCli(generateArgs(sqlite, clean.url));
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout).run_key).toBe(summaries[0].run_key);
    for (const db of [url, sqlite]) expect((await runCli(['validate', '--db', db, '--json'])).code).toBe(0);
    for (const [stage, format] of [
      ['sft', 'trl'],
      ['grpo', 'verl'],
    ] as const) {
      const out = (name: string) => join(tmp, name, `${stage}-${format}`);
      for (const [name, db] of [
        ['pg', url],
        ['sqlite', sqlite],
      ] as const) {
        const r = await runCli(['export', '--db', db, '--stage', stage, '--format', format, '--out', out(name), '--val-ratio', '0.25']);
        expect(r.code, r.stderr).toBe(0);
      }
      const [a, b] = [exported(out('pg')), exported(out('sqlite'))];
      expect(Object.keys(a).length).toBeGreaterThan(0);
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      for (const f of Object.keys(a)) expect(a[f]!.equals(b[f]!), `${stage}/${format}: ${f}`).toBe(true); // byte for byte (parquet too)
    }
    console.log(
      `workers kill test: ${ITEMS} items, 4 workers, two SIGKILLed, 1 started after the first kill (at ${kills.map((k) => `${k.at} finished traces, holding ${k.held} lease(s)`).join('; ')}); ` +
        `finished per worker ${rows.map((w) => `${w.items_done}${w.stopped ? '' : ' (killed)'}`).join(', ')}; lost races ${rows.reduce((n, w) => n + w.items_lost, 0)}; ` +
        `faults ${JSON.stringify(injected)}; 0 lost, 0 duplicated; ${elapsed.toFixed(1)} s`,
    );
  });
});
