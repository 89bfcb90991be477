import { describe, expect, it } from 'vitest';
import { isFatalError, runItems, type RunnerProgress } from '../../src/pipeline/runner.js';
import { MtrError } from '../../src/schema/errors.js';
import { mtrError } from '../support/errors.js';

/** A promise settled from outside, to hold an item in flight as long as a test needs. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('runItems: the one item runner', () => {
  it('runs every item at most `concurrency` at a time and counts them', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    const progress: RunnerProgress[] = [];
    const result = await runItems(
      [1, 2, 3, 4, 5, 6, 7],
      async (n) => {
        most = Math.max(most, ++inFlight);
        await tick();
        seen.push(n);
        inFlight--;
      },
      { concurrency: 3, onProgress: (p) => progress.push(p) },
    );
    expect(result).toEqual({ total: 7, done: 7, failed: 0, aborted: false, skipped: 0 });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('hands every non-fatal failure to onFailure as an MtrError (E_INTERNAL for a plain Error) and counts it', async () => {
    const stored: [number, string, string][] = [];
    const result = await runItems(
      [1, 2, 3, 4],
      async (n) => {
        if (n === 2) throw new MtrError('E_MODEL_OUTPUT', 'no JSON');
        if (n === 4) throw new Error('boom');
      },
      { concurrency: 2, onFailure: (n, e) => void stored.push([n, e.code, e.message]) },
    );
    expect(result).toMatchObject({ done: 2, failed: 2, aborted: false });
    expect(stored.sort()).toEqual([
      [2, 'E_MODEL_OUTPUT', 'no JSON'],
      [4, 'E_INTERNAL', 'boom'],
    ]);
  });

  it('fatal is the model server unreachable or the store failing, nothing else', () => {
    expect(isFatalError(new MtrError('E_MODEL_UNREACHABLE', 'x'))).toBe(true);
    expect(isFatalError(new MtrError('E_STORE', 'x'))).toBe(true);
    for (const code of ['E_MODEL', 'E_MODEL_OUTPUT', 'E_INPUT', 'E_TOOL_SCHEMA'] as const) expect(isFatalError(new MtrError(code, 'x'))).toBe(false);
    // duck-typed codes do not count: only an MtrError says what it is
    expect(isFatalError(Object.assign(new Error('x'), { code: 'E_MODEL_UNREACHABLE' }))).toBe(false);
  });

  it('a fatal error: no item starts after it, the item in flight is awaited (and may still write), then it is thrown', async () => {
    const started: number[] = [];
    const events: string[] = [];
    const slow = gate();
    const run = runItems(
      [1, 2, 3, 4, 5, 6],
      async (n) => {
        started.push(n);
        if (n === 1) {
          await slow.promise; // in flight while item 2 fails fatally
          events.push('1 finished');
          throw new MtrError('E_MODEL', 'one item failing after the fatal error');
        }
        if (n === 2) {
          await tick();
          throw new MtrError('E_MODEL_UNREACHABLE', 'server gone');
        }
      },
      { concurrency: 2, onFailure: (n) => void events.push(`stored failure of ${n}`) },
    );
    let settled = false;
    void run.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let i = 0; i < 5; i++) await tick();
    expect(settled).toBe(false); // item 1 is still in flight: the runner waits for it
    expect(started).toEqual([1, 2]);
    slow.open();
    const e = await mtrError(run);
    events.push('thrown');
    expect(e).toMatchObject({ code: 'E_MODEL_UNREACHABLE', message: 'server gone' });
    expect(started).toEqual([1, 2]); // the queue was cleared: 3–6 never started
    expect(events).toEqual(['1 finished', 'stored failure of 1', 'thrown']);
  });

  it('a failure that cannot be stored is fatal', async () => {
    const started: number[] = [];
    const e = await mtrError(
      runItems(
        [1, 2, 3],
        async (n) => {
          started.push(n);
          throw new MtrError('E_MODEL', 'bad');
        },
        {
          concurrency: 1,
          onFailure: () => {
            throw new Error('database or disk is full');
          },
        },
      ),
    );
    expect(e).toMatchObject({ code: 'E_STORE', message: 'storing a failure: database or disk is full' });
    expect(started).toEqual([1]);
  });

  it('abort: no item starts after it, the ones in flight finish, and the result says aborted', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const finished: number[] = [];
    const result = await runItems(
      [1, 2, 3, 4, 5, 6],
      async (n) => {
        started.push(n);
        if (n === 2) controller.abort();
        await tick();
        finished.push(n);
      },
      { concurrency: 2, signal: controller.signal },
    );
    expect(started).toEqual([1, 2]);
    expect(finished.sort()).toEqual([1, 2]);
    expect(result).toEqual({ total: 6, done: 2, failed: 0, aborted: true, skipped: 4 });
  });

  it('an already aborted signal runs nothing; no items is an empty result', async () => {
    const controller = new AbortController();
    controller.abort();
    let ran = 0;
    expect(await runItems([1, 2], async () => void ran++, { concurrency: 4, signal: controller.signal })).toEqual({
      total: 2,
      done: 0,
      failed: 0,
      aborted: true,
      skipped: 2,
    });
    expect(ran).toBe(0);
    expect(await runItems([], async () => undefined, { concurrency: 4 })).toEqual({ total: 0, done: 0, failed: 0, aborted: false, skipped: 0 });
  });
});
