import { describe, expect, it } from 'vitest';
import { ServerPool } from '../../src/llm/pool.js';

const [A, B, C] = ['http://a/v1', 'http://b/v1', 'http://c/v1'];

function clocked(urls: string[], options: { ejectAfter?: number; backoffBaseMs?: number; backoffMaxMs?: number } = {}) {
  let t = 1000;
  const pool = new ServerPool(urls, { ...options, now: () => t });
  return { pool, advance: (ms: number) => void (t += ms), at: () => t };
}

describe('ServerPool: picking', () => {
  it('sends each request to the server with the fewest in flight, ties in turn', () => {
    const { pool } = clocked([A, B, C]);
    expect([pool.acquire(), pool.acquire(), pool.acquire()]).toEqual([A, B, C]);
    pool.release(B, 'ok');
    expect(pool.acquire()).toBe(B); // the only one with 0 in flight
    pool.release(A, 'ok');
    pool.release(C, 'ok');
    // A and C idle now: the turn goes on after B
    expect(pool.acquire()).toBe(C);
    expect(pool.acquire()).toBe(A);
  });

  it('round-robins sequential requests over idle servers', () => {
    const { pool } = clocked([A, B]);
    const seen = Array.from({ length: 6 }, () => {
      const url = pool.acquire();
      pool.release(url, 'ok');
      return url;
    });
    expect(seen).toEqual([A, B, A, B, A, B]);
  });

  it('a retried request goes to another server when one is up, to the same one when it is alone', () => {
    const { pool } = clocked([A, B]);
    pool.release(pool.acquire(), 'ok'); // A; B is next in turn
    expect(pool.acquire(B)).toBe(A);
    const single = clocked([A]).pool;
    expect(single.acquire(A)).toBe(A);
  });
});

describe('ServerPool: taking out and putting back', () => {
  it('takes a server out after N consecutive server failures; an answer in between resets the count', () => {
    const { pool } = clocked([A, B], { ejectAfter: 3 });
    const onA = (outcome: 'ok' | 'server_failure') => {
      pool.acquire(B); // avoid B: the request goes to A
      pool.release(A, outcome);
    };
    onA('server_failure');
    onA('server_failure');
    onA('ok');
    onA('server_failure');
    onA('server_failure');
    expect(pool.snapshot()[0]).toMatchObject({ state: 'up', consecutiveFailures: 2 });
    onA('server_failure');
    expect(pool.snapshot()[0]).toMatchObject({ state: 'out', consecutiveFailures: 3 });
    expect(Array.from({ length: 4 }, () => pool.acquire())).toEqual([B, B, B, B]);
  });

  it('failures that are not the server (a 400, a cancel) never take it out', () => {
    const { pool } = clocked([A, B], { ejectAfter: 1 });
    pool.release(pool.acquire(), 'other');
    pool.release(pool.acquire(B), 'cancelled');
    expect(pool.snapshot()[0]).toMatchObject({ state: 'up', consecutiveFailures: 0, inFlight: 0 });
  });

  it('a probe answered with an error (a 400) puts the server back; a cancelled probe leaves it due for the next', () => {
    const { pool, advance } = clocked([A, B], { ejectAfter: 1, backoffBaseMs: 10 });
    pool.release(pool.acquire(), 'server_failure');
    advance(10);
    pool.release(pool.acquire(), 'cancelled');
    expect(pool.snapshot()[0]!.state).toBe('out');
    expect(pool.acquire()).toBe(A); // probed again at once
    pool.release(A, 'other');
    expect(pool.snapshot()[0]!.state).toBe('up');
  });

  it('probes an out server when its backoff is over: one probe at a time; an answer puts it back', () => {
    const { pool, advance, at } = clocked([A, B], { ejectAfter: 1, backoffBaseMs: 100, backoffMaxMs: 1000 });
    pool.release(pool.acquire(), 'server_failure'); // A out until +100
    expect(pool.snapshot()[0]).toMatchObject({ state: 'out', outUntil: at() + 100 });
    advance(99);
    expect(pool.acquire()).toBe(B);
    advance(1);
    expect(pool.acquire()).toBe(A); // the probe
    expect(pool.snapshot()[0]!.state).toBe('probing');
    expect(pool.acquire()).toBe(B); // no second request while the probe is out
    pool.release(A, 'ok');
    expect(pool.snapshot()[0]).toMatchObject({ state: 'up', consecutiveFailures: 0 });
    expect(pool.acquire()).toBe(A); // back in the rotation: fewest in flight
  });

  it('a failed probe takes the server out for twice as long, up to the cap; a comeback resets the backoff', () => {
    const { pool, advance, at } = clocked([A, B], { ejectAfter: 1, backoffBaseMs: 100, backoffMaxMs: 350 });
    pool.release(pool.acquire(), 'server_failure');
    const outFor: number[] = [];
    for (let i = 0; i < 4; i++) {
      const until = pool.snapshot()[0]!.outUntil!;
      outFor.push(until - at());
      advance(until - at());
      expect(pool.acquire()).toBe(A);
      pool.release(A, 'server_failure');
    }
    expect(outFor).toEqual([100, 200, 350, 350]);
    advance(350);
    pool.release(pool.acquire(), 'ok'); // the probe answers
    pool.release(pool.acquire(B), 'server_failure'); // out again: the first backoff once more
    expect(pool.snapshot()[0]!.outUntil! - at()).toBe(100);
  });

  it('the retried request does not probe the server it just failed on', () => {
    const { pool, advance } = clocked([A, B], { ejectAfter: 1, backoffBaseMs: 10 });
    pool.release(pool.acquire(), 'server_failure');
    advance(10);
    expect(pool.acquire(A)).toBe(B);
  });

  it('when every server is out, the one due first takes the request (a pool of one is a plain server)', () => {
    const { pool, advance } = clocked([A, B], { ejectAfter: 1, backoffBaseMs: 100 });
    pool.release(pool.acquire(), 'server_failure'); // A out until +100
    advance(50);
    pool.release(pool.acquire(), 'server_failure'); // B out until +150
    expect(pool.acquire()).toBe(A);
    const single = clocked([A], { ejectAfter: 1 });
    single.pool.release(single.pool.acquire(), 'server_failure');
    expect(single.pool.acquire(A)).toBe(A);
  });

  it('markOut takes a server out at once (failed health check); in-flight counts never go negative', () => {
    const { pool } = clocked([A, B]);
    pool.markOut(A);
    expect([pool.acquire(), pool.acquire()]).toEqual([B, B]);
    pool.release(B, 'ok');
    pool.release(B, 'ok');
    pool.release(B, 'ok');
    expect(pool.snapshot()[1]!.inFlight).toBe(0);
    expect(() => pool.release(C, 'ok')).toThrow(/expected one of http:\/\/a\/v1, http:\/\/b\/v1, got http:\/\/c\/v1/);
  });
});
