/**
 * Answer normalisation exactly as the official HotpotQA / SQuAD evaluation defines it:
 * lowercase → drop ASCII punctuation (Python's string.punctuation) → replace the articles a|an|the
 * (as whole words) with a space → collapse whitespace. Python's `\b` and `str.split()` are Unicode-aware,
 * so word characters and whitespace are spelled out here rather than using JS's ASCII `\b` and `\s`.
 */
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;
/** Python str.split() separators (JS \s differs: it has U+FEFF, lacks U+001C–U+001F and U+0085). */
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

export function normalizeAnswer(s: string): string {
  return tokens(s).join(' ');
}

/** The normalised answer's tokens (what F1 counts). */
export function tokens(s: string): string[] {
  return s
    .toLowerCase()
    .replace(PUNCTUATION, '')
    .replace(ARTICLES, ' ')
    .split(PY_WHITESPACE)
    .filter((t) => t !== '');
}
