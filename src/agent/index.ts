import { formatGrammarError, parseAgentTurn, renderCall } from '../grammar/index.js';
import { close, type Dialect, open, TAGS, wrap } from '../grammar/tags.js';
import { type CallSink, type RoleModel, textCall } from '../llm/role.js';
import type { ChatMessage } from '../llm/types.js';
import { fillPrompt, loadPrompt } from '../prompts/index.js';
import type { DatasetItem } from '../schema/item.js';
import { toOpenAIFunction } from '../schema/tool-convert.js';
import type { Observation, RunTool, Step, ToolCall } from '../schema/trace.js';
import { searchR1ObservationMessage, searchR1Start, searchR1Turn } from './search-r1.js';

export { searchR1Prompt } from './search-r1.js';

/** `text`: Qwen/Hermes tags in the assistant text (the default); `native`: OpenAI `tool_calls`. */
export type AgentFormat = 'text' | 'native';

export interface AgentOptions {
  model: RoleModel;
  format: AgentFormat;
  maxTurns: number;
  /** default hermes; search-r1 ignores `format` and the tools (its one action is search) */
  dialect?: Dialect;
}

const promptFor = (format: AgentFormat) => loadPrompt(format === 'text' ? 'agent-text' : 'agent-native');

/** The conversation the agent starts from: system prompt (with the tool signatures) and the question. */
export function agentStart(item: DatasetItem, tools: readonly RunTool[], opts: AgentOptions): ChatMessage[] {
  if (opts.dialect === 'search-r1') return searchR1Start(item);
  const prompt = promptFor(opts.format);
  const system = fillPrompt(prompt, {
    tools: tools.map((t) => JSON.stringify(toOpenAIFunction(t.tool))).join('\n'),
    tools_tag: TAGS.tools,
    think_tag: TAGS.think,
    call_tag: TAGS.toolCall,
    response_tag: TAGS.toolResponse,
    answer_tag: TAGS.answer,
    max_turns: opts.maxTurns,
  });
  return [
    { role: 'system', content: system },
    { role: 'user', content: item.question },
  ];
}

export interface AgentTurn {
  step: Step;
  /** what to append to the conversation: the assistant turn, plus a format correction when it was malformed */
  messages: ChatMessage[];
}

const THINK = new RegExp(`${open(TAGS.think)}([\\s\\S]*?)${close(TAGS.think)}`);
const ANSWER = new RegExp(`${open(TAGS.answer)}([\\s\\S]*?)${close(TAGS.answer)}`);

/** One think → act turn. A turn that is neither a call nor an answer is kept and answered with a format error. */
export async function agentTurn(messages: ChatMessage[], tools: readonly RunTool[], index: number, opts: AgentOptions, sink: CallSink): Promise<AgentTurn> {
  if (opts.dialect === 'search-r1') return searchR1Turn(messages, index, opts.model, sink);
  const prompt = promptFor(opts.format);
  if (opts.format === 'native') {
    const c = await textCall(opts.model, prompt, messages, sink, { tools: tools.map((t) => toOpenAIFunction(t.tool)) });
    const think = (THINK.exec(c.text)?.[1] ?? (c.toolCalls.length ? c.text : '')).trim();
    const call = c.toolCalls[0] && { ...c.toolCalls[0], id: c.toolCalls[0].id ?? `call_${index}` };
    const assistant: ChatMessage = { role: 'assistant', content: c.text, ...(call ? { toolCalls: [call] } : {}) };
    if (call) return { step: { index, think, call, raw: renderNativeCall(c.text, call) }, messages: [assistant] };
    const answer = (ANSWER.exec(c.text)?.[1] ?? c.text.replace(THINK, '')).trim();
    return { step: { index, think: THINK.exec(c.text)?.[1]?.trim() ?? '', answer, raw: c.text }, messages: [assistant] };
  }
  const c = await textCall(opts.model, prompt, messages, sink, { stop: [open(TAGS.toolResponse)] });
  const turn = parseAgentTurn(c.text);
  const assistant: ChatMessage = { role: 'assistant', content: c.text };
  if (turn.call) return { step: { index, think: turn.think, call: { ...turn.call, id: `call_${index}` }, raw: c.text }, messages: [assistant] };
  if (turn.answer !== undefined) return { step: { index, think: turn.think, answer: turn.answer, raw: c.text }, messages: [assistant] };
  const problem = turn.errors.map(formatGrammarError).join('; ') || 'no tool call and no answer';
  const observation: Observation = {
    content: {
      error: {
        type: 'malformed_call',
        message: `${problem}. Write one ${open(TAGS.toolCall)}{"name": …, "arguments": {…}}${close(TAGS.toolCall)} or ${open(TAGS.answer)}…${close(TAGS.answer)}.`,
      },
    },
    error: { type: 'malformed_call', message: problem },
    source: 'precheck',
  };
  return { step: { index, think: turn.think, observation, raw: c.text }, messages: [assistant, observationMessage(undefined, observation, opts)] };
}

/** The observation as the agent reads it: a `<tool_response>` user turn, a native tool message, or an `<information>` block. */
export function observationMessage(call: ToolCall | undefined, observation: Observation, opts: Pick<AgentOptions, 'format' | 'dialect'>): ChatMessage {
  if (opts.dialect === 'search-r1') return searchR1ObservationMessage(observation);
  const body = JSON.stringify(observation.content);
  if (opts.format === 'native' && call?.id) return { role: 'tool', content: body, toolCallId: call.id, name: call.name };
  return { role: 'user', content: wrap(TAGS.toolResponse, `\n${body}\n`) };
}

/** Native calls are stored in the text form too, so both formats give the same step text. */
const renderNativeCall = (text: string, call: ToolCall): string => `${text}${text ? '\n' : ''}${wrap(TAGS.toolCall, `\n${renderCall(call)}\n`)}`;
