import { type GrammarError, type GrammarErrorCode, grammarError } from './errors.js';
import type { Segment } from './segments.js';

/**
 * The trace's shape as a state machine: (think) → call+ → response+ … → (think) → answer.
 * Several calls in a row are parallel calls (Qwen renders them as consecutive <tool_call> blocks, then
 * their responses), so the state counts the calls still waiting for a response.
 * Pure and tiny so the parser, validators and the format reward agree on what "well formed" means.
 */
export type FormatPhase = 'start' | 'think' | 'call' | 'response' | 'answer';
export interface FormatState {
  phase: FormatPhase;
  /** calls not answered yet */
  pending: number;
}
export type FormatEvent = 'think' | 'call' | 'response' | 'answer' | 'text';

export interface FormatOptions {
  /** every action (call batch, answer) must follow a `<think>` (Search-R1's strict format); default false */
  requireThink?: boolean;
}

export interface Transition {
  state: FormatState;
  violation?: GrammarErrorCode;
}

export const START: FormatState = { phase: 'start', pending: 0 };

export function nextState(state: FormatState, event: FormatEvent, options: FormatOptions = {}): Transition {
  const to = (phase: FormatPhase, pending: number, violation?: GrammarErrorCode): Transition =>
    violation ? { state: { phase, pending }, violation } : { state: { phase, pending } };
  const { phase, pending } = state;
  if (event === 'text') return { state, violation: 'text_outside_tags' };
  if (phase === 'answer')
    return { state, violation: event === 'call' ? 'call_after_answer' : event === 'answer' ? 'multiple_answers' : 'content_after_answer' };
  switch (event) {
    case 'response':
      if (pending === 0) return { state, violation: 'response_without_call' };
      return to(pending > 1 ? 'call' : 'response', pending - 1);
    case 'think':
      return to('think', 0, pending > 0 ? 'call_without_response' : undefined);
    case 'call':
      if (phase === 'call') return to('call', pending + 1); // a parallel call
      return to('call', 1, phase !== 'think' && options.requireThink ? 'missing_think' : undefined);
    case 'answer':
      if (pending > 0) return to('answer', 0, 'call_without_response');
      return to('answer', 0, phase !== 'think' && options.requireThink ? 'missing_think' : undefined);
  }
}

const EVENT_OF: Partial<Record<Segment['kind'], FormatEvent>> = {
  think: 'think',
  tool_call: 'call',
  tool_response: 'response',
  answer: 'answer',
  text: 'text',
};

/** Run the machine over segments; blank text and chat tokens are not events. */
export function runFormatMachine(
  segments: readonly Segment[],
  options: FormatOptions = {},
  endOffset = 0,
): { state: FormatState; accepted: boolean; violations: GrammarError[] } {
  let state = START;
  const violations: GrammarError[] = [];
  for (const s of segments) {
    const event = EVENT_OF[s.kind];
    if (!event || (event === 'text' && !/\S/.test(s.body))) continue;
    const t = nextState(state, event, options);
    if (t.violation) {
      const offset = event === 'text' ? s.start + s.body.search(/\S/) : s.start;
      violations.push(grammarError(t.violation, offset, describe(t.violation, state.phase, event), s.messageIndex));
    }
    state = t.state;
  }
  if (state.phase !== 'answer') {
    const last = segments[segments.length - 1];
    violations.push(
      grammarError('missing_answer', last ? last.end : endOffset, `expected <answer>…</answer>, got end of trace after ${state.phase}`, last?.messageIndex),
    );
  }
  return { state, accepted: state.phase === 'answer' && violations.length === 0, violations };
}

function describe(code: GrammarErrorCode, phase: FormatPhase, event: FormatEvent): string {
  switch (code) {
    case 'text_outside_tags':
      return 'expected only tagged segments, got text outside tags';
    case 'missing_think':
      return `expected <think> before the ${event}, got ${phase === 'start' ? 'none' : `a ${phase} first`}`;
    case 'call_without_response':
      return `expected <tool_response> after the call, got ${event}`;
    case 'response_without_call':
      return `expected a <tool_call> before <tool_response>, got ${phase}`;
    default:
      return `expected nothing after the answer, got ${event}`;
  }
}
