import { renderTrace } from '../grammar/render.js';
import { DEFAULT_DIALECT, type Dialect } from '../grammar/tags.js';
import { COMPONENTS, type RewardConfig } from '../reward/config.js';
import { scoreRollout } from '../reward/input.js';
import type { ScoreResult } from '../reward/score.js';
import { isMtrError } from '../schema/errors.js';
import type { RunRecord } from '../schema/run.js';
import type { TraceRecord } from '../schema/trace.js';
import type { Store } from '../store/index.js';
import { defaultInstructions } from './prompt-instructions.js';

/** The reward of a trace: not stored (mtr score writes files), computed here from the trace and its item's gold. */
export type TraceReward = Pick<ScoreResult, 'reward' | 'components' | 'details'>;

/** The dialect a run's traces were generated in (`mtr generate --dialect`), which is how a policy writes them. */
export const runDialect = (run: Pick<RunRecord, 'config'>): Dialect => (run.config as { dialect?: Dialect } | null)?.dialect ?? DEFAULT_DIALECT;

/**
 * A finished trace scored as `mtr score` scores one rollout: its steps rendered to the text a policy writes (in the
 * run's dialect) against the item's gold answers, through the same scoreRollout. The gold is what mtr export's
 * rows carry to a trainer (answers, no decomposition), so this is the reward the trainer computes. A trace that did
 * not finish has no reward (it never reaches a trainer).
 */
export function traceReward(trace: TraceRecord, gold: readonly string[], dialect: Dialect, config: RewardConfig): TraceReward | null {
  if (trace.status !== 'finished') return null;
  const rollout = { completion: renderTrace(trace.steps, { dialect }), answers: gold, dialect };
  return scoreRollout(rollout, config, { file: `trace ${trace.id}` }, { instructions: INSTRUCTIONS });
}

const INSTRUCTIONS = defaultInstructions();

/** A trace the scorer refuses with an input error (what `mtr score --continue-on-error` scores 0) has no reward here. */
export function scoredOrNull(score: () => TraceReward | null): TraceReward | null {
  try {
    return score();
  } catch (e) {
    if (isMtrError(e)) return null;
    throw e;
  }
}

/** Histogram bins over [0, 1]: bin i holds values in [i/10, (i+1)/10), the last one 1 as well. */
export const REWARD_BINS = 10;
export const binOf = (x: number): number => Math.min(REWARD_BINS - 1, Math.max(0, Math.floor(x * REWARD_BINS)));

/** How far a run's rewards are: scored of the finished traces, and histograms of the reward and each component. */
export interface RewardProgress {
  scored: number;
  total: number;
  complete: boolean;
  histograms: Record<'reward' | (typeof COMPONENTS)[number], number[]>;
}

/** Traces read and scored between two yields to the event loop: one chunk keeps a page waiting a few ms at most. */
const CHUNK = 50;

/**
 * A run's rewards, computed in the background in chunks once something asks (reading and scoring 100k traces
 * takes about a minute, so no page waits for it): what is scored so far is answered at once, with its progress.
 * The walk starts again when the run's finished count changes; traces already scored are kept.
 */
export class RunRewards {
  readonly byTrace = new Map<number, number>();
  /** finished traces the scorer refuses (e.g. a blank gold answer): no reward, and the walk does not wait for them */
  private readonly unscorable = new Set<number>();
  private readonly bins = emptyBins();
  private finished = -1;
  private walking: Promise<void> | null = null;
  private error: unknown = null;
  private sorted: { size: number; ids: number[] } = { size: 0, ids: [] };

  constructor(
    private readonly store: Store,
    private readonly run: RunRecord,
    private readonly config: RewardConfig,
  ) {}

  /** The scored trace ids in id order (sorted again only when more are scored). */
  ids(): readonly number[] {
    if (this.sorted.size !== this.byTrace.size) this.sorted = { size: this.byTrace.size, ids: [...this.byTrace.keys()].sort((a, b) => a - b) };
    return this.sorted.ids;
  }

  /** Starts (or restarts) the walk when needed; returns what is scored now. */
  async progress(): Promise<RewardProgress> {
    if (this.error) throw this.error;
    const finished = (await this.store.traces.page({ runId: this.run.id, status: 'finished', offset: 0, limit: 0 })).total;
    if (finished !== this.finished && !this.walking) {
      this.finished = finished;
      this.walking = this.walk().then(
        () => {
          this.walking = null;
        },
        (e: unknown) => {
          this.error = e;
          this.walking = null;
        },
      );
    }
    const complete = !this.walking && this.byTrace.size + this.unscorable.size >= finished;
    return { scored: this.byTrace.size, total: finished, complete, histograms: this.bins };
  }

  /** Resolves when the current walk ends (tests; a face never waits). */
  async settled(): Promise<void> {
    await this.progress();
    while (this.walking) await this.walking;
    if (this.error) throw this.error;
  }

  private async walk(): Promise<void> {
    const dialect = runDialect(this.run);
    for (let offset = 0; ; offset += CHUNK) {
      const page = await this.store.traces.page({ runId: this.run.id, status: 'finished', offset, limit: CHUNK });
      for (const row of page.items) {
        if (this.byTrace.has(row.trace_id) || this.unscorable.has(row.trace_id)) continue;
        const trace = await this.store.traces.get(row.trace_id);
        const r = trace ? scoredOrNull(() => traceReward(trace, row.gold, dialect, this.config)) : null;
        if (!r) {
          this.unscorable.add(row.trace_id);
          continue;
        }
        this.byTrace.set(row.trace_id, r.reward);
        this.bins.reward[binOf(r.reward)]!++;
        for (const k of COMPONENTS) this.bins[k][binOf(r.components[k])]!++;
      }
      if (page.items.length < CHUNK) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

const emptyBins = (): RewardProgress['histograms'] =>
  Object.fromEntries(['reward', ...COMPONENTS].map((k) => [k, Array<number>(REWARD_BINS).fill(0)])) as RewardProgress['histograms'];
