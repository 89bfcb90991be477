import { z } from 'zod';
import { parseMessages } from '../grammar/messages.js';
import { parseTrace } from '../grammar/parse.js';
import { type Dialect, DIALECTS } from '../grammar/tags.js';
import { inputError, isMtrError } from '../schema/errors.js';
import { HopSchema } from '../schema/item.js';
import type { RewardConfig } from './config.js';
import { DEFAULT_SCORERS, resolveDataSource, type Scorer } from './registry.js';
import { responseOf } from './response.js';
import type { ScoreInput, ScoreResult } from './score.js';

const TEXTS = z.union([z.string(), z.array(z.string())], {
  error: (i) => `expected a string or a list of strings, got ${JSON.stringify(i.input)}`,
});

/**
 * One rollout to score (a line of `mtr score` input, an item of `POST /score`). `completion` is the
 * text form (a response, or prompt + response: the prompt part is never searched) or, as TRL writes a
 * conversational completion, the list of messages after the prompt; verl's generation column `response` /
 * `responses` (one sample here) stands for it. `messages` is an OpenAI conversation (used only when there is no
 * completion: with both, messages are taken to be the prompt). Gold comes from `answer`, `answers`,
 * `golden_answers` and/or verl's `reward_model.ground_truth` (`{target}`, a string or a list).
 */
export const RolloutLineSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).optional(),
  data_source: z.string().optional(),
  /** how the completion is written; default: the data_source's (searchR1_*), else the reward config's */
  dialect: z.enum(DIALECTS, { error: (i) => `expected one of ${DIALECTS.join(', ')}, got ${JSON.stringify(i.input)}` }).optional(),
  completion: z
    .union([z.string(), z.array(z.unknown())], { error: (i) => `expected a string or a list of chat messages, got ${JSON.stringify(i.input)}` })
    .optional(),
  /** verl's generation output: the response text; `responses` the samples (`mtr score` scores each, see rolloutSamples) */
  response: z.string().optional(),
  responses: TEXTS.optional(),
  messages: z.array(z.unknown()).optional(),
  /**
   * text: removed from the front of `completion` when present there (prompt + response logs); a list of chat
   * messages (mtr's own `jsonl` exports, TRL rows) is a prompt kept apart, so the completion is the response
   */
  prompt: z
    .union([z.string(), z.array(z.unknown())], { error: (i) => `expected a string or a list of chat messages, got ${JSON.stringify(i.input)}` })
    .optional(),
  answer: TEXTS.optional(),
  answers: z.array(z.string()).optional(),
  golden_answers: z.array(z.string()).optional(),
  decomposition: z.array(HopSchema).optional(),
  /** verl / Search-R1 rows: `{ground_truth: {target: [...]} | "..." | [...]}` */
  reward_model: z
    .looseObject({
      ground_truth: z
        .union([TEXTS, z.number(), z.looseObject({ target: z.union([TEXTS, z.number()]).optional() })], {
          error: (i) => `expected {target}, a string or a list of strings, got ${JSON.stringify(i.input)}`,
        })
        .optional(),
    })
    .optional(),
});
export type RolloutLine = z.infer<typeof RolloutLineSchema>;

export interface Where {
  file: string;
  line?: number;
  /** prefix for field names, e.g. "items[3]" */
  path?: string;
}

/** What a face knows beyond the config: the scorers and the instruction texts that start a prompt. */
export interface ScoreContext {
  scorers?: Readonly<Record<string, Scorer>>;
  /** see ResponseOptions.instructions */
  instructions?: readonly string[];
}

export interface PreparedRollout {
  input: ScoreInput;
  scorer: Scorer;
  dataSource: string | undefined;
  id: string | number | undefined;
}

/** The dialect of a rollout: its own, else its data_source's, else the configured one. */
export const rolloutDialect = (own: Dialect | undefined, fromSource: Dialect | undefined, config: Pick<RewardConfig, 'dialect'>): Dialect =>
  own ?? fromSource ?? config.dialect;

