import type { Exchange } from '../../actor/index.js';
import type { RunPosition } from '../../actor/grounding.js';
import type { DatasetItem } from '../../schema/item.js';

/** What a session may be opened with: the item a rollout works on (gold material for grounding) and its place in the run. */
export interface SessionItem {
  item: DatasetItem;
  position?: RunPosition;
}

interface Session {
  history: Exchange[];
  grounding?: SessionItem;
  /** the session's last call: calls of one session run one after another, so each sees the ones before */
  tail: Promise<unknown>;
}

/**
 * The per-session world memory: calls that carry the same session id see each other's calls and
 * observations, so facts stay put across turns. Bounded: the least recently used session is forgotten
 * past `maxSessions`, and only the last `maxHistory` exchanges of a session are kept.
 */
export class SessionMemory {
  private readonly sessions = new Map<string, Session>();

  constructor(
    readonly maxSessions = 10_000,
    readonly maxHistory = 32,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  history(id: string): readonly Exchange[] {
    return this.sessions.get(id)?.history ?? [];
  }

  /** Attaches an item to the session (opening it if new): its calls are grounded in that item's material. */
  open(id: string, grounding: SessionItem): void {
    this.touch(id).grounding = grounding;
  }

  /** Runs `fn` after the session's earlier calls, with their exchanges; records what it returns. */
  within(id: string, fn: (history: readonly Exchange[], grounding: SessionItem | undefined) => Promise<Exchange>): Promise<Exchange> {
    const s = this.touch(id);
    const run = s.tail.then(() => fn([...s.history], s.grounding));
    s.tail = run.then(
      (exchange) => {
        s.history.push(exchange);
        if (s.history.length > this.maxHistory) s.history.splice(0, s.history.length - this.maxHistory);
      },
      () => undefined,
    );
    return run;
  }

  end(id: string): boolean {
    return this.sessions.delete(id);
  }

  private touch(id: string): Session {
    const s = this.sessions.get(id) ?? { history: [], tail: Promise.resolve() };
    this.sessions.delete(id); // re-insert: Map order is the recency order
    this.sessions.set(id, s);
    while (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    return s;
  }
}
