import { z } from 'zod';
import type { Step } from '../schema/trace.js';
import { parseArguments, renderCall, renderObservation } from './call.js';
import { type GrammarError, grammarError } from './errors.js';
import { finishTrace, type ParsedTrace, type ParseOptions } from './parse.js';
import { scanSegments, type Segment } from './segments.js';
import { TAGS, wrap } from './tags.js';

/** The OpenAI chat message shape as rollouts carry it (content may be a string, null or text parts). */
export const OpenAIToolCallSchema = z.object({
  id: z.string().optional(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string(), arguments: z.union([z.string(), z.record(z.string(), z.unknown())]) }),
});
export const OpenAIMessageSchema = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.null(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]).optional(),
  /** vLLM / DeepSeek reasoning parsers put the think text here */
  reasoning_content: z.string().nullable().optional(),
  tool_calls: z.array(OpenAIToolCallSchema).optional(),
  tool_call_id: z.string().optional(),
  name: z.string().optional(),
});
export type OpenAIMessage = z.infer<typeof OpenAIMessageSchema>;

const contentText = (m: OpenAIMessage): string =>
  typeof m.content === 'string' ? m.content : Array.isArray(m.content) ? m.content.map((p) => p.text ?? '').join('') : '';

export interface MessagesParseOptions extends ParseOptions {
  /** a last assistant message with plain text (no tags, no tool calls) is the answer; default true */
  plainFinalAnswer?: boolean;
}

/**
 * Parse an OpenAI conversation with the same grammar as the text form: assistant content is scanned for
 * tags, `tool_calls` and `tool` messages become call / response segments. System and user messages
 * before the first assistant message are the prompt and are skipped.
 */
export function parseMessages(messages: readonly unknown[], options: MessagesParseOptions = {}): ParsedTrace {
  const segments: Segment[] = [];
  const errors: GrammarError[] = [];
  const parsed = messages.map((raw, i) => {
    const r = OpenAIMessageSchema.safeParse(raw);
    if (!r.success)
      errors.push(
        grammarError(
          'bad_message',
          0,
          `messages[${i}]: expected {role, content, tool_calls?}, got ${r.error.issues.map((x) => `${x.path.join('.') || 'message'}: ${x.message}`).join('; ')}`,
          i,
        ),
      );
    return r.success ? r.data : undefined;
  });
  const lastAssistant = parsed.map((m) => m?.role).lastIndexOf('assistant');
  let started = false;
  parsed.forEach((m, i) => {
    if (!m) return;
    if (m.role === 'assistant') started = true;
    if (!started) return;
    if (m.role === 'tool') {
      const s: Segment = { kind: 'tool_response', start: 0, end: 0, body: contentText(m), closed: true, messageIndex: i, synthetic: true };
      if (m.tool_call_id !== undefined) s.callId = m.tool_call_id;
      segments.push(s);
      return;
    }
    const scanned = scanSegments(contentText(m), i, options.dialect);
    errors.push(...scanned.errors);
    let own = scanned.segments;
    if (m.role === 'assistant' && m.reasoning_content)
      own.unshift({ kind: 'think', start: 0, end: 0, body: m.reasoning_content, closed: true, messageIndex: i, synthetic: true });
    const plainAnswer =
      (options.plainFinalAnswer ?? true) && i === lastAssistant && !m.tool_calls?.length && !own.some((s) => s.kind === 'answer' || s.kind === 'tool_call');
    if (plainAnswer && own.some((s) => s.kind === 'text' && /\S/.test(s.body))) {
      const text = own
        .filter((s) => s.kind === 'text')
        .map((s) => s.body)
        .join('');
      own = [...own.filter((s) => s.kind !== 'text'), { kind: 'answer', start: 0, end: 0, body: text, closed: true, messageIndex: i, synthetic: true }];
    }
    segments.push(...own);
    (m.tool_calls ?? []).forEach((tc, k) => {
      const field = `messages[${i}].tool_calls[${k}].function`;
      const call = parseArguments(tc.function.arguments, tc.function.name, field, i);
      // body = the call in text form, so a step's raw text reads like the text format
      const body = call.ok ? renderCall(call.value) : typeof tc.function.arguments === 'string' ? tc.function.arguments : JSON.stringify(tc.function.arguments);
      const s: Segment = { kind: 'tool_call', start: 0, end: 0, body, closed: true, messageIndex: i, synthetic: true };
      if (call.ok) s.call = tc.id !== undefined ? { ...call.value, id: tc.id } : call.value;
      else errors.push(call.error);
      segments.push(s);
    });
  });
  return finishTrace(segments, errors, options, 0);
}

export interface RenderMessagesOptions {
  /** 'tool' messages carry `name` (TRL's conversational format wants it); default true */
  toolName?: boolean;
}

/** Steps → assistant / tool messages (the prompt is the caller's). Calls without an id get `call_<index>`. */
export function renderMessages(steps: readonly Step[], options: RenderMessagesOptions = {}): OpenAIMessage[] {
  const out: OpenAIMessage[] = [];
  for (const step of steps) {
    const content = [step.think !== '' ? wrap(TAGS.think, step.think) : '', step.answer !== undefined ? wrap(TAGS.answer, step.answer) : '']
      .filter(Boolean)
      .join('\n');
    const message: OpenAIMessage = { role: 'assistant', content };
    if (step.call) {
      const id = step.call.id ?? `call_${step.index}`;
      message.tool_calls = [{ id, type: 'function', function: { name: step.call.name, arguments: JSON.stringify(step.call.arguments) } }];
      out.push(message);
      if (step.observation) {
        const tool: OpenAIMessage = { role: 'tool', tool_call_id: id, content: renderObservation(step.observation) };
        if (options.toolName ?? true) tool.name = step.call.name;
        out.push(tool);
      }
    } else out.push(message);
  }
  return out;
}
