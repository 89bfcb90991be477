import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatasetItem } from '../../src/schema/item.js';
import type { LeaseRules } from '../../src/schema/worker.js';
import { openStore, type Store, TraceDraft } from '../../src/store/index.js';
import { freshPgDatabase } from '../support/postgres.js';

/** Leases, heartbeats and lost races of `mtr generate --worker`, on both backends through the Store interface. */
const tmp = mkdtempSync(join(tmpdir(), 'mtr-workers-'));
let n = 0;
const BACKENDS: { name: string; url: () => Promise<string> }[] = [
  { name: 'sqlite', url: async () => join(tmp, `w${n++}.sqlite`) },
  { name: 'postgres', url: () => freshPgDatabase('workers') },
];
const RULES: LeaseRules = { transientCodes: ['E_MODEL'], maxAttempts: 2 };
const items: DatasetItem[] = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, dataset: 'toy', question: `${id}?`, answers: [id] }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const answer = { stopReason: 'answer', answer: 'x' } as const;
const ids = (xs: readonly DatasetItem[]) => xs.map((x) => x.id);

const opened: Store[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

/** A run with the five items and `k` stores on it (k connections: as k worker processes have). */
async function setup(b: (typeof BACKENDS)[number], k = 2): Promise<{ stores: Store[]; runId: number }> {
  const url = await b.url();
  const first = await openStore(url, { create: true });
  opened.push(first);
  const runId = await first.runs.upsert('toy-run', 'toy', {});
  await first.items.add(runId, items);
  for (let i = 1; i < k; i++) opened.push(await openStore(url));
  return { stores: opened.slice(-k), runId };
}

/** Status of each trace of an item, by item. */
const statusesOf = async (s: Store, runId: number, item: string) =>
  (await s.traces.list(runId))
    .filter((t) => t.item_id === item)
    .map((t) => t.status)
    .sort();

describe.each(BACKENDS)('workers on $name', (b) => {
  it('leases hand out each item once, in dataset order, across connections racing for them', async () => {
    const { stores, runId } = await setup(b, 3);
    const workers = await Promise.all(stores.map((s, i) => s.workers.register(runId, 'host-a', 100 + i)));
    const got = await Promise.all(stores.map((s, i) => s.workers.lease(workers[i]!, 2, 60_000, RULES)));
    const all = got.flatMap(ids);
    expect(all.sort()).toEqual(['a', 'b', 'c', 'd', 'e']); // 3×2 asked, 5 exist: none twice
    for (const g of got) expect(ids(g)).toEqual(ids(g).slice().sort());
    expect(await stores[0]!.workers.lease(workers[0]!, 5, 60_000, RULES)).toEqual([]); // every lease live
    expect(got.flat().find((x) => x.id === 'a')).toEqual(items[0]); // the item as stored
  });

  it('an expired lease goes to another worker, which drops its running trace; the slow worker loses, no duplicate', async () => {
    const { stores, runId } = await setup(b);
    const [s1, s2] = stores as [Store, Store];
    const [w1, w2] = [await s1.workers.register(runId, 'h1', 1), await s2.workers.register(runId, 'h2', 2)];
    expect(ids(await s1.workers.lease(w1, 1, 150, RULES))).toEqual(['a']);
    const slow = await s1.traces.begin(runId, 'a');
    expect(ids(await s2.workers.lease(w2, 1, 60_000, RULES))).toEqual(['b']); // a's lease is live
    await sleep(300);
    expect(ids(await s2.workers.lease(w2, 1, 60_000, RULES))).toEqual(['a']);
    expect(await s1.traces.get(slow)).toBeUndefined(); // the expired lease's work is dropped
    const fast = await s2.traces.begin(runId, 'a');
    expect(await s2.workers.finish(w2, fast, new TraceDraft(fast), answer)).toBe('stored');
    expect(await s1.workers.finish(w1, slow, new TraceDraft(slow), answer)).toBe('lost');
    expect(await s1.workers.fail(w1, slow, new TraceDraft(slow), { code: 'E_MODEL', message: 'late' })).toBe('lost');
    expect(await statusesOf(s1, runId, 'a')).toEqual(['finished']);
    const list = await s1.workers.list(runId);
    expect(list.map((w) => [w.host, w.pid, w.items_done, w.items_lost])).toEqual([
      ['h1', 1, 0, 2],
      ['h2', 2, 1, 0],
    ]);
    expect(await s1.runs.status(runId)).toMatchObject({ traces_finished: 1, traces_running: 0, duplicates: 0 });
  });

  it('the slow worker that finishes first keeps the item; the one that took it over loses', async () => {
    const { stores, runId } = await setup(b);
    const [s1, s2] = stores as [Store, Store];
    const [w1, w2] = [await s1.workers.register(runId, 'h', 1), await s2.workers.register(runId, 'h', 2)];
    await s1.workers.lease(w1, 1, 100, RULES);
    await sleep(200);
    // w1's lease expired, nobody took it yet: its trace still counts
    const t1 = await s1.traces.begin(runId, 'a');
    expect(await s1.workers.finish(w1, t1, new TraceDraft(t1), answer)).toBe('stored');
    expect(ids(await s2.workers.lease(w2, 1, 60_000, RULES))).toEqual(['b']); // a is finished: never leased again
    expect(await s1.runs.status(runId)).toMatchObject({ traces_finished: 1, duplicates: 0 });
  });

  it('heartbeats keep a lease; a lasting failure is not leased again, a transient one until maxAttempts', async () => {
    const { stores, runId } = await setup(b);
    const [s1, s2] = stores as [Store, Store];
    const [w1, w2] = [await s1.workers.register(runId, 'h', 1), await s2.workers.register(runId, 'h', 2)];
    expect(ids(await s1.workers.lease(w1, 2, 250, RULES))).toEqual(['a', 'b']);
    for (let i = 0; i < 4; i++) {
      await sleep(100);
      expect(await s1.workers.heartbeat(w1, 250)).toBe(2);
    }
    expect(ids(await s2.workers.lease(w2, 5, 60_000, RULES))).toEqual(['c', 'd', 'e']); // a, b still w1's after 400 ms
    const [ta, tb] = [await s1.traces.begin(runId, 'a'), await s1.traces.begin(runId, 'b')];
    expect(await s1.workers.fail(w1, ta, new TraceDraft(ta), { code: 'E_MODEL_OUTPUT', message: 'never valid' })).toBe('stored');
    expect(await s1.workers.fail(w1, tb, new TraceDraft(tb), { code: 'E_MODEL', message: '503' })).toBe('stored');
    expect(await s1.workers.heartbeat(w1, 250)).toBe(0); // ending a trace frees its lease
    expect(ids(await s1.workers.lease(w1, 5, 60_000, RULES))).toEqual(['b']); // transient, 1 of 2 attempts
    const tb2 = await s1.traces.begin(runId, 'b');
    await s1.workers.fail(w1, tb2, new TraceDraft(tb2), { code: 'E_MODEL', message: '503' });
    expect(await s1.workers.lease(w1, 5, 60_000, RULES)).toEqual([]); // out of attempts
    expect((await s1.workers.list(runId))[0]).toMatchObject({ items_failed: 3, items_done: 0, stopped: false });
  });

  it('stop frees the worker leases and drops their running traces; list shows it stopped with its rate', async () => {
    const { stores, runId } = await setup(b);
    const [s1, s2] = stores as [Store, Store];
    const [w1, w2] = [await s1.workers.register(runId, 'h', 1), await s2.workers.register(runId, 'h', 2)];
    await s1.workers.lease(w1, 2, 60_000, RULES);
    const ta = await s1.traces.begin(runId, 'a');
    await s1.workers.finish(w1, ta, new TraceDraft(ta), answer);
    await s1.traces.begin(runId, 'b');
    await sleep(50);
    await s1.workers.stop(w1);
    expect(await s1.runs.status(runId)).toMatchObject({ traces_finished: 1, traces_running: 0 });
    expect(ids(await s2.workers.lease(w2, 5, 60_000, RULES))).toEqual(['b', 'c', 'd', 'e']);
    const [one] = await s1.workers.list(runId);
    expect(one).toMatchObject({ id: w1, stopped: true, items_done: 1 });
    expect(one!.rate_per_s).toBeGreaterThan(0);
    expect(Date.parse(one!.last_heartbeat)).toBeGreaterThanOrEqual(Date.parse(one!.started_at));
    expect(await s1.workers.list(runId + 1)).toEqual([]);
  });
  it('a plain generate may not take a run workers hold, nor a worker join a run a plain generate holds', async () => {
    const { stores, runId } = await setup(b);
    const [s1, s2] = stores as [Store, Store];
    const w = await s1.workers.register(runId, 'h1', process.pid);
    expect(ids(await s1.workers.lease(w, 2, 60_000, RULES))).toEqual(['a', 'b']);
    const running = await s1.traces.begin(runId, 'a');
    // a plain generate on the run: refused while the leases live, and the worker's running trace is kept
    await expect(s2.runs.claim(runId, process.pid + 1)).rejects.toThrow(`run ${runId} has 2 items leased by live workers (mtr generate --worker)`);
    expect((await s1.traces.get(running))?.status).toBe('running');
    await s1.workers.stop(w); // its leases freed: the run may be taken
    await s2.runs.claim(runId, process.pid);

    // a live plain generate (another process of this host) holds the run: a worker may not register
    const sleeper = spawn('sleep', ['30']);
    try {
      await s2.runs.release(runId, process.pid);
      await s2.runs.claim(runId, sleeper.pid!);
      await expect(s1.workers.register(runId, 'h2', process.pid)).rejects.toThrow(
        `run ${runId} is being generated by process ${sleeper.pid} without --worker: a worker joins a run no plain generate holds`,
      );
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((r) => sleeper.once('exit', r));
    }
    // its process is gone: the lock no longer counts
    expect(await s1.workers.register(runId, 'h2', process.pid)).toBeGreaterThan(w);
  });
});
