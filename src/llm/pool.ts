/**
 * A pool of OpenAI-compatible servers serving one model (`--base-url A,B`): which server takes the next request.
 * Pure scheduling — no I/O, time from an injected clock — so the rules are tested without sockets; openai.ts
 * does the requests and reports each one's outcome here.
 *
 * Rules: a request goes to the healthy server with the fewest requests in flight (ties in turn, round robin), to
 * another than the one it just failed on when there is one. `ejectAfter` consecutive server failures (what the
 * retry policy calls transient: 5xx, 429, timeouts, refused or reset connections) take a server out for a
 * backoff that doubles per failed comeback up to `backoffMaxMs`; when it is due, the next request probes it (one
 * at a time) and an answer puts it back. When every server is out, the one due first takes the request, so a
 * pool of one behaves as a single server: the retry policy alone decides.
 */

import { MtrError } from '../schema/errors.js';

export interface PoolOptions {
  /** consecutive server failures that take a server out (default 3) */
  ejectAfter?: number;
  /** first time out (default 500 ms); doubled per failed probe */
  backoffBaseMs?: number;
  /** longest time out (default 30 s) */
  backoffMaxMs?: number;
  now?: () => number;
}

/** What a finished request says about its server: it answered, it failed as a server fails, it answered with an error (a 400), or nothing (the caller cancelled). */
export type Outcome = 'ok' | 'server_failure' | 'other' | 'cancelled';

export type ServerState = 'up' | 'out' | 'probing';

export interface ServerSnapshot {
  url: string;
  state: ServerState;
  inFlight: number;
  consecutiveFailures: number;
  /** when an out server is due for a probe (clock ms) */
  outUntil?: number;
}

interface Server {
  url: string;
  state: ServerState;
  inFlight: number;
  failures: number;
  /** failed comebacks since the server was last healthy: the backoff's exponent */
  outages: number;
  outUntil: number;
}

export class ServerPool {
  private readonly servers: Server[];
  private readonly ejectAfter: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly now: () => number;
  private cursor = 0;

  constructor(urls: readonly string[], options: PoolOptions = {}) {
    if (!urls.length) throw new MtrError('E_INTERNAL', 'ServerPool: expected at least one server URL, got none');
    this.servers = urls.map((url) => ({ url, state: 'up', inFlight: 0, failures: 0, outages: 0, outUntil: 0 }));
    this.ejectAfter = options.ejectAfter ?? 3;
    this.baseMs = options.backoffBaseMs ?? 500;
    this.maxMs = options.backoffMaxMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  /** The server for the next request (counted in flight until `release`); `avoid` is the server the request just failed on. */
  acquire(avoid?: string): string {
    const now = this.now();
    const due = this.servers.find((s) => s.state === 'out' && s.outUntil <= now && s.url !== avoid);
    if (due) {
      due.state = 'probing';
      return this.take(due);
    }
    const up = this.servers.filter((s) => s.state === 'up');
    const others = up.filter((s) => s.url !== avoid);
    const candidates = others.length ? others : up;
    if (!candidates.length) {
      // every server is out (or probing): the one back first, so requests keep their own retry policy
      const soonest = this.servers.reduce((a, b) => (b.outUntil < a.outUntil ? b : a));
      return this.take(soonest);
    }
    const fewest = Math.min(...candidates.map((s) => s.inFlight));
    const n = this.servers.length;
    for (let i = 0; i < n; i++) {
      const s = this.servers[(this.cursor + i) % n]!;
      if (s.inFlight === fewest && candidates.includes(s)) {
        this.cursor = (this.servers.indexOf(s) + 1) % n;
        return this.take(s);
      }
    }
    return this.take(candidates[0]!); // unreachable: some candidate has the fewest
  }

  /** A request to `url` ended with `outcome`. */
  release(url: string, outcome: Outcome): void {
    const s = this.servers.find((x) => x.url === url);
    if (!s) throw new MtrError('E_INTERNAL', `ServerPool: expected one of ${this.urls.join(', ')}, got ${url}`);
    s.inFlight = Math.max(0, s.inFlight - 1);
    if (outcome === 'ok') {
      Object.assign(s, { state: 'up', failures: 0, outages: 0, outUntil: 0 });
    } else if (outcome === 'server_failure') {
      s.failures++;
      if (s.state === 'probing' || (s.state === 'up' && s.failures >= this.ejectAfter)) this.takeOut(s);
    } else if (s.state === 'probing') {
      s.state = outcome === 'other' ? 'up' : 'out'; // it answered (say, a 400): alive; a cancelled probe is due again
    }
  }

  /** Takes a server out now (it failed its health check at start-up). */
  markOut(url: string): void {
    const s = this.servers.find((x) => x.url === url);
    if (s) this.takeOut(s);
  }

  snapshot(): ServerSnapshot[] {
    return this.servers.map((s) => ({
      url: s.url,
      state: s.state,
      inFlight: s.inFlight,
      consecutiveFailures: s.failures,
      ...(s.state === 'up' ? {} : { outUntil: s.outUntil }),
    }));
  }

  private take(s: Server): string {
    s.inFlight++;
    return s.url;
  }

  private takeOut(s: Server): void {
    s.state = 'out';
    s.outUntil = this.now() + Math.min(this.maxMs, this.baseMs * 2 ** s.outages);
    s.outages++;
  }
}
