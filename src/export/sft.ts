import { renderMessages, renderObservation, renderSearchR1Trace, renderTrace, TAGS, wrap } from '../grammar/index.js';

import type { DatasetItem } from '../schema/item.js';
import { toOpenAIFunction } from '../schema/tool-convert.js';
import type { OpenAIFunction } from '../schema/tool.js';
import type { RunTool, Step, TraceRecord } from '../schema/trace.js';

/** One kept trace with its item, its canonical data_source and the system prompt the exported conversation starts with. */
export interface SftExample {
  item: DatasetItem;
  trace: TraceRecord;
  dataSource: string;
  system?: string;
}

export interface SftOptions {
  /** keep `<think>…</think>` in assistant content (default true); false trains a policy that acts without it */
  keepThink: boolean;
  /**
   * write the `tools` column; false when the system prompt already lists the tools (`--system text`), since
   * chat templates (TRL, OpenAI) and LLaMA-Factory's tool formatter would list them a second time
   */
  toolsColumn: boolean;
}

export const openAITools = (tools: readonly RunTool[]): OpenAIFunction[] => tools.map((t) => toOpenAIFunction(t.tool));

const stepsFor = (trace: TraceRecord, o: SftOptions): Step[] => (o.keepThink ? trace.steps : trace.steps.map((s) => ({ ...s, think: '' })));

const promptMessages = (e: SftExample) => [
  ...(e.system ? [{ role: 'system' as const, content: e.system }] : []),
  { role: 'user' as const, content: e.item.question },
];

/** OpenAI fine-tuning chat JSONL: `arguments` a JSON string (as OpenAI's API wants), `tool_call_id` on tool messages, `tools`. */
export function openAIRow(e: SftExample, o: SftOptions) {
  const messages = [...promptMessages(e), ...renderMessages(stepsFor(e.trace, o), { toolName: false })];
  return { messages, ...(o.toolsColumn ? { tools: openAITools(e.trace.tools) } : {}) };
}

/**
 * TRL conversational: assistant `tool_calls` with object arguments, since Qwen2.5's and Llama 3.1's chat
 * templates write `arguments | tojson` (a string would come out JSON-encoded twice); tool messages carry
 * `name`. `tools` is a JSON string: TRL's SFTTrainer json.loads it (trl ≥ 0.29), and a string survives
 * `datasets` unifying the differently shaped schemas of different rows.
 */
export function trlRow(e: SftExample, o: SftOptions) {
  const messages = renderMessages(stepsFor(e.trace, o), { toolName: true }).map((m) => {
    if (m.role === 'tool') return { role: 'tool', name: m.name!, content: m.content as string };
    const call = m.tool_calls?.[0];
    return call
      ? {
          role: 'assistant',
          content: m.content as string,
          tool_calls: [
            { type: 'function', function: { name: call.function.name, arguments: JSON.parse(call.function.arguments as string) as Record<string, unknown> } },
          ],
        }
      : { role: 'assistant', content: m.content as string };
  });
  return { messages: [...promptMessages(e), ...messages], ...(o.toolsColumn ? { tools: JSON.stringify(openAITools(e.trace.tools)) } : {}) };
}

/**
 * LLaMA-Factory's thought words (register_template's default, used by the qwen, qwen3, qwen3_nothink and
 * llama3 templates): its FunctionFormatter cuts exactly `<think>\n…\n</think>\n\n` off a function_call
 * value before parsing the call JSON, and ReasoningTemplate (qwen3) finds and strips thoughts by them.
 */
export const LF_THOUGHT_WORDS = ['<think>\n', '\n</think>\n\n'] as const;
const lfThought = (think: string): string => (think === '' ? '' : `${LF_THOUGHT_WORDS[0]}${think}${LF_THOUGHT_WORDS[1]}`);

type ShareGptTurn = { from: 'human' | 'gpt' | 'function_call' | 'observation'; value: string };

/**
 * LLaMA-Factory ShareGPT: human / function_call / observation / gpt turns, `tools` a JSON string of
 * function definitions. A call turn is the thought in LLaMA-Factory's thought words, then the call JSON;
 * an answer turn is the thought, then `<answer>…</answer>`.
 */
export function sharegptRow(e: SftExample, o: SftOptions) {
  const conversations: ShareGptTurn[] = [{ from: 'human', value: e.item.question }];
  for (const s of stepsFor(e.trace, o)) {
    if (s.call) {
      conversations.push({ from: 'function_call', value: lfThought(s.think) + JSON.stringify({ name: s.call.name, arguments: s.call.arguments }) });
      if (s.observation) conversations.push({ from: 'observation', value: renderObservation(s.observation) });
    } else conversations.push({ from: 'gpt', value: lfThought(s.think) + (s.answer !== undefined ? wrap(TAGS.answer, s.answer) : s.raw) });
  }
  return {
    conversations,
    ...(e.system ? { system: e.system } : {}),
    ...(o.toolsColumn ? { tools: JSON.stringify(openAITools(e.trace.tools).map((t) => t.function)) } : {}),
  };
}

/** The `dataset_info.json` entry LLaMA-Factory needs for a ShareGPT file: formatting, the columns present, every role tag. */
export const sharegptDatasetInfo = (fileName: string, o: { system: boolean; tools: boolean }) => ({
  file_name: fileName,
  formatting: 'sharegpt',
  columns: { messages: 'conversations', ...(o.system ? { system: 'system' } : {}), ...(o.tools ? { tools: 'tools' } : {}) },
  tags: {
    role_tag: 'from',
    content_tag: 'value',
    user_tag: 'human',
    assistant_tag: 'gpt',
    observation_tag: 'observation',
    function_tag: 'function_call',
    system_tag: 'system',
  },
});

/** mtr's own text form: the prompt as messages and the whole trace as one completion, exactly as a policy writes it. */
export function textRow(e: SftExample, o: SftOptions) {
  return { id: e.item.id, data_source: e.dataSource, prompt: promptMessages(e), completion: renderTrace(stepsFor(e.trace, o)), answers: e.item.answers };
}

export const SFT_FORMATS = { trl: trlRow, openai: openAIRow, sharegpt: sharegptRow, jsonl: textRow } as const;
export type SftFormat = keyof typeof SFT_FORMATS;

/**
 * Search-R1's dialect: the instruction it trains with (`prefix`) is the one user turn, the whole rollout
 * (searches, `<information>` blocks, answer) one assistant turn, as Search-R1's loop writes it.
 */
export function searchR1SftRow(e: SftExample, prefix: string, format: SftFormat, o: SftOptions) {
  const completion = renderSearchR1Trace(stepsFor(e.trace, o));
  const conversation = [
    { role: 'user', content: prefix },
    { role: 'assistant', content: completion },
  ];
  switch (format) {
    case 'jsonl':
      return { id: e.item.id, data_source: e.dataSource, prompt: conversation.slice(0, 1), completion, answers: e.item.answers };
    case 'sharegpt':
      return {
        conversations: [
          { from: 'human', value: prefix },
          { from: 'gpt', value: completion },
        ],
      };
    default:
      return { messages: conversation };
  }
}

/** Search-R1 has one action besides the answer: a trace qualifies when every call is its search tool. */
export const isSearchR1Trace = (trace: TraceRecord, searchTool: string): boolean => trace.steps.every((s) => !s.call || s.call.name === searchTool);
