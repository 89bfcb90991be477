import type { Observation, Step, ToolCall } from '../schema/trace.js';
import { parseObservation, renderObservation } from './call.js';
import { SEARCH_R1_TAGS as T, wrap } from './tags.js';

/**
 * Search-R1's dialect mapped onto mtr's steps (search_r1/llm_agent/generation.py): `<search>q</search>` is a
 * call of mtr's utility search tool, `<information>` its observation, rendered as Search-R1 renders passages.
 */
export const SEARCH_R1_TOOL = 'wiki_search';

export interface Passage {
  title: string;
  text: string;
}

/** `<search> q </search>` → the step's call (Search-R1 strips the query). */
export const searchR1Call = (body: string): ToolCall => ({ name: SEARCH_R1_TOOL, arguments: { query: body.trim() } });

/** Exactly Search-R1's `_passages2string`: `Doc {i}(Title: {title}) {text}\n` per passage. */
export const searchR1Passages = (results: readonly Passage[]): string => results.map((r, i) => `Doc ${i + 1}(Title: ${r.title}) ${r.text}\n`).join('');

const isPassageList = (v: unknown): v is Passage[] =>
  Array.isArray(v) &&
  v.every((r) => typeof r === 'object' && r !== null && typeof (r as Passage).title === 'string' && typeof (r as Passage).text === 'string');

const passagesOf = (content: unknown): Passage[] | undefined => {
  const results = typeof content === 'object' && content !== null && !Array.isArray(content) ? (content as { results?: unknown }).results : undefined;
  return isPassageList(results) ? results : undefined;
};

/**
 * A bare title as Search-R1 shows it. Its corpora (FlashRAG wiki-18) store `contents: "\"Title\"\ntext"` and
 * `_passages2string` shows the first line as is, quotes included; mtr's `/retrieve` serves the same contents.
 */
export const searchR1Title = (title: string): string => (/^".*"$/.test(title) ? title : `"${title}"`);
const bareTitle = (shown: string): string => shown.replace(/^"(.*)"$/, '$1');

/**
 * The `<information>` body the agent reads: passages for `{results: [{title, text}]}` (titles quoted as in
 * Search-R1's corpora), else the content as text/JSON.
 */
export function renderSearchR1Observation(observation: Observation): string {
  const passages = passagesOf(observation.content);
  return passages ? searchR1Passages(passages.map((p) => ({ title: searchR1Title(p.title), text: p.text }))) : renderObservation(observation);
}

/**
 * An `<information>` body back to an observation: `{results}` (bare titles) when it is passages that render
 * back to the same text (titles are one quoted line; a body that does not re-render exactly stays text), else
 * as parseObservation.
 */
export function parseSearchR1Observation(body: string, source: Observation['source']): Observation {
  const text = body.trim();
  const results: Passage[] = [];
  let at = text.startsWith('Doc 1(Title: ') ? 0 : -1;
  while (at !== -1) {
    const n = results.length + 1;
    const headEnd = text.indexOf(') ', at);
    const titleStart = at + `Doc ${n}(Title: `.length;
    if (headEnd === -1 || text.slice(titleStart, headEnd).includes('\n')) break;
    const next = text.indexOf(`\nDoc ${n + 1}(Title: `, headEnd);
    results.push({ title: text.slice(titleStart, headEnd), text: text.slice(headEnd + 2, next === -1 ? text.length : next) });
    at = next === -1 ? -1 : next + 1;
  }
  const bare = results.map((r) => ({ title: bareTitle(r.title), text: r.text }));
  if (bare.length > 0 && renderSearchR1Observation({ content: { results: bare }, source }).trim() === text) return { content: { results: bare }, source };
  return parseObservation(body, source);
}

/** The query a call is written with in `<search>`: its `query` argument (Search-R1 has no other action). */
const queryOf = (call: ToolCall): string => (typeof call.arguments.query === 'string' ? call.arguments.query : JSON.stringify(call.arguments));

/**
 * Steps → one completion as Search-R1's loop writes it: each response `<think>…</think>\n<search> q </search>`
 * followed by the environment's `\n\n<information>…</information>\n\n`, the last `<think>…</think>\n<answer> a </answer>`.
 * A step with neither call nor answer (a malformed turn) keeps its raw text.
 */
export function renderSearchR1Trace(steps: readonly Step[]): string {
  let out = '';
  for (const step of steps) {
    const think = step.think !== '' ? `${wrap(T.think, step.think)}\n` : '';
    if (step.call) {
      out += `${think}${wrap(T.search, ` ${queryOf(step.call)} `)}`;
      if (step.observation) out += `\n\n${wrap(T.information, renderSearchR1Observation(step.observation).trim())}\n\n`;
    } else if (step.answer !== undefined) out += `${think}${wrap(T.answer, ` ${step.answer} `)}`;
    else out += step.raw !== '' ? step.raw : think;
  }
  return out;
}