/** Validate one rollout object and parse its trace; throws E_INPUT naming file:line:field. */
export function prepareRollout(raw: unknown, where: Where, config: Pick<RewardConfig, 'dialect'>, context: ScoreContext = {}): PreparedRollout {
  const field = (f: string): string => (where.path ? `${where.path}.${f}` : f);
  const fail = (f: string, message: string) => inputError('E_INPUT', where.file, where.line, where.path && f === '' ? where.path : field(f), message);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw fail('', `expected a JSON object, got ${Array.isArray(raw) ? 'an array' : JSON.stringify(raw)}`);
  const parsed = RolloutLineSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw fail(issue.path.join('.'), issue.message);
  }
  const line = parsed.data;
  const gold = [...texts(line.answer), ...(line.answers ?? []), ...(line.golden_answers ?? []), ...groundTruth(line.reward_model?.ground_truth)];
  if (!gold.some((g) => g.trim() !== ''))
    throw fail('answer', 'expected a gold answer in answer (string), answers or golden_answers (lists) or reward_model.ground_truth, got none');
  if (line.completion === undefined && line.response === undefined && Array.isArray(line.responses) && line.responses.length !== 1)
    throw fail('responses', `expected one response per line, got ${line.responses.length} (write one line per sample)`);
  const completion = line.completion ?? line.response ?? (Array.isArray(line.responses) ? line.responses[0] : line.responses);
  let source;
  try {
    source = resolveDataSource(line.data_source, context.scorers ?? DEFAULT_SCORERS);
  } catch (e) {
    throw isMtrError(e) ? fail('data_source', e.message.replace(/^data_source: /, '')) : e;
  }
  const dialect = rolloutDialect(line.dialect, source.dialect, config);
  let trace;
  if (Array.isArray(completion)) trace = parseMessages(completion, { dialect });
  else if (completion !== undefined) {
    const options =
      typeof line.prompt === 'string' ? { prompt: line.prompt, instructions: context.instructions ?? [] } : { instructions: context.instructions ?? [] };
    trace = parseTrace(responseOf(completion, options), { dialect });
  } else if (line.messages !== undefined) trace = parseMessages(line.messages, { dialect });
  else throw fail('completion', 'expected completion (text) or messages (OpenAI list), or a completion as chat messages or response / responses, got none');
  const input: ScoreInput = line.decomposition ? { trace, gold, decomposition: line.decomposition } : { trace, gold };
  return { input, scorer: source.scorer, dataSource: line.data_source, id: line.id ?? rowId(raw) };
}

const texts = (v: string | readonly string[] | number | undefined): string[] =>
  v === undefined ? [] : typeof v === 'number' ? [String(v)] : typeof v === 'string' ? [v] : [...v];

type GroundTruth = NonNullable<RolloutLine['reward_model']>['ground_truth'];
const groundTruth = (g: GroundTruth): string[] =>
  g !== undefined && typeof g === 'object' && !Array.isArray(g) ? texts((g as { target?: string | string[] | number }).target) : texts(g);

/** verl rows keep the item id in `extra_info.id` (mtr's export) */
function rowId(raw: object): string | number | undefined {
  const extra = (raw as { extra_info?: unknown }).extra_info;
  const id = typeof extra === 'object' && extra !== null ? (extra as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

/**
 * verl's generation output keeps every sample of a prompt in one row (`responses`: n texts): one rollout per
 * sample, each with its index. Any other line is one rollout with no sample index.
 */
export function rolloutSamples(raw: unknown): { raw: unknown; sample?: number }[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [{ raw }];
  const row = raw as Record<string, unknown>;
  const responses = row.responses;
  if (row.completion !== undefined || row.response !== undefined || !Array.isArray(responses) || responses.length < 2) return [{ raw }];
  return responses.map((r, sample) => ({ raw: { ...row, responses: [r] }, sample }));
}

export function scoreRollout(raw: unknown, config: RewardConfig, where: Where, context?: ScoreContext): ScoreResult {
  const p = prepareRollout(raw, where, config, context);
  return p.scorer(p.input, config);
}
