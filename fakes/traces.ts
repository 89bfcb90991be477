import type { DatasetItem } from '../src/schema/item.js';
import type { RunTool, Step } from '../src/schema/trace.js';
import { UTILITY_TOOLS } from '../src/tools/utility.js';
import { TASK_TOOL } from './scripted-roles.js';

/** The tools of a scripted run: the maker's task tool and wiki_search. */
export const TOOLS: RunTool[] = [
  { origin: 'maker', tool: { ...TASK_TOOL, required: [...TASK_TOOL.required] } },
  { origin: 'utility', tool: UTILITY_TOOLS.wiki_search! },
];

const callRaw = (think: string, name: string, args: Record<string, unknown>) =>
  `<think>${think}</think>\n<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;

/** A trace that passes every check: grounded calls, schema-valid observations, the gold answer. */
export function goodSteps(item: DatasetItem): Step[] {
  const gold = item.answers[0]!;
  const a0 = { entity: item.question, attribute: 'answer' };
  const a1 = { query: item.question };
  return [
    {
      index: 0,
      think: 'Look the entity up.',
      call: { name: TASK_TOOL.api_name, arguments: a0, id: 'call_0' },
      observation: { content: { value: `The record says ${gold}.`, source: 'encyclopedia' }, source: 'simulated' },
      raw: callRaw('Look the entity up.', TASK_TOOL.api_name, a0),
    },
    {
      index: 1,
      think: 'Confirm with a search.',
      call: { name: 'wiki_search', arguments: a1, id: 'call_1' },
      observation: { content: { results: [{ title: gold, text: `${gold} is the answer.` }] }, source: 'simulated' },
      raw: callRaw('Confirm with a search.', 'wiki_search', a1),
    },
    { index: 2, think: 'Both agree.', answer: gold, raw: `<think>Both agree.</think>\n<answer>${gold}</answer>` },
  ];
}

/** One successful agent call, as a stored trace's model call (fixtures and benches that write traces whole). */
export const agentCall = (model = 'fake-model') =>
  ({
    role: 'agent',
    model,
    prompt_file: 'agent-text.md',
    prompt_hash: '0123456789abcdef',
    params: {},
    tokens_in: 10,
    tokens_out: 5,
    latency_ms: 1,
    attempt: 1,
    ok: true,
  }) as const;
