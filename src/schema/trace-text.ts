/**
 * The one definition of the trace text formats (a record format, so it lives with the records). Prompts, the
 * parser, the renderer, the embedded model's chat rendering and the rewards all import these: nothing depends
 * on an example inside a prompt. `src/grammar/tags.ts` re-exports them for the grammar's readers.
 */
import type { ToolCall } from './trace.js';

export const TAGS = {
  think: 'think',
  toolCall: 'tool_call',
  toolResponse: 'tool_response',
  answer: 'answer',
  tools: 'tools',
} as const;

/**
 * Search-R1's dialect (search_r1/llm_agent/generation.py, verl/utils/reward_score/qa_em_format.py):
 * the agent writes `<search>query</search>`, the environment answers `<information>Doc 1(Title: t) text…</information>`.
 */
export const SEARCH_R1_TAGS = {
  think: 'think',
  search: 'search',
  information: 'information',
  answer: 'answer',
} as const;

export type TagName = (typeof TAGS)[keyof typeof TAGS] | (typeof SEARCH_R1_TAGS)[keyof typeof SEARCH_R1_TAGS];

/** How an agent's text is written: Qwen/Hermes tool tags (mtr's default) or Search-R1's search/information tags. */
export const DIALECTS = ['hermes', 'search-r1'] as const;
export type Dialect = (typeof DIALECTS)[number];
export const DEFAULT_DIALECT: Dialect = 'hermes';

export const open = (tag: TagName): string => `<${tag}>`;
export const close = (tag: TagName): string => `</${tag}>`;
export const wrap = (tag: TagName, body: string): string => `${open(tag)}${body}${close(tag)}`;

/** The literal tag each trace part is written with, per dialect (segment kinds stay the hermes names). */
export const DIALECT_TAGS = {
  hermes: { think: TAGS.think, tool_call: TAGS.toolCall, tool_response: TAGS.toolResponse, answer: TAGS.answer },
  'search-r1': { think: SEARCH_R1_TAGS.think, tool_call: SEARCH_R1_TAGS.search, tool_response: SEARCH_R1_TAGS.information, answer: SEARCH_R1_TAGS.answer },
} as const satisfies Record<Dialect, Record<'think' | 'tool_call' | 'tool_response' | 'answer', TagName>>;

/** The body of a `<tool_call>` block: `{"name": …, "arguments": {…}}`, as the parser reads it back. */
export const renderCall = (call: ToolCall): string => JSON.stringify({ name: call.name, arguments: call.arguments });
