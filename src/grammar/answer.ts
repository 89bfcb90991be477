import { close, open, TAGS } from './tags.js';

/** Python's str.strip(): the characters str.isspace() accepts (JS trim differs: it strips U+FEFF, keeps U+001C–U+001F). */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');
export const pyStrip = (s: string): string => s.replace(PY_STRIP, '');

const ANSWER_RE = new RegExp(`${open(TAGS.answer)}([\\s\\S]*?)${close(TAGS.answer)}`, 'g');

/**
 * The answer that counts: the last closed `<answer>…</answer>` of a response, stripped — exactly what
 * Search-R1's `extract_solution` and verl's `search_r1_like_qa_em` take (`re.finditer(r'<answer>(.*?)</answer>', s,
 * re.DOTALL)`, last match, `.strip()`). An unclosed `<answer>x` is no answer. Callers pass the response only:
 * the prompt is never searched (Search-R1 needs ≥2 matches because its text includes the prompt's example).
 */
export function lastClosedAnswer(response: string): string | undefined {
  let last: string | undefined;
  for (const m of response.matchAll(ANSWER_RE)) last = m[1]!;
  return last === undefined ? undefined : pyStrip(last);
}
