import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerScores, coverExactMatch, exactMatch, tokenF1 } from '../../src/text/answer.js';
import { normalizeAnswer } from '../../src/text/normalize.js';

/**
 * The official scorer is Python's: str.lower(), string.punctuation, re's Unicode `\b`, str.split(). These tests
 * run it (bench/official_qa.py, the one the reward bench times) on strings where JavaScript could differ.
 */
const PYTHON = String.raw`
import json, sys, unicodedata
sys.path.insert(0, sys.argv[1])
from official_qa import normalize_answer, f1_score, em
req = json.load(sys.stdin)
out = {'pairs': [[normalize_answer(p), normalize_answer(g), int(em(p, g)), repr(f1_score(p, g))] for p, g in req['pairs']]}
if req['codepoints']:
    # every character this Python's Unicode database assigns (not surrogates, private use or unassigned: a newer
    # Unicode in Node may know characters this Python does not), in contexts that show case, \w and whitespace
    cps = [c for c in range(0x110000) if unicodedata.category(chr(c)) not in ('Cn', 'Co', 'Cs')]
    chunks = []
    for i in range(0, len(cps), 64):
        s = ''.join('X%sTHE%sA%sy %san %s' % (ch, ch, ch, ch, ch) for ch in map(chr, cps[i:i + 64]))
        chunks.append([s, normalize_answer(s)])
    out['chunks'] = chunks
    out['unicode'] = unicodedata.unidata_version
print(json.dumps(out))
`;

interface PythonAnswer {
  pairs: [string, string, number, string][];
  chunks?: [string, string][];
  unicode?: string;
}

