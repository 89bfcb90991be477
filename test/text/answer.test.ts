import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeAnswer } from '../../src/text/normalize.js';
import { answerScores, coverExactMatch, exactMatch, tokenF1 } from '../../src/text/answer.js';

const DATASETS = join(process.cwd(), '../shared/datasets');
const QA_DIRS = ['bamboogle', 'hotpotqa', '2wiki', 'musique'];

/** Every record of every QA file, parsed straight from the raw files (JSON array or JSONL). */
function records(): { file: string; record: Record<string, unknown> }[] {
  const out: { file: string; record: Record<string, unknown> }[] = [];
  for (const dir of QA_DIRS) {
    for (const name of readdirSync(join(DATASETS, dir))) {
      const text = readFileSync(join(DATASETS, dir, name), 'utf8');
      const rows: unknown[] = name.endsWith('.jsonl')
        ? text
            .split('\n')
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l))
        : JSON.parse(text);
      for (const record of rows) out.push({ file: `${dir}/${name}`, record: record as Record<string, unknown> });
    }
  }
  return out;
}

/** The gold fields the upstream layouts use: answer, answer_aliases, Answer, golden_answers. */
function goldsOf(r: Record<string, unknown>): string[] {
  return ['answer', 'answer_aliases', 'Answer', 'golden_answers'].flatMap((k) => {
    const v = r[k];
    return typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  });
}

// ---- reference, written from the definition (official HotpotQA evaluation), independent of src/ ----
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
const PY_SPACE = new Set([
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  '\x1c',
  '\x1d',
  '\x1e',
  '\x1f',
  ' ',
  '\x85',
  '\xa0',
  '\u1680',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
]);
for (let c = 0x2000; c <= 0x200a; c++) PY_SPACE.add(String.fromCharCode(c));
const isWordChar = (ch: string): boolean => ch === '_' || /\p{L}|\p{N}/u.test(ch);

