import type { Observation, Step } from '../schema/trace.js';
import { parseCallBody, parseObservation } from './call.js';
import { type GrammarError, grammarError } from './errors.js';
import { renderSegments } from './render.js';
import { bodyOffset, type Segment } from './segments.js';
import { parseSearchR1Observation, searchR1Call } from './search-r1.js';
import { SEARCH_R1_TAGS } from './tags.js';

/** Parse tool-call bodies into `segment.call`; report bad JSON, bad calls and empty answers. */
export function checkBodies(segments: Segment[]): GrammarError[] {
  const errors: GrammarError[] = [];
  for (const s of segments) {
    if (s.kind === 'tool_call' && s.tag === SEARCH_R1_TAGS.search) s.call = searchR1Call(s.body);
    else if (s.kind === 'tool_call' && !s.synthetic) {
      const parsed = parseCallBody(s.body, bodyOffset(s), s.messageIndex);
      if (parsed.ok) s.call = parsed.value;
      else errors.push(parsed.error);
    } else if (s.kind === 'answer' && s.body.trim() === '') {
      errors.push(grammarError('empty_answer', s.start, 'expected an answer inside <answer></answer>, got blank', s.messageIndex));
    }
  }
  return errors;
}

/**
 * Group segments into Steps: thinks accumulate until a call or an answer closes the step; a tool
 * response becomes the observation of the call it answers (by id, else the latest unanswered call).
 * A malformed call still makes a step (without `call`), so step counts match what the model wrote.
 */
export function buildSteps(segments: readonly Segment[], source: Observation['source']): Step[] {
  const steps: Step[] = [];
  const callSteps: Step[] = [];
  let pending: Segment[] = [];
  let thinks: string[] = [];
  const close = (extra: Partial<Step>): Step => {
    const step: Step = { index: steps.length, think: thinks.join('\n'), ...extra, raw: renderSegments(pending) };
    steps.push(step);
    pending = [];
    thinks = [];
    return step;
  };
  for (const s of segments) {
    if (s.kind === 'think') {
      thinks.push(s.body.trim());
      pending.push(s);
    } else if (s.kind === 'tool_call') {
      pending.push(s);
      callSteps.push(close(s.call ? { call: s.call } : {}));
    } else if (s.kind === 'answer') {
      pending.push(s);
      close({ answer: s.body.trim() });
    } else if (s.kind === 'tool_response') {
      const target =
        (s.callId !== undefined ? callSteps.find((c) => c.call?.id === s.callId && !c.observation) : undefined) ??
        [...callSteps].reverse().find((c) => !c.observation);
      if (target) target.observation = s.tag === SEARCH_R1_TAGS.information ? parseSearchR1Observation(s.body, source) : parseObservation(s.body, source);
    } else if (pending.length > 0) {
      pending.push(s); // text between a think and its action belongs to the step's raw text
    }
  }
  if (thinks.length > 0) close({});
  return steps;
}

export const sortErrors = (errors: GrammarError[]): GrammarError[] =>
  errors.sort((a, b) => (a.messageIndex ?? -1) - (b.messageIndex ?? -1) || a.offset - b.offset);
