import { renderSearchR1Observation, SEARCH_R1_TOOL } from '../grammar/index.js';
import { close, open, SEARCH_R1_TAGS as T, wrap } from '../grammar/tags.js';
import { type CallSink, type RoleModel, textCall } from '../llm/role.js';
import type { ChatMessage } from '../llm/types.js';
import { loadPrompt } from '../prompts/index.js';
import { searchR1Prompt } from './search-r1-prompt.js';
import type { DatasetItem } from '../schema/item.js';
import type { Observation, Step } from '../schema/trace.js';

export { searchR1Prompt, searchR1Question } from './search-r1-prompt.js';

/**
 * AutoAgent in Search-R1's dialect, as Search-R1's rollout loop runs it (search_r1/llm_agent/generation.py):
 * its instruction as the one user turn, no system prompt; the model writes until `</search>`; the environment
 * answers a search with an `<information>` block and anything else with its correction text.
 */

const SEARCH_END = close(T.search);
const ANSWER_END = close(T.answer);

export const searchR1Start = (item: DatasetItem): ChatMessage[] => [{ role: 'user', content: searchR1Prompt(item.question) }];

/**
 * The response as Search-R1 keeps it. OpenAI-compatible servers drop the stop sequence, so a response that
 * stopped inside `<search>` gets its `</search>` back; then `_postprocess_responses` cuts after the first
 * `</search>`, else after the first `</answer>`.
 */
export function searchR1Response(text: string): string {
  const stopped = !text.includes(SEARCH_END) && !text.includes(ANSWER_END) && text.includes(open(T.search));
  const full = stopped ? text + SEARCH_END : text;
  if (full.includes(SEARCH_END)) return full.slice(0, full.indexOf(SEARCH_END)) + SEARCH_END;
  if (full.includes(ANSWER_END)) return full.slice(0, full.indexOf(ANSWER_END)) + ANSWER_END;
  return full;
}

const ACTION = new RegExp(`<(${T.search}|${T.answer})>([\\s\\S]*?)</\\1>`);
const THINK = new RegExp(`${open(T.think)}([\\s\\S]*?)${close(T.think)}`, 'g');

/** `postprocess_predictions`: the first `<search>…</search>` or `<answer>…</answer>`, content stripped; else none. */
export function searchR1Action(response: string): { action: 'search' | 'answer'; content: string; at: number } | undefined {
  const m = ACTION.exec(response);
  return m ? { action: m[1] as 'search' | 'answer', content: m[2]!.trim(), at: m.index } : undefined;
}

/** `execute_predictions`' reply to a turn with neither action. */
export const SEARCH_R1_INVALID = `\nMy previous action is invalid. If I want to search, I should put the query between ${open(T.search)} and ${SEARCH_END}. If I want to give the final answer, I should put the answer between ${open(T.answer)} and ${ANSWER_END}. Let me try again.\n`;

/** `execute_predictions`' reply to a search: the passages (or the error) stripped, in an `<information>` block. */
export const searchR1Information = (observation: Observation): string => `\n\n${wrap(T.information, renderSearchR1Observation(observation).trim())}\n\n`;

/**
 * The environment's text goes back as a user turn: chat APIs have no standard way to continue an assistant
 * message, and the stored text (responses and blocks, in order) is the same either way.
 */
export const searchR1ObservationMessage = (observation: Observation): ChatMessage => ({ role: 'user', content: searchR1Information(observation) });

/** One Search-R1 turn → a step in the same shape as a hermes step (call = wiki_search {query}). */
export async function searchR1Turn(messages: ChatMessage[], index: number, model: RoleModel, sink: CallSink): Promise<{ step: Step; messages: ChatMessage[] }> {
  const c = await textCall(model, loadPrompt('search-r1'), messages, sink, { stop: [SEARCH_END] });
  const raw = searchR1Response(c.text);
  const action = searchR1Action(raw);
  const think = [...raw.slice(0, action?.at ?? raw.length).matchAll(THINK)].map((m) => m[1]!.trim()).join('\n');
  const assistant: ChatMessage = { role: 'assistant', content: raw };
  if (action?.action === 'search')
    return { step: { index, think, call: { name: SEARCH_R1_TOOL, arguments: { query: action.content }, id: `call_${index}` }, raw }, messages: [assistant] };
  if (action?.action === 'answer') return { step: { index, think, answer: action.content, raw }, messages: [assistant] };
  const problem = `expected ${wrap(T.search, ' query ')} or ${wrap(T.answer, ' answer ')}, got neither`;
  const observation: Observation = {
    content: { error: { type: 'malformed_call', message: SEARCH_R1_INVALID } },
    error: { type: 'malformed_call', message: problem },
    source: 'precheck',
  };
  return { step: { index, think, observation, raw }, messages: [assistant, { role: 'user', content: SEARCH_R1_INVALID }] };
}
