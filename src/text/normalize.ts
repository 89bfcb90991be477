/**
 * Answer normalisation exactly as the official HotpotQA / SQuAD evaluation defines it:
 * lowercase → drop ASCII punctuation (Python's string.punctuation) → replace the articles a|an|the
 * (as whole words) with a space → collapse whitespace. Python's `\b` and `str.split()` are Unicode-aware,
 * so word characters and whitespace are spelled out here rather than using JS's ASCII `\b` and `\s`.
 *
 * One pass over the lowercased text instead of a regex pass per step: rewards score millions of rollouts.
 * After punctuation is dropped, `\b(a|an|the)\b` replaces a maximal run of word characters that is exactly
 * a, an or the; a run may span dropped punctuation ("t.h.e" is an article, "the-end" is not).
 * Python's `\w` is a letter, a number or `_` (and `_` is punctuation, so gone); lower() and JS toLowerCase()
 * agree (full mappings, final sigma) on every character Python's Unicode database has (test/text/python-unicode).
 */

const WORD = 1;
const SPACE = 2;
const PUNCT = 3;
const OTHER = 4;

/** Class of each ASCII code unit; OTHER for the control characters that are neither space nor word. */
const ASCII = new Uint8Array(128).fill(OTHER);
for (let c = 0x30; c <= 0x39; c++) ASCII[c] = WORD;
for (let c = 0x41; c <= 0x5a; c++) ASCII[c] = WORD;
for (let c = 0x61; c <= 0x7a; c++) ASCII[c] = WORD;
for (const ch of '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~') ASCII[ch.charCodeAt(0)] = PUNCT;
/** Python str.split() separators (JS \s differs: it has U+FEFF, lacks U+001C–U+001F and U+0085). */
for (const c of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20]) ASCII[c] = SPACE;
const isWideSpace = (c: number): boolean =>
  c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;

const LETTER_OR_NUMBER = /^[\p{L}\p{N}]$/u;
/** Non-ASCII BMP classes, filled on first sight (0 = not yet known). */
const BMP = new Uint8Array(0x10000);

function classOf(c: number): number {
  let k = BMP[c]!;
  if (k === 0) {
    k = isWideSpace(c) ? SPACE : LETTER_OR_NUMBER.test(String.fromCharCode(c)) ? WORD : OTHER;
    BMP[c] = k;
  }
  return k;
}

/** Packed lowercase article spellings (7 bits a character), compared when a word run of ≤ 3 ASCII units ends. */
const A = 0x61;
const AN = (0x61 << 7) | 0x6e;
const THE = (((0x74 << 7) | 0x68) << 7) | 0x65;
const NOT_ARTICLE = 4;

const isArticle = (runLen: number, runCode: number): boolean =>
  (runLen === 1 && runCode === A) || (runLen === 2 && runCode === AN) || (runLen === 3 && runCode === THE);

export function normalizeAnswer(s: string): string {
  const l = s.toLowerCase();
  return isNormal(l) ? l : split(l).join(' ');
}

/** The normalised answer's tokens (what F1 counts). */
export const tokens = (s: string): string[] => split(s.toLowerCase());

/**
 * Is lowercased text already normal (normalising changes nothing)? Most answers are ("paris", "john smith"):
 * they need no copy. No punctuation, no article, only single U+0020 between tokens, none at either end.
 */
function isNormal(l: string): boolean {
  let runLen = 0;
  let runCode = 0;
  let afterSpace = true; // a leading space is not normal
  for (let i = 0; i < l.length; i++) {
    const c = l.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return false; // surrogates: left to split()
    const k = c < 0x80 ? ASCII[c]! : classOf(c);
    if (k === WORD) {
      if (runLen < 3 && c < 0x80) {
        runCode = (runCode << 7) | c;
        runLen++;
      } else runLen = NOT_ARTICLE;
      afterSpace = false;
      continue;
    }
    if (k === PUNCT || (k === SPACE && (c !== 0x20 || afterSpace)) || isArticle(runLen, runCode)) return false;
    runLen = 0;
    runCode = 0;
    afterSpace = k === SPACE;
  }
  return !afterSpace && !isArticle(runLen, runCode);
}

/** The tokens of lowercased text, in one pass. */
function split(l: string): string[] {
  const n = l.length;
  const out: string[] = [];
  let open = false; // inside a token
  let tok = ''; // the token's text before `seg`
  let seg = 0; // where the token's text not yet copied into `tok` starts
  let runLen = 0; // code units of the current word run, NOT_ARTICLE once it cannot be an article
  let runCode = 0;
  for (let i = 0; i <= n; ) {
    let k = SPACE; // the end of the text closes the last run and token
    let width = 1;
    if (i < n) {
      const c = l.charCodeAt(i);
      if (c < 0x80) k = ASCII[c]!;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (l.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        width = 2;
        k = LETTER_OR_NUMBER.test(l.slice(i, i + 2)) ? WORD : OTHER;
      } else k = classOf(c);
      if (k === WORD) {
        if (!open) {
          open = true;
          tok = '';
          seg = i;
        }
        if (runLen < 3 && c < 0x80) {
          runCode = (runCode << 7) | c;
          runLen++;
        } else runLen = NOT_ARTICLE;
        i += width;
        continue;
      }
      if (k === PUNCT) {
        if (open) {
          tok += l.slice(seg, i);
          seg = i + 1;
        }
        i++;
        continue;
      }
    }
    // SPACE or OTHER: the word run (if any) ends here
    if (runLen > 0) {
      if (isArticle(runLen, runCode)) {
        // the article becomes a space: the token ends before it
        const full = tok + l.slice(seg, i);
        if (full.length > runLen) out.push(full.slice(0, full.length - runLen));
        open = false;
      }
      runLen = 0;
      runCode = 0;
    }
    if (k === SPACE) {
      if (open) {
        out.push(tok + l.slice(seg, i));
        open = false;
      }
    } else if (!open) {
      open = true;
      tok = '';
      seg = i;
    }
    i += width;
  }
  return out;
}
