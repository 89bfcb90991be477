import { z } from 'zod';
import { parseTrace } from '../grammar/parse.js';
import { type Dialect, DIALECTS } from '../grammar/tags.js';
import { COMPONENTS, DEFAULT_REWARD_CONFIG, type RewardConfig } from '../reward/config.js';
import { rolloutDialect, type ScoreContext, scoreRollout, type Where } from '../reward/input.js';
import { DEFAULT_SCORERS, type ResolvedSource, resolveDataSource, type Scorer } from '../reward/registry.js';
import { responseOf } from '../reward/response.js';
import { type Components, type ScoreResult, zeroComponents } from '../reward/score.js';
import { type Stat, summarize } from '../reward/summary.js';
import { parseConfig } from './job.js';
import { defaultInstructions } from './prompt-instructions.js';
import { RewardFields, rewardConfigOf } from './reward-fields.js';
import { DEFAULT_REWARD_PORT, type Listen, listenOf, serverFields } from './serve-fields.js';

export type { Dialect } from '../grammar/tags.js';
export type { Components, ScoreResult } from '../reward/score.js';
export type { Stat } from '../reward/summary.js';

/** One OpenRLHF-style query to reward: prompt + response text, its gold answers, how it is written. */
export interface RewardQuery {
  query: string;
  /** the prompt the query starts with, when the trainer sends it apart */
  prompt?: string;
  /** the query's own dialect (a request's `dialects[i]` or `dialect`) */
  dialect?: Dialect;
  gold: string[];
}

/**
 * What the reward server's routes call: the reward config, the scorer registry and the instruction texts, bound
 * once. Every method is pure; input errors are thrown as E_INPUT (the route scores that item 0 with the reason).
 */
export interface RewardService {
  readonly config: RewardConfig;
  /** the components every score reports, in order */
  readonly components: readonly string[];
  readonly dialects: readonly Dialect[];
  /** a data_source (undefined: the default) → its scorer; E_INPUT naming the known ones */
  source(dataSource: string | undefined): ResolvedSource;
  /** one OpenRLHF query scored by its resolved source */
  reward(source: ResolvedSource, query: RewardQuery): ScoreResult;
  /** one rollout in `mtr score`'s line shape */
  score(rollout: unknown, where: Where): ScoreResult;
  summarize(results: readonly Pick<ScoreResult, 'reward' | 'components'>[]): Record<string, Stat>;
  zero(): Components;
}

export interface RewardServiceOptions {
  config?: RewardConfig;
  scorers?: Readonly<Record<string, Scorer>>;
  /** instruction texts that open a prompt (default: Search-R1's, as the agent fills prompts/search-r1.md) */
  instructions?: readonly string[];
}

export function rewardService(options: RewardServiceOptions = {}): RewardService {
  const config = options.config ?? DEFAULT_REWARD_CONFIG;
  const context: Required<ScoreContext> = { scorers: options.scorers ?? DEFAULT_SCORERS, instructions: options.instructions ?? defaultInstructions() };
  return {
    config,
    components: COMPONENTS,
    dialects: DIALECTS,
    source: (dataSource) => resolveDataSource(dataSource, context.scorers),
    reward(source, q) {
      const response = responseOf(q.query, { ...(q.prompt !== undefined ? { prompt: q.prompt } : {}), instructions: context.instructions });
      const trace = parseTrace(response, { dialect: rolloutDialect(q.dialect, source.dialect, config) });
      return source.scorer({ trace, gold: q.gold }, config);
    },
    score: (rollout, where) => scoreRollout(rollout, config, where, context),
    summarize,
    zero: zeroComponents,
  };
}

export const ServeRewardConfigSchema = z.object({ ...serverFields(DEFAULT_REWARD_PORT, 'POST routes'), ...RewardFields });
export const ServeRewardSummarySchema = z.object({ dialect: z.enum(DIALECTS), weights: z.record(z.string(), z.number()) });
export type ServeRewardSummary = z.output<typeof ServeRewardSummarySchema>;

/** A service ready to be bound by a face: what to serve, where, and its summary. */
export interface ReadyRewardService {
  service: RewardService;
  listen: Listen;
  summary: ServeRewardSummary;
}

/**
 * `serve reward`'s setup: the reward config from the flags (a JSON file, --weights and --dialect on top) as a
 * service for the reward server's routes. The face binds the port (src/server) and prints the banner.
 */
export const serveRewardJob = {
  name: 'serve reward',
  description: 'Serve the reward over HTTP: OpenRLHF-compatible POST /get_reward, batch POST /score, GET /health',
  examples: [
    'mtr serve reward',
    'mtr serve reward --port 8787 --token s3cret --weights em=0.5,f1=0.2,format=0.3',
    'mtr serve reward --dialect search-r1 --token s3cret',
  ],
  config: ServeRewardConfigSchema,
  summary: ServeRewardSummarySchema,
  async run(input: z.input<typeof ServeRewardConfigSchema>): Promise<ReadyRewardService> {
    const c = parseConfig(ServeRewardConfigSchema, input);
    const config = rewardConfigOf(c);
    return { service: rewardService({ config }), listen: listenOf(c), summary: { dialect: config.dialect, weights: config.weights } };
  },
} as const;
