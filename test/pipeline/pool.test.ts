import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { GenerateConfigSchema, runKey } from '../../src/pipeline/config.js';
import { generateTraces } from '../../src/pipeline/generate.js';
import { statusJob } from '../../src/pipeline/status.js';
import { openDb } from '../../src/store/index.js';
import { runCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { scriptedModel } from '../support/scripted-roles.js';

/**
 * Pool test (issue 19): a generate run over two real local model servers (`--base-url A,B`); B is stopped
 * mid-run (after a set number of answers; what it held unanswered fails and is retried) and restarted on its
 * port later. The run must finish every item once; calls must go to A alone while B is down and come back to B
 * after; what the store says per server must match what each server logged, and `mtr status` must report the
 * store's figures.
 */
const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const ITEMS = 30;
const LATENCY_MS = 30;
const DOWN_MS = 700;
const A_WHILE_DOWN = 15;
const B_BEFORE = 10;
const tmp = mkdtempSync(join(tmpdir(), 'mtr-pool-'));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const servers: FakeServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('generate over a pool of two model servers, one stopped mid-run and restarted', () => {
  it('finishes every item once; calls shift to the healthy server and back; status per server is the store', { timeout: 60_000 }, async () => {
    const items = await loadItems(BAMBOOGLE, { limit: ITEMS });
    const script = scriptedModel({ items });
    // each server's request log: when it answered (the fake answers right after `respond`)
    const log = { A: [] as number[], B: [] as number[] };
    // `answerUpTo`: the server answers that many calls in all, then holds every further one unanswered until it
    // is stopped (those fail as connection errors and are retried elsewhere), so its outage starts at a known call
    const start = async (name: 'A' | 'B', port?: number, answerUpTo = Number.POSITIVE_INFINITY) => {
      const s = await startFakeOpenAI({
        latencyMs: LATENCY_MS,
        ...(port ? { port } : {}),
        respond: (req) => {
          if (log[name].length >= answerUpTo) return { delayMs: 60_000, then: { status: 500, body: '{}' } };
          log[name].push(Date.now());
          return script(req);
        },
      });
      servers.push(s);
      return s;
    };
    const a = await start('A');
    let b = await start('B', undefined, B_BEFORE);
    const port = Number(new URL(b.url).port);

    // B goes down after its B_BEFORE-th answer (early in the run, so most of the work is still to do) and comes
    // back when DOWN_MS have passed and A has answered A_WHILE_DOWN calls meanwhile (so the outage spans calls
    // however slow the machine)
    // the clock for the probe budget; the logs' indices (exact: one thread) for who answered when
    let stoppedAt = 0;
    let restartedAt = 0;
    let aAtStop = 0;
    let aAtRestart = 0;
    const outage = (async () => {
      while (log.B.length < B_BEFORE) await sleep(1);
      stoppedAt = Date.now();
      aAtStop = log.A.length;
      await b.close();
      const aBefore = log.A.length;
      await sleep(DOWN_MS);
      while (log.A.length - aBefore < A_WHILE_DOWN) await sleep(5);
      b = await start('B', port);
      restartedAt = Date.now();
      aAtRestart = log.A.length;
    })();

    const db = join(tmp, 'pool.sqlite');
    const baseUrl = `${a.url},${b.url}`;
    const summary = await generateTraces({
      dataset: BAMBOOGLE,
      limit: ITEMS,
      db,
      concurrency: 4,
      maxTurns: 6,
      // a server is out for 100 ms, then 200, then 400 at most: back within 400 ms of its restart
      model: { baseUrl, model: 'fake-model', maxRetries: 4, retryBaseMs: 100, retryMaxMs: 400, timeoutMs: 5000 },
    });
    await outage;
    expect(restartedAt).toBeGreaterThan(stoppedAt);

    // every item finished once, none failed
    expect(summary).toMatchObject({ items: ITEMS, finished: ITEMS, failed: 0 });
    const store = openDb(db);
    const traces = store.prepare('SELECT item_id, status FROM traces').all() as { item_id: string; status: string }[];
    expect(
      traces
        .filter((t) => t.status === 'finished')
        .map((t) => t.item_id)
        .sort(),
    ).toEqual(items.map((i) => i.id).sort());
    expect(traces.filter((t) => t.status !== 'finished')).toEqual([]);

    // the store's server column against the servers' logs: each answer is one stored successful call
    const calls = store.prepare('SELECT server, ok, latency_ms, error FROM model_calls ORDER BY id').all() as {
      server: string | null;
      ok: number;
      latency_ms: number;
      error: string | null;
    }[];
    store.close();
    expect(new Set(calls.map((c) => c.server))).toEqual(new Set([a.url, b.url]));
    const okOn = (url: string) => calls.filter((c) => c.server === url && c.ok === 1).length;
    expect(okOn(a.url)).toBe(log.A.length);
    expect(okOn(b.url)).toBe(log.B.length);

    // B's outage: its failed requests were connection failures, retried (on A), and few: B was taken out
    // after 3 in a row and probed with backoff (at +100, +300, +700 ms, then every 400 ms), not tried by every
    // other call while it was down; a reused keep-alive socket per call in flight (≤ 4) may fail once more
    const failed = calls.filter((c) => c.ok === 0);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const f of failed) {
      expect(f.server).toBe(b.url);
      expect(f.error).toMatch(/^retried: (connection refused|connection reset|connection closed mid-reply|connection failed)/);
    }
    const probes = 3 + Math.ceil(Math.max(0, restartedAt - stoppedAt - 700) / 400);
    expect(failed.length).toBeLessThanOrEqual(3 + probes + 4);

    // shift and return, by the servers' own logs: A took every call while B was down, B took calls before and after
    expect(aAtRestart - aAtStop).toBeGreaterThanOrEqual(A_WHILE_DOWN);
    expect(log.B.filter((t) => t <= stoppedAt).length).toBe(B_BEFORE); // the first B answered B_BEFORE, no more
    expect(log.B.length - B_BEFORE).toBeGreaterThan(10); // the restarted B's answers

    // mtr status per server: the store's figures (nearest-rank p95)
    const status = await statusJob.run({ db });
    for (const url of [a.url, b.url]) {
      const mine = calls.filter((c) => c.server === url);
      const latencies = mine.map((c) => c.latency_ms).sort((x, y) => x - y);
      expect(status.by_server[url]).toEqual({
        calls: mine.length,
        errors: mine.filter((c) => c.ok === 0).length,
        mean_latency_ms: Math.round((latencies.reduce((s, x) => s + x, 0) / latencies.length) * 10) / 10,
        p95_latency_ms: latencies[Math.ceil(0.95 * latencies.length) - 1],
      });
    }
    expect(status.model_calls).toBe(calls.length);
    const printed = await runCli(['status', '--db', db]);
    expect(printed.stdout).toContain(`${b.url}: ${status.by_server[b.url]!.calls} calls, ${status.by_server[b.url]!.errors} errors`);
  });

  it('a pool is transport: the run key of --base-url A,B is the one of A alone', () => {
    const dataset = { name: 'bamboogle', path: BAMBOOGLE };
    const keyOf = (baseUrl: string) => runKey(GenerateConfigSchema.parse({ dataset: BAMBOOGLE, db: 'x.sqlite', model: { baseUrl, model: 'm' } }), dataset);
    expect(keyOf('http://127.0.0.1:8000/v1,http://127.0.0.1:8001/v1')).toBe(keyOf('http://127.0.0.1:8000/v1'));
    expect(keyOf('http://127.0.0.1:8000/v1')).not.toBe(runKey(GenerateConfigSchema.parse({ dataset: BAMBOOGLE, db: 'x.sqlite', model: {} }), dataset));
  });
});
