/** The official QA answer scores (EM, cover EM, token F1) over the normalised answer: pure text comparison, shared by reward and validate. */
import { normalizeAnswer, tokensOf } from './normalize.js';

export interface TokenScores {
  f1: number;
  precision: number;
  recall: number;
}

export interface AnswerScores extends TokenScores {
  em: number;
  cover_em: number;
}

/**
 * A normalised gold answer: its text (EM, cover EM) and its tokens (F1). A class rather than an object literal:
 * cached golds outlive young garbage, and V8 then re-tenures a literal's allocation site, throwing away the
 * optimised scorer code that inlined it (one more compile in a scoring run's first pass).
 */
class Gold {
  readonly tokens: string[];
  constructor(readonly text: string) {
    this.tokens = tokensOf(text);
  }
}

/**
 * Golds normalised once: GRPO scores n samples of a prompt against the same gold, epoch after epoch.
 * Only answer-sized strings are kept (tokenF1 also compares whole observations), and everything is
 * dropped at the cap.
 */
const GOLDS = new Map<string, Gold>();
const GOLDS_CAP = 1 << 14;
const GOLD_MAX_LENGTH = 256;
function gold(s: string): Gold {
  let g = GOLDS.get(s);
  if (g === undefined) {
    g = new Gold(normalizeAnswer(s));
    if (s.length > GOLD_MAX_LENGTH) return g;
    if (GOLDS.size >= GOLDS_CAP) GOLDS.clear();
    GOLDS.set(s, g);
  }
  return g;
}

const isSpecial = (t: string): boolean => t === 'yes' || t === 'no' || t === 'noanswer';
/** The two commonest outcomes, shared and frozen rather than allocated per rollout. */
const NONE: AnswerScores = Object.freeze({ em: 0, cover_em: 0, f1: 0, precision: 0, recall: 0 });
const MATCH: AnswerScores = Object.freeze({ em: 1, cover_em: 1, f1: 1, precision: 1, recall: 1 });
const ZERO: TokenScores = { f1: 0, precision: 0, recall: 0 };

/** Official exact match: normalised strings equal. */
export const exactMatch = (prediction: string, g: string): number => (normalizeAnswer(prediction) === gold(g).text ? 1 : 0);

/** Substring EM (ZeroSearch / FlashRAG "acc"): the normalised gold occurs in the normalised prediction. */
export const coverExactMatch = (prediction: string, g: string): number => (normalizeAnswer(prediction).includes(gold(g).text) ? 1 : 0);

/** Official token F1 (bag of tokens); 0 when either side is yes/no/noanswer and they differ. */
export function tokenF1(prediction: string, g: string): TokenScores {
  const { f1, precision, recall } = answerScores(prediction, [g]);
  return f1 === 0 ? ZERO : { f1, precision, recall };
}

/** Tokens the two bags share, with multiplicity (Python's `sum((Counter(a) & Counter(b)).values())`). */
export function commonTokens(a: readonly string[], b: readonly string[]): number {
  // answers are a few tokens: marking matched tokens of b in a bitmask beats building a Map
  if (b.length > 31 || a.length * b.length > 1024) return commonTokensCounted(a, b);
  let used = 0;
  let same = 0;
  for (const t of a) {
    for (let j = 0; j < b.length; j++) {
      if ((used & (1 << j)) === 0 && b[j] === t) {
        used |= 1 << j;
        same++;
        break;
      }
    }
  }
  return same;
}

function commonTokensCounted(a: readonly string[], b: readonly string[]): number {
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

/** Set by sharedTokens: tokensOf(p).length, counted on the walk that compares them (no second pass over p). */
let walked = 0;

/** commonTokens(tokensOf(p), b) for normalised text p, compared in place rather than split into new strings. */
function sharedTokens(p: string, b: readonly string[]): number {
  walked = 0;
  if (p === '') return 0;
  if (b.length > 31) {
    const a = tokensOf(p);
    walked = a.length;
    return commonTokens(a, b);
  }
  let used = 0;
  let same = 0;
  let count = 0;
  for (let s = 0; s <= p.length; count++) {
    let e = p.indexOf(' ', s);
    if (e === -1) e = p.length;
    for (let j = 0; j < b.length; j++) {
      const t = b[j]!;
      if ((used & (1 << j)) === 0 && t.length === e - s && p.startsWith(t, s)) {
        used |= 1 << j;
        same++;
        break;
      }
    }
    s = e + 1;
  }
  walked = count;
  return same;
}

/** Every correctness score, each the max over the gold aliases (precision/recall from the best-F1 alias). */
export function answerScores(prediction: string, golds: readonly string[]): AnswerScores {
  const p = normalizeAnswer(prediction);
  let em = 0;
  let coverEm = 0;
  let f1 = 0;
  let precision = 0;
  let recall = 0;
  for (const s of golds) {
    const g = gold(s);
    if (p === g.text) {
      em = 1;
      coverEm = 1;
      // the same bag: precision = recall = F1 = 1 (0 when both are empty)
      if (p !== '') {
        f1 = 1;
        precision = 1;
        recall = 1;
      }
      continue;
    }
    if (p.includes(g.text)) coverEm = 1;
    if (isSpecial(p) || isSpecial(g.text)) continue;
    const same = sharedTokens(p, g.tokens);
    if (same === 0) continue;
    const pr = same / walked;
    const re = same / g.tokens.length;
    const f = (2 * pr * re) / (pr + re);
    if (f > f1) {
      f1 = f;
      precision = pr;
      recall = re;
    }
  }
  if (f1 === 0 && coverEm === 0) return NONE;
  if (em === 1 && f1 === 1) return MATCH;
  return { em, cover_em: coverEm, f1, precision, recall };
}
