/** The official QA answer scores (EM, cover EM, token F1) over the normalised answer: pure text comparison, shared by reward and validate. */
import { normalizeAnswer, tokens } from './normalize.js';

export interface TokenScores {
  f1: number;
  precision: number;
  recall: number;
}

export interface AnswerScores extends TokenScores {
  em: number;
  cover_em: number;
}

const SPECIAL = new Set(['yes', 'no', 'noanswer']);
const ZERO: TokenScores = { f1: 0, precision: 0, recall: 0 };

/** Official exact match: normalised strings equal. */
export const exactMatch = (prediction: string, gold: string): number => (normalizeAnswer(prediction) === normalizeAnswer(gold) ? 1 : 0);

/** Substring EM (ZeroSearch / FlashRAG "acc"): the normalised gold occurs in the normalised prediction. */
export const coverExactMatch = (prediction: string, gold: string): number => (normalizeAnswer(prediction).includes(normalizeAnswer(gold)) ? 1 : 0);

/** Official token F1 (bag of tokens); 0 when either side is yes/no/noanswer and they differ. */
export const tokenF1 = (prediction: string, gold: string): TokenScores => f1OfTokens(tokens(prediction), tokens(gold));

/** Tokens the two bags share, with multiplicity (Python's `sum((Counter(a) & Counter(b)).values())`). */
export function commonTokens(a: readonly string[], b: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const t of b) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of a) {
    const left = counts.get(t) ?? 0;
    if (left > 0) {
      same++;
      counts.set(t, left - 1);
    }
  }
  return same;
}

function f1OfTokens(pt: readonly string[], gt: readonly string[]): TokenScores {
  const p = pt.join(' ');
  const g = gt.join(' ');
  if ((SPECIAL.has(p) || SPECIAL.has(g)) && p !== g) return ZERO;
  const same = commonTokens(pt, gt);
  if (same === 0) return ZERO;
  const precision = same / pt.length;
  const recall = same / gt.length;
  return { f1: (2 * precision * recall) / (precision + recall), precision, recall };
}

/** Every correctness score, each the max over the gold aliases (precision/recall from the best-F1 alias). */
export function answerScores(prediction: string, golds: readonly string[]): AnswerScores {
  const pt = tokens(prediction);
  const p = pt.join(' ');
  const best: AnswerScores = { em: 0, cover_em: 0, ...ZERO };
  for (const gold of golds) {
    const gt = tokens(gold);
    const g = gt.join(' ');
    if (p === g) best.em = 1;
    if (p.includes(g)) best.cover_em = 1;
    const f = f1OfTokens(pt, gt);
    if (f.f1 > best.f1) Object.assign(best, f);
  }
  return best;
}
