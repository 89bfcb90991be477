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

/**
 * One rollout to score (a line of `mtr score` input, an item of `POST /score`). `completion` is the
 * text form (a response, or prompt + response: the prompt part is never searched); `messages` an OpenAI
 * conversation (used only when there is no completion: with both, messages are taken to be the prompt).
 * Gold comes from `answer`, `answers` and/or `golden_answers`.
 */
export const RolloutLineSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).optional(),
  data_source: z.string().optional(),
  /** how the completion is written; default: the data_source's (searchR1_*), else the reward config's */
  dialect: z.enum(DIALECTS, { error: (i) => `expected one of ${DIALECTS.join(', ')}, got ${JSON.stringify(i.input)}` }).optional(),
  completion: z.string().optional(),
  messages: z.array(z.unknown()).optional(),
  /**
   * text: removed from the front of `completion` when present there (prompt + response logs); a list of chat
   * messages (mtr's own `jsonl` exports, TRL rows) is a prompt kept apart, so the completion is the response
   */
  prompt: z
    .union([z.string(), z.array(z.unknown())], { error: (i) => `expected a string or a list of chat messages, got ${JSON.stringify(i.input)}` })
    .optional(),
  answer: z.union([z.string(), z.array(z.string())], { error: (i) => `expected a string or a list of strings, got ${JSON.stringify(i.input)}` }).optional(),
  answers: z.array(z.string()).optional(),
  golden_answers: z.array(z.string()).optional(),
  decomposition: z.array(HopSchema).optional(),
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
  const gold = [...(typeof line.answer === 'string' ? [line.answer] : (line.answer ?? [])), ...(line.answers ?? []), ...(line.golden_answers ?? [])];
  if (!gold.some((g) => g.trim() !== '')) throw fail('answer', 'expected a gold answer in answer (string), answers or golden_answers (lists), got none');
  let source;
  try {
    source = resolveDataSource(line.data_source, context.scorers ?? DEFAULT_SCORERS);
  } catch (e) {
    throw isMtrError(e) ? fail('data_source', e.message.replace(/^data_source: /, '')) : e;
  }
  const dialect = rolloutDialect(line.dialect, source.dialect, config);
  let trace;
  if (line.completion !== undefined) {
    const options =
      typeof line.prompt === 'string' ? { prompt: line.prompt, instructions: context.instructions ?? [] } : { instructions: context.instructions ?? [] };
    trace = parseTrace(responseOf(line.completion, options), { dialect });
  } else if (line.messages !== undefined) trace = parseMessages(line.messages, { dialect });
  else throw fail('completion', 'expected completion (text) or messages (OpenAI list), got neither');
  const input: ScoreInput = line.decomposition ? { trace, gold, decomposition: line.decomposition } : { trace, gold };
  return { input, scorer: source.scorer, dataSource: line.data_source, id: line.id };
}

export function scoreRollout(raw: unknown, config: RewardConfig, where: Where, context?: ScoreContext): ScoreResult {
  const p = prepareRollout(raw, where, config, context);
  return p.scorer(p.input, config);
}
