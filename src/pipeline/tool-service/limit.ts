import PQueue from 'p-queue';

/**
 * Per-client concurrency: each client (remote address, or the one stdio peer) has at most `perClient` calls
 * in flight; further calls wait in a FIFO. Requests are admitted before their calls start: a client with
 * `maxQueued` calls already admitted is turned away (the HTTP layer answers 429 with Retry-After), so one
 * trainer cannot queue unbounded work.
 */
export class ClientLimiter {
  private readonly queues = new Map<string, PQueue>();
  private readonly admitted = new Map<string, number>();

  constructor(
    readonly perClient: number,
    readonly maxQueued: number,
  ) {}

  /** Calls of this client admitted and not finished yet (running + waiting). */
  load(client: string): number {
    return this.admitted.get(client) ?? 0;
  }

  /** Admits `calls` more calls of this client if its allowance has room (then `release` them when done). */
  tryAdmit(client: string, calls = 1): boolean {
    const load = this.load(client);
    if (load + calls > this.maxQueued) return false;
    this.admitted.set(client, load + calls);
    return true;
  }

  release(client: string, calls = 1): void {
    const left = this.load(client) - calls;
    if (left > 0) this.admitted.set(client, left);
    else this.admitted.delete(client);
  }

  run<T>(client: string, fn: () => Promise<T>): Promise<T> {
    let q = this.queues.get(client);
    if (!q) {
      const queue = new PQueue({ concurrency: this.perClient });
      queue.on('idle', () => {
        if (queue.size === 0 && queue.pending === 0 && this.queues.get(client) === queue) this.queues.delete(client);
      });
      this.queues.set(client, (q = queue));
    }
    return q.add(fn);
  }
}
