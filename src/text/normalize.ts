/**
 * Answer normalisation exactly as the official HotpotQA / SQuAD evaluation defines it:
 * lowercase → drop ASCII punctuation (Python's string.punctuation) → replace the articles a|an|the
 * (as whole words) with a space → collapse whitespace. Python's `\b` and `str.split()` are Unicode-aware,
 * so word characters and whitespace are spelled out here rather than using JS's ASCII `\b` and `\s`.
 *
 * One pass over the lowercased text instead of a regex pass per step: rewards score millions of rollouts.
 * Two cheaper passes go first (text already normal; ASCII text token by token) and the general one, with
 * Unicode classes per character, takes what they give up on.
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

/**
 * Whether lowercased text is already normal: ASCII letters and digits in tokens joined by single spaces, no token
 * an article. Half the reward bench's predictions are (lowercased); a tight loop over them beats the general pass.
 */
function isPlainNormal(l: string): boolean {
  let runLen = 0;
  let runCode = 0;
  for (let i = 0; i < l.length; i++) {
    const c = l.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)) {
      if (runLen < 3) runCode = (runCode << 7) | c;
      runLen++;
    } else if (c === 0x20 && runLen > 0 && !isArticle(runLen, runCode)) {
      runLen = 0;
      runCode = 0;
    } else return false;
  }
  return runLen > 0 ? !isArticle(runLen, runCode) : l.length === 0;
}

/**
 * normalizeAnswer of lowercased ASCII text without control characters; undefined for any other text. Such text
 * has only words, punctuation and spaces: a token is a space-separated run without its punctuation, one whole
 * word, dropped when it is then a, an or the. Most answers that are not already normal are like this.
 */
function normalizeAscii(l: string): string | undefined {
  const n = l.length;
  let text = ''; // normalised text so far
  let ra = -1; // l[ra, rb) is normal text not yet in `text`: whole tokens, one U+0020 between them
  let rb = -1;
  for (let i = 0; i < n; ) {
    const c = l.charCodeAt(i);
    if (c < 0x80 && ASCII[c] === SPACE) {
      i++;
      continue;
    }
    let head = ''; // the token's word characters before l[a, b), its last unbroken stretch
    let a = -1;
    let b = -1;
    let runLen = 0;
    let runCode = 0;
    for (; i < n; i++) {
      const c = l.charCodeAt(i);
      const k = c < 0x80 ? ASCII[c]! : OTHER;
      if (k === WORD) {
        if (runLen < 3) runCode = (runCode << 7) | c;
        runLen++;
        if (i !== b) {
          if (a !== -1) head += l.slice(a, b);
          a = i;
        }
        b = i + 1;
      } else if (k === SPACE) break;
      else if (k === OTHER) return undefined;
    }
    if (runLen === 0 || isArticle(runLen, runCode)) continue;
    if (head === '' && ra !== -1 && rb + 1 === a && l.charCodeAt(rb) === 0x20) {
      rb = b;
      continue;
    }
    if (ra !== -1) text = text === '' ? l.slice(ra, rb) : `${text} ${l.slice(ra, rb)}`;
    if (head === '') {
      ra = a;
      rb = b;
    } else {
      ra = -1;
      const t = head + l.slice(a, b);
      text = text === '' ? t : `${text} ${t}`;
    }
  }
  if (ra !== -1) text = text === '' ? l.slice(ra, rb) : `${text} ${l.slice(ra, rb)}`;
  return text;
}

/** The normalised text: lowercase, no ASCII punctuation, no articles, tokens joined by one space. */
export function normalizeAnswer(s: string): string {
  const l = s.toLowerCase();
  if (isPlainNormal(l)) return l;
  const ascii = normalizeAscii(l);
  if (ascii !== undefined) return ascii;
  const n = l.length;
  let text = ''; // normalised text so far
  let ra = -1; // l[ra, rb) is normal text not yet in `text`: whole tokens, one U+0020 between them
  let rb = -1;
  let open = false; // inside a token, which is tok + l[seg, segEnd)
  let tok = ''; // the token's text before a dropped punctuation character, if it had one
  let seg = 0;
  let segEnd = 0;
  let runLen = 0; // code units of the current word run, NOT_ARTICLE once it cannot be an article
  let runCode = 0;
  for (let i = 0; i <= n; ) {
    let k = SPACE; // the end of the text ends the last run and token
    let width = 1;
    if (i < n) {
      const c = l.charCodeAt(i);
      if (c < 0x80) k = ASCII[c]!;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (l.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        width = 2;
        k = LETTER_OR_NUMBER.test(l.slice(i, i + 2)) ? WORD : OTHER;
      } else k = classOf(c);
      if (k === PUNCT) {
        i++;
        continue;
      }
      if (k === WORD) {
        if (runLen < 3 && c < 0x80) {
          runCode = (runCode << 7) | c;
          runLen++;
        } else runLen = NOT_ARTICLE;
      }
    }
    if (k !== WORD) {
      // a word run ends here; an article is replaced by a space, so it ends the token before it
      let cut = 0;
      if (runLen > 0) {
        if (isArticle(runLen, runCode)) cut = runLen;
        runLen = 0;
        runCode = 0;
      }
      if (open && (cut > 0 || k === SPACE)) {
        open = false;
        if (tok === '') {
          const b = segEnd - cut;
          if (b > seg) {
            if (ra !== -1 && rb + 1 === seg && l.charCodeAt(rb) === 0x20) rb = b;
            else {
              if (ra !== -1) text = text === '' ? l.slice(ra, rb) : `${text} ${l.slice(ra, rb)}`;
              ra = seg;
              rb = b;
            }
          }
        } else {
          const full = tok + l.slice(seg, segEnd);
          const t = full.slice(0, full.length - cut);
          if (t !== '') {
            if (ra !== -1) text = text === '' ? l.slice(ra, rb) : `${text} ${l.slice(ra, rb)}`;
            ra = -1;
            text = text === '' ? t : `${text} ${t}`;
          }
        }
      }
    }
    if (k === WORD || k === OTHER) {
      if (!open) {
        open = true;
        tok = '';
        seg = i;
      } else if (segEnd !== i) {
        // punctuation was dropped inside the token
        tok += l.slice(seg, segEnd);
        seg = i;
      }
      segEnd = i + width;
    }
    i += width;
  }
  if (ra !== -1) text = text === '' ? l.slice(ra, rb) : `${text} ${l.slice(ra, rb)}`;
  return text;
}

/** The tokens of normalised text (what F1 counts). */
export const tokensOf = (normal: string): string[] => (normal === '' ? [] : normal.split(' '));

/** The normalised answer's tokens. */
export const tokens = (s: string): string[] => tokensOf(normalizeAnswer(s));