function refNormalize(s: string): string {
  const noPunct = [...s.toLowerCase()].filter((ch) => !PUNCTUATION.has(ch));
  // \b(a|an|the)\b ⇔ a maximal run of word characters that is exactly a, an or the
  let out = '';
  for (let i = 0; i < noPunct.length; ) {
    if (!isWordChar(noPunct[i]!)) {
      out += noPunct[i++];
      continue;
    }
    let j = i;
    while (j < noPunct.length && isWordChar(noPunct[j]!)) j++;
    const word = noPunct.slice(i, j).join('');
    out += word === 'a' || word === 'an' || word === 'the' ? ' ' : word;
    i = j;
  }
  const words: string[] = [];
  let cur = '';
  for (const ch of out) {
    if (PY_SPACE.has(ch)) {
      if (cur) words.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) words.push(cur);
  return words.join(' ');
}

function refF1(pred: string, gold: string): [number, number, number] {
  const p = refNormalize(pred);
  const g = refNormalize(gold);
  if (['yes', 'no', 'noanswer'].includes(p) && p !== g) return [0, 0, 0];
  if (['yes', 'no', 'noanswer'].includes(g) && p !== g) return [0, 0, 0];
  const pt = p.split(' ').filter(Boolean);
  const gt = g.split(' ').filter(Boolean);
  const count = (ts: string[]) => ts.reduce((m, t) => m.set(t, (m.get(t) ?? 0) + 1), new Map<string, number>());
  const pc = count(pt);
  const gc = count(gt);
  let same = 0;
  for (const [t, n] of pc) same += Math.min(n, gc.get(t) ?? 0);
  if (same === 0) return [0, 0, 0];
  const precision = (1.0 * same) / pt.length;
  const recall = (1.0 * same) / gt.length;
  return [(2 * precision * recall) / (precision + recall), precision, recall];
}
const refEm = (p: string, g: string): number => (refNormalize(p) === refNormalize(g) ? 1 : 0);
const refCover = (p: string, g: string): number => (refNormalize(p).includes(refNormalize(g)) ? 1 : 0);

function perturb(gold: string, other: string): string[] {
  const words = gold.split(' ');
  return [
    gold,
    gold.toUpperCase(),
    gold.toLowerCase(),
    [...gold].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join(''),
    `${gold}.`,
    `"${gold}"!`,
    gold.replace(/[ ]/g, ', '),
    gold.replace(/-/g, ' '),
    `The ${gold}`,
    `a ${gold}, an answer`,
    `${gold} the`,
    `It is ${gold} indeed`,
    `${gold} and ${gold}`,
    words.slice(0, Math.ceil(words.length / 2)).join(' '),
    `  ${gold}\n\t`,
    other,
    `${other} ${gold}`,
    'yes',
    'no',
    '',
  ];
}

describe('EM / F1 / cover EM on every gold answer of the shared QA datasets', () => {
  const all = records();
  it('reads every QA file', () => {
    expect(all.length).toBeGreaterThan(2000);
    expect(new Set(all.map((r) => r.file)).size).toBe(8);
  });

  it('agree exactly with the reference on perturbed predictions, per alias and max over aliases', () => {
    let pairs = 0;
    all.forEach(({ record }, n) => {
      const golds = goldsOf(record);
      expect(golds.length).toBeGreaterThan(0);
      const other = goldsOf(all[(n * 7919 + 13) % all.length]!.record)[0]!;
      for (const gold of golds) {
        // aliases of the same record are perturbation sources too
        for (const pred of [...perturb(gold, other), ...golds]) {
          const [f1, precision, recall] = refF1(pred, gold);
          const got = tokenF1(pred, gold);
          expect(got, `${pred} vs ${gold}`).toEqual({ f1, precision, recall });
          expect(exactMatch(pred, gold)).toBe(refEm(pred, gold));
          expect(coverExactMatch(pred, gold)).toBe(refCover(pred, gold));
          const best = answerScores(pred, golds);
          expect(best.em).toBe(Math.max(...golds.map((g) => refEm(pred, g))));
          expect(best.f1).toBe(Math.max(...golds.map((g) => refF1(pred, g)[0])));
          expect(best.cover_em).toBe(Math.max(...golds.map((g) => refCover(pred, g))));
          pairs++;
        }
      }
    });
    expect(pairs).toBeGreaterThan(40_000);
  });

  it('matches hand-checked official examples', () => {
    expect(normalizeAnswer('The  Eiffel-Tower!')).toBe('eiffeltower');
    expect(normalizeAnswer('An apple a day')).toBe('apple day');
    expect(normalizeAnswer('theatre')).toBe('theatre');
    expect(tokenF1('yes', 'no').f1).toBe(0);
    expect(tokenF1('Paris France', 'Paris')).toEqual({ f1: 2 / 3, precision: 0.5, recall: 1 });
    expect(answerScores('Stanley Hall', ['G. Stanley Hall', 'Stanley Hall']).em).toBe(1);
  });
});

describe('properties', () => {
  const text = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.array(fc.constantFrom('the', 'a', 'an', 'Paris', 'yes', 'no', '.', ',', ' ', '\u00a0', 'É', 'ς', '_', '1'), { maxLength: 8 }).map((a) => a.join(' ')),
  );
  // pieces that hit every state of the one-pass normaliser: verbatim runs, single and repeated spaces, punctuation
  // inside and between tokens, articles alone, after other characters and across dropped punctuation
  const pieces = fc
    .array(
      fc.constantFrom(
        'the',
        'a',
        'an',
        'The',
        'A',
        'Paris',
        'x',
        'yes',
        'no',
        ' ',
        '  ',
        '\t',
        ',',
        '.',
        '-',
        '_',
        '\u00a0',
        '\x01',
        '’',
        'É',
        'ß',
        'İ',
        '\u0301',
        '😀',
        '𝐀',
        '1',
      ),
      { maxLength: 12 },
    )
    .map((a) => a.join(''));
  it('normalisation and scores equal the reference on strings built from tricky pieces', () => {
    fc.assert(
      fc.property(pieces, pieces, (pred, gold) => {
        expect(normalizeAnswer(pred)).toBe(refNormalize(pred));
        const [f1, precision, recall] = refF1(pred, gold);
        expect(tokenF1(pred, gold)).toEqual({ f1, precision, recall });
        const s = answerScores(pred, [gold, pred.slice(1)]);
        expect(s.em).toBe(Math.max(refEm(pred, gold), refEm(pred, pred.slice(1))));
        expect(s.f1).toBe(Math.max(f1, refF1(pred, pred.slice(1))[0]));
        expect(s.cover_em).toBe(Math.max(refCover(pred, gold), refCover(pred, pred.slice(1))));
      }),
      { numRuns: 5000 },
    );
  });
  it('normalisation is idempotent', () => {
    fc.assert(
      fc.property(text, (s) => normalizeAnswer(normalizeAnswer(s)) === normalizeAnswer(s)),
      { numRuns: 2000 },
    );
  });
  it('scores are in [0,1], EM ≤ cover EM and EM implies F1 = 1', () => {
    fc.assert(
      fc.property(text, fc.array(text, { minLength: 1, maxLength: 3 }), (pred, golds) => {
        const s = answerScores(pred, golds);
        for (const v of Object.values(s)) expect(v >= 0 && v <= 1).toBe(true);
        expect(s.em).toBeLessThanOrEqual(s.cover_em);
        if (s.em === 1 && normalizeAnswer(pred) !== '') expect(s.f1).toBe(1);
      }),
      { numRuns: 1000 },
    );
  });
});