function python(pairs: [string, string][], codepoints: boolean): PythonAnswer {
  const stdout = execFileSync('python3', ['-c', PYTHON, join(process.cwd(), 'bench')], {
    input: JSON.stringify({ pairs, codepoints }),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(stdout) as PythonAnswer;
}

/** Where Python and JavaScript string handling can part: case mappings, \w, whitespace, punctuation, articles. */
const TRICKY = [
  // lower(): full mappings, final sigma, titlecase, letters whose lowercase is ASCII
  'İstanbul',
  'İ',
  'İ̇',
  'ISTANBUL',
  'i̇stanbul',
  'ı',
  'ß',
  'STRASSE',
  'Straße',
  'ẞ',
  'ǅ',
  'ǈ',
  'ǲ',
  'ΣΊΣΥΦΟΣ',
  'ΟΔΟΣ ΑΘΗΝΩΝ',
  'Σ',
  'AΣ',
  'AΣ.',
  'AΣ-B',
  "ΑΣ'Β",
  'ΑΣ\u0301',
  'ΐ',
  'ﬁ',
  'ﬀ Ｆ',
  '\u212A',
  '\u212B',
  'Ꭰ',
  'Ა',
  '𐐀',
  'a𐐀',
  '𝐓𝐇𝐄',
  // combining marks are not \w: an article before one is a whole word
  'the\u0301',
  'a\u0308',
  'The\u0300 end',
  'café',
  'cafe\u0301',
  'an\u0327',
  // fullwidth and other digits and numbers (\w in Python)
  'ＴＨＥ Ｐａｒｉｓ',
  '１９９９',
  '٣ apples',
  'a\u00b2',
  '²',
  '½',
  'Ⅻ',
  'aⅫ',
  '①the',
  'the𝟏',
  // whitespace as str.split() sees it (and characters that are not)
  '\u00a0the\u00a0end',
  'a\u2003b',
  'x\u200by',
  '\ufeffthe',
  'a\x1cb',
  'a\x85the',
  '\u3000the\u3000',
  'x\u180ey',
  'the\u2028a',
  'a\u205fb\u202fc',
  '\t\n\v\f\r the \r\n',
  // punctuation (ASCII only) and the articles rule after it
  'the_end',
  '_the_',
  'a-an-the',
  't.h.e',
  'the.',
  "rock 'n' roll",
  'U.S.A.',
  '«the»',
  '—the—',
  '“The” end',
  'l’a',
  "l'a",
  'don’t',
  '¿the?',
  '\x00the\x01',
  'a\x7fb',
  '\x1b[0mthe',
  // articles inside words
  'theatre',
  'another',
  'anathema',
  'a1',
  'the2',
  '3a',
  'thé',
  'théa',
  'a an the',
  'The The',
  'A',
  'AN',
  // astral characters and lone surrogates
  '𝐀 the',
  'the😀a',
  '😀 the 😀',
  '\ud800the',
  'the\udc00',
  'a\ud800',
  // lowercase ASCII, already normal or one step from it (normalizeAnswer's fast path and where it must give up)
  'paris france 1999',
  'paris the',
  'the paris',
  'paris an france',
  'paris  france',
  ' paris',
  'paris ',
  'thee an1 a0 9a',
  // special answers
  'Yes',
  'YES.',
  'no',
  'No!',
  'noanswer',
  'No Answer',
  'yes sir',
  '',
  ' ',
  '...',
  'the',
];

/** Deterministic pseudo-random strings assembled from the tricky pieces, ASCII words and separators. */
function generated(count: number): string[] {
  let seed = 17;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pieces = [...TRICKY, 'Paris', 'the', 'A', 'an', 'France', 'Σ', 'ς', 'İ', '\u0301', '_', '-', '1999'];
  const seps = [' ', '', '\u00a0', ',', '.', '\t', '  ', '\u2009', '’'];
  return Array.from({ length: count }, () => {
    let s = pieces[next(pieces.length)]!;
    for (let k = next(5); k > 0; k--) s += seps[next(seps.length)]! + pieces[next(pieces.length)]!;
    return s;
  });
}

describe('normalisation, EM and F1 agree with the official Python scorer', () => {
  it('on tricky Unicode, punctuation, whitespace and article strings', () => {
    const strings = [...TRICKY, ...generated(400)];
    const pairs: [string, string][] = [];
    strings.forEach((s, i) => {
      const other = strings[(i * 31 + 7) % strings.length]!;
      pairs.push([s, s], [s.toUpperCase(), s], [`${s} ${other}`, s], [other, s], [`The ${s}.`, `${s}`]);
    });
    const py = python(pairs, false);
    expect(py.pairs).toHaveLength(pairs.length);
    const bad: unknown[] = [];
    pairs.forEach(([p, g], i) => {
      const [pn, gn, em, f1] = py.pairs[i]!;
      const got = answerScores(p, [g]);
      const js = [normalizeAnswer(p), normalizeAnswer(g), exactMatch(p, g), got.em, tokenF1(p, g).f1, got.f1];
      if (js.join('\u0000') !== [pn, gn, em, em, Number(f1), Number(f1)].join('\u0000')) bad.push({ p, g, python: py.pairs[i], js });
      // cover EM has no official Python form: it is its definition on the normalised strings Python gives
      expect(coverExactMatch(p, g)).toBe(pn.includes(gn) ? 1 : 0);
    });
    expect(bad).toEqual([]);
    // the pairs reach every branch: matches, partial F1, the yes/no rule, and empty answers
    expect(py.pairs.filter((r) => r[2] === 1).length).toBeGreaterThan(100);
    expect(py.pairs.filter((r) => r[2] === 0 && Number(r[3]) > 0 && Number(r[3]) < 1).length).toBeGreaterThan(100);
    expect(py.pairs.some((r) => r[0] === 'yes' && r[1] !== 'yes')).toBe(true);
    expect(py.pairs.some((r) => r[1] === '')).toBe(true);
  });

  it('on every character Python knows, beside articles, words and spaces', () => {
    const py = python([], true);
    const chunks = py.chunks ?? [];
    expect(chunks.length).toBeGreaterThan(2000); // ~144k characters in Unicode 14, 64 a chunk
    const bad = chunks.filter(([s, official]) => normalizeAnswer(s) !== official).map(([s]) => s.slice(0, 40));
    expect(bad, `Python's Unicode ${py.unicode}`).toEqual([]);
  });
});
