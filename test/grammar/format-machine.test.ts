import { describe, expect, it } from 'vitest';
import { type FormatEvent, type FormatPhase, nextState, runFormatMachine } from '../../src/grammar/format-machine.js';
import { parseTrace } from '../../src/grammar/parse.js';

describe('nextState', () => {
  // [phase, pending, event, requireThink] → [phase, pending, violation]
  const cases: [FormatPhase, number, FormatEvent, boolean, FormatPhase, number, string | undefined][] = [
    ['start', 0, 'think', false, 'think', 0, undefined],
    ['start', 0, 'call', false, 'call', 1, undefined],
    ['start', 0, 'call', true, 'call', 1, 'missing_think'],
    ['think', 0, 'call', true, 'call', 1, undefined],
    ['call', 1, 'call', true, 'call', 2, undefined],
    ['call', 2, 'response', true, 'call', 1, undefined],
    ['call', 1, 'response', true, 'response', 0, undefined],
    ['response', 0, 'answer', true, 'answer', 0, 'missing_think'],
    ['response', 0, 'think', true, 'think', 0, undefined],
    ['call', 1, 'answer', false, 'answer', 0, 'call_without_response'],
    ['call', 1, 'think', false, 'think', 0, 'call_without_response'],
    ['think', 0, 'response', false, 'think', 0, 'response_without_call'],
    ['answer', 0, 'call', false, 'answer', 0, 'call_after_answer'],
    ['answer', 0, 'answer', false, 'answer', 0, 'multiple_answers'],
    ['answer', 0, 'think', false, 'answer', 0, 'content_after_answer'],
    ['think', 0, 'text', false, 'think', 0, 'text_outside_tags'],
  ];
  it.each(cases)('%s(%i) --%s (requireThink %s)--> %s(%i), violation %s', (phase, pending, event, requireThink, next, nextPending, violation) => {
    const t = nextState({ phase, pending }, event, { requireThink });
    expect(t).toEqual(violation ? { state: { phase: next, pending: nextPending }, violation } : { state: { phase: next, pending: nextPending } });
  });
});

describe('runFormatMachine', () => {
  it('accepts think → call → response → think → answer and enforces think when asked', () => {
    const strict = parseTrace(
      '<think>a</think><tool_call>{"name":"s","arguments":{}}</tool_call><tool_response>r</tool_response><think>b</think><answer>x</answer>',
    );
    expect(runFormatMachine(strict.segments, { requireThink: true }).accepted).toBe(true);
    const loose = parseTrace('<tool_call>{"name":"s","arguments":{}}</tool_call>\n<tool_response>r</tool_response>\n<answer>x</answer>');
    expect(runFormatMachine(loose.segments).accepted).toBe(true);
    expect(runFormatMachine(loose.segments, { requireThink: true }).violations.map((v) => [v.code, v.offset])).toEqual([
      ['missing_think', 0],
      ['missing_think', 84],
    ]);
  });
  it('rejects a trace that stops before answering', () => {
    const r = runFormatMachine(parseTrace('<think>a</think>').segments);
    expect(r).toMatchObject({ state: { phase: 'think' }, accepted: false });
    expect(r.violations[0]?.code).toBe('missing_answer');
  });
});
