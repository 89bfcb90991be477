import type { Hop } from '../schema/item.js';
import type { Step } from '../schema/trace.js';
import type { RewardConfig } from './config.js';
import { evidenceTexts } from './evidence.js';
import { normalizeAnswer, tokens } from '../text/normalize.js';
import { commonTokens } from '../text/answer.js';

export interface ConsistencyResult {
  score: number;
  /** the normalised answer occurs as a phrase in a successful observation */
  grounded: boolean;
  /** an observation showed a gold answer and the final answer neither matches gold nor any observation */
  contradiction: boolean;
}

const YES_NO = new Set(['yes', 'no']);

/** Whole-token phrase containment on normalised text ("paris" is in "in paris france", not in "parisian"). */
const hasPhrase = (haystack: string, phrase: string): boolean => phrase !== '' && ` ${haystack} `.includes(` ${phrase} `);

/** Share of the answer's tokens (with multiplicity) found in a text's tokens. */
const tokenRecall = (answer: readonly string[], text: readonly string[]): number => (answer.length ? commonTokens(answer, text) / answer.length : 0);

/**
 * Is the final answer supported by the trace?
 * - no answer → 0;
 * - observation support: 1 when the normalised answer occurs as a phrase in a successful observation,
 *   else the best share of its tokens found in one observation;
 * - yes/no answers cannot be found in text: supported (1) when the trace has any successful observation;
 * - decomposition support (when a gold decomposition is given): 0 unless the answer matches the last
 *   hop's answer; then (1 + intermediate hops whose answer occurs in an observation) / (1 + intermediate hops);
 * - score = max of the two supports, or `noEvidence` when there is no observation and no decomposition;
 * - contradiction: an observation contains a gold answer, yet the answer is neither gold nor found in any
 *   observation → the score is capped at `contradiction` (default 0).
 */
export function consistencyScore(
  answer: string | undefined,
  steps: readonly Step[],
  gold: readonly string[],
  config: RewardConfig['consistency'],
  decomposition?: readonly Hop[],
): ConsistencyResult {
  const a = answer === undefined ? '' : normalizeAnswer(answer);
  if (a === '') return { score: 0, grounded: false, contradiction: false };
  const evidence = evidenceTexts(steps).map(normalizeAnswer);
  const grounded = evidence.some((e) => hasPhrase(e, a));
  let support: number;
  if (evidence.length === 0) support = config.noEvidence;
  else if (YES_NO.has(a)) support = 1;
  else if (grounded) support = 1;
  else {
    const answerTokens = tokens(a);
    support = Math.max(0, ...evidence.map((e) => tokenRecall(answerTokens, tokens(e))));
  }
  if (decomposition && decomposition.length > 0) support = Math.max(support, decompositionSupport(a, evidence, decomposition));
  const goldNorm = gold.map(normalizeAnswer);
  const correct = goldNorm.includes(a);
  const contradiction = !correct && !grounded && goldNorm.some((g) => g !== '' && !YES_NO.has(g) && evidence.some((e) => hasPhrase(e, g)));
  return { score: contradiction ? Math.min(support, config.contradiction) : support, grounded, contradiction };
}

function decompositionSupport(answer: string, evidence: readonly string[], hops: readonly Hop[]): number {
  const last = hops[hops.length - 1]!;
  if (!last.answers.some((x) => normalizeAnswer(x) === answer)) return 0;
  const middle = hops.slice(0, -1);
  const seen = middle.filter((h) => h.answers.some((x) => evidence.some((e) => hasPhrase(e, normalizeAnswer(x))))).length;
  return (1 + seen) / (1 + middle.length);
}
