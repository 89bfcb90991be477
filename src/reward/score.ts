import type { GrammarErrorCode } from '../grammar/errors.js';
import type { ParsedTrace } from '../grammar/parse.js';
import type { Hop } from '../schema/item.js';
import { type Component, type RewardConfig, WEIGHTED } from './config.js';
import { consistencyScore } from './consistency.js';
import { efficiencyScore } from './efficiency.js';
import { formatScore } from './format.js';
import { answerScores } from '../text/answer.js';

export interface ScoreInput {
  trace: ParsedTrace;
  /** gold answer aliases (at least one) */
  gold: readonly string[];
  decomposition?: readonly Hop[];
}

export type Components = Record<Component, number>;

export interface ScoreResult {
  /** Σ wᵢ·componentᵢ / Σ wᵢ, in [0, 1] */
  reward: number;
  components: Components;
  details: {
    answer: string | null;
    format_valid: boolean;
    /** search-r1 dialect: why Search-R1's is_valid_sequence rejects it */
    format_reason?: string;
    violations: GrammarErrorCode[];
    calls: number;
    extra_calls: number;
    repeated_calls: number;
    invalid_calls: number;
    grounded: boolean;
    contradiction: boolean;
  };
}

export function compositeReward(components: Components, weights: RewardConfig['weights']): number {
  let sum = 0;
  let total = 0;
  for (const k of WEIGHTED) {
    sum += weights[k] * components[k];
    total += weights[k];
  }
  return total > 0 ? sum / total : 0;
}

/** No answer, or a blank one: the composite is `config.noAnswer` (0 by default), so silence is never paid. */
export const hasAnswer = (answer: string | undefined): answer is string => answer !== undefined && answer.trim() !== '';

/** The multi-hop QA scorer: answer correctness, format, consistency, efficiency, and their composite. */
export function scoreQa(input: ScoreInput, config: RewardConfig): ScoreResult {
  const { trace, gold } = input;
  const answer = trace.answer;
  const qa = answer === undefined ? { em: 0, f1: 0, precision: 0, recall: 0, cover_em: 0 } : answerScores(answer, gold);
  const correct = (config.format.correctBy === 'em' ? qa.em : qa.cover_em) === 1;
  const format = formatScore(trace, correct, config.format);
  const consistency = consistencyScore(answer, trace.steps, gold, config.consistency, input.decomposition);
  const efficiency = efficiencyScore(trace, config.efficiency);
  const components: Components = {
    em: qa.em,
    f1: qa.f1,
    precision: qa.precision,
    recall: qa.recall,
    cover_em: qa.cover_em,
    format: format.score,
    consistency: consistency.score,
    efficiency: efficiency.score,
  };
  return {
    reward: !hasAnswer(answer) && config.noAnswer !== null ? config.noAnswer : compositeReward(components, config.weights),
    components,
    details: {
      answer: answer ?? null,
      format_valid: format.valid,
      ...(format.reason !== undefined ? { format_reason: format.reason } : {}),
      violations: format.violations.map((v) => v.code),
      calls: efficiency.calls,
      extra_calls: efficiency.extraCalls,
      repeated_calls: efficiency.repeatedCalls,
      invalid_calls: efficiency.invalidCalls,
      grounded: consistency.grounded,
      contradiction: consistency.contradiction,
    },
  };
}

/** All-zero components, for lines that could not be scored. */
export const zeroComponents = (): Components => ({ em: 0, f1: 0, precision: 0, recall: 0, cover_em: 0, format: 0, consistency: 0, efficiency: 0 });
