import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { runItems } from '../../src/pipeline/runner.js';
import { runCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { freshPgDatabase, pgExec } from '../support/postgres.js';
import { scriptedModel } from '../support/scripted-roles.js';

/** `mtr generate --worker`: several workers on one run, in process, against a scripted model server. */
const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const ITEMS = 12;
const tmp = mkdtempSync(join(tmpdir(), 'mtr-workers-'));
let server: FakeServer;

beforeAll(async () => {
  server = await startFakeOpenAI({ latencyMs: 5, respond: scriptedModel({ items: await loadItems(BAMBOOGLE, { limit: ITEMS }) }) });
});
afterAll(() => server.close());

const generate = (db: string, extra: string[] = []) =>
  runCli(['generate', '--dataset', BAMBOOGLE, '--limit', String(ITEMS), '--db', db, '--base-url', server.url, '--concurrency', '2', '--json', ...extra]);

describe('generate --worker', () => {
  it.each([
    ['postgres', () => freshPgDatabase('workers_gen')],
    ['sqlite', async () => join(tmp, 'w.sqlite')],
  ])('on %s: three workers share the items, each finished once; status lists them', { timeout: 60_000 }, async (_name, db) => {
    const url = await db();
    const runs = await Promise.all([1, 2, 3].map(() => generate(url, ['--worker', '--lease-seconds', '5'])));
    const summaries = runs.map((r) => {
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    });
    expect(summaries.reduce((n, s) => n + s.finished, 0)).toBe(ITEMS); // between them, every item once
    expect(summaries.every((s) => s.failed === 0 && s.worker.lost === 0)).toBe(true);
    expect(new Set(summaries.map((s) => s.worker.id)).size).toBe(3);
    const status = JSON.parse((await runCli(['status', '--db', url, '--json'])).stdout);
    expect(status).toMatchObject({ items_total: ITEMS, traces_finished: ITEMS, traces_running: 0, duplicates: 0 });
    expect(status.workers).toHaveLength(3);
    for (const w of status.workers) expect(w).toMatchObject({ pid: process.pid, stopped: true });
    expect(status.workers.map((w: { items_done: number }) => w.items_done).sort()).toEqual(summaries.map((s) => s.finished).sort());
    const text = (await runCli(['status', '--db', url])).stdout;
    expect(text).toMatch(/\nworkers {10}#\d+ /);
    for (const s of summaries) expect(text).toContain(`#${s.worker.id} ${hostname()} pid ${process.pid}: ${s.finished} done, 0 failed, 0 lost, `);
    // a worker started when nothing is left exits at once, nothing redone
    const late = JSON.parse((await generate(url, ['--worker'])).stdout);
    expect(late).toMatchObject({ already_finished: ITEMS, finished: 0 });
    // the text summary names the worker (a run of its own: --run)
    const alone = await runCli(['generate', '--dataset', BAMBOOGLE, '--limit', '2', '--db', url, '--base-url', server.url, '--run', 'alone', '--worker']);
    expect(alone.stdout).toMatch(/^run alone \(#\d+\) on bamboogle: 2 traces finished/);
    expect(alone.stdout).toMatch(new RegExp(`\\nworker #\\d+ \\(mtr status --db ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} lists the run's workers\\)\\n`));
    if (url.startsWith('postgres')) expect(await pgExec(url, `SELECT COUNT(*)::int AS n FROM items WHERE lease_owner IS NOT NULL`)).toEqual([{ n: 0 }]);
  });

  it('refuses --retry-failed with --worker (it would retry its own failures for ever)', async () => {
    const r = await generate(join(tmp, 'x.sqlite'), ['--worker', '--retry-failed']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--retry-failed: expected without --worker/);
  });
});

describe("runItems over a pull source (a worker's leases)", () => {
  it('pulls until the source is empty, with the slots busy at once; a throwing source is fatal (E_STORE)', async () => {
    const queue = [1, 2, 3, 4, 5];
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    const result = await runItems(
      async () => queue.shift(),
      async (n) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight--;
        if (n === 4) throw new Error('item 4 fails');
        seen.push(n);
      },
      { concurrency: 2 },
    );
    expect(result).toEqual({ total: 5, done: 4, failed: 1, aborted: false, skipped: 0 });
    expect(seen.sort()).toEqual([1, 2, 3, 5]);
    expect(most).toBe(2);
    let calls = 0;
    const failing = runItems(
      async () => {
        if (++calls > 2) throw new Error('connection lost');
        return calls;
      },
      async () => {},
      { concurrency: 1 },
    );
    await expect(failing).rejects.toMatchObject({ code: 'E_STORE', message: expect.stringMatching(/connection lost/) });
  });
});
