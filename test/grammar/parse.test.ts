import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAgentTurn, parseTrace } from '../../src/grammar/parse.js';
import { renderSegments, renderTrace } from '../../src/grammar/render.js';
import { traceSteps, withoutRaw } from './trace-arbitraries.js';

const GOOD =
  '<think>Find where the band formed.</think>\n<tool_call>\n{"name": "search", "arguments": {"query": "Tinted Windows band"}}\n</tool_call>\n' +
  '<tool_response>\n{"results": ["Tinted Windows played their first show in Tulsa."]}\n</tool_response>\n<think>Tulsa.</think>\n<answer>Tulsa</answer>';

describe('parseTrace', () => {
  it('reads a well-formed trace into steps with no errors', () => {
    const t = parseTrace(GOOD);
    expect(t.errors).toEqual([]);
    expect(t.answer).toBe('Tulsa');
    expect(t.steps).toHaveLength(2);
    expect(t.steps[0]).toMatchObject({ index: 0, think: 'Find where the band formed.', call: { name: 'search', arguments: { query: 'Tinted Windows band' } } });
    expect(t.steps[0]!.observation).toEqual({ content: { results: ['Tinted Windows played their first show in Tulsa.'] }, source: 'real' });
    expect(t.steps[0]!.raw).toBe(GOOD.slice(0, GOOD.indexOf('</tool_call>') + '</tool_call>'.length));
    expect(t.steps[1]).toMatchObject({ think: 'Tulsa.', answer: 'Tulsa' });
  });

  it('reports each violation with its code and offset', () => {
    const codes = (text: string) => parseTrace(text).errors.map((e) => [e.code, e.offset]);
    expect(codes('<think>a</think><answer>x</answer><tool_call>{"name":"s","arguments":{}}</tool_call>')).toEqual([['call_after_answer', 34]]);
    expect(codes('<think>a<answer>x</answer>')).toEqual([['unbalanced_tag', 0]]);
    expect(codes('<answer>x</answer></think>')).toEqual([['unbalanced_tag', 18]]);
    expect(codes('<think>a <answer>b</answer></think><answer>c</answer>')).toEqual([['nested_tag', 9]]);
    expect(codes('<tool_call>{"name":"s","arguments":{"q":}}</tool_call>')).toEqual([
      ['bad_json', 40],
      ['missing_answer', 54],
    ]);
    expect(codes('<tool_call>{"name":"s"}</tool_call><tool_response>r</tool_response><answer>x</answer>')).toEqual([['bad_call', 11]]);
    expect(codes('hello <answer>x</answer>')).toEqual([['text_outside_tags', 0]]);
    expect(codes('<think>a</think>')).toEqual([['missing_answer', 16]]);
    expect(codes('<answer> </answer>')).toEqual([['empty_answer', 0]]);
    expect(codes('<answer>x</answer><answer>y</answer>')).toEqual([['multiple_answers', 18]]);
    expect(codes('<tool_response>r</tool_response><answer>x</answer>')).toEqual([['response_without_call', 0]]);
    expect(codes('<tool_call>{"name":"s","arguments":{}}</tool_call><answer>x</answer>')).toEqual([['call_without_response', 50]]);
  });

  it('skips chat-template tokens of multi-turn rollouts', () => {
    const t = parseTrace(
      GOOD.replace('</tool_call>\n', '</tool_call><|im_end|>\n<|im_start|>user\n').replace('<think>Tulsa', '<|im_end|>\n<|im_start|>assistant\n<think>Tulsa') +
        '<|im_end|>',
    );
    expect(t.errors).toEqual([]);
    expect(t.answer).toBe('Tulsa');
  });

  it('round-trips any text exactly through its segments', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        '<think>',
        '</think>',
        '<tool_call>',
        '</tool_call>',
        '<tool_response>',
        '</tool_response>',
        '<answer>',
        '</answer>',
        '<|im_end|>',
        '<|im_start|>user\n',
        '{"name":"a","arguments":{}}',
        ' ',
        '\n',
        '<',
        '>',
      ),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 20 }).map((a) => a.join('')),
        (text) => renderSegments(parseTrace(text).segments) === text,
      ),
      { numRuns: 3000 },
    );
  });

  it('reads rendered traces back to the same steps, without errors', () => {
    fc.assert(
      fc.property(traceSteps, (steps) => {
        const text = renderTrace(steps);
        const parsed = parseTrace(text);
        expect(parsed.errors).toEqual([]);
        expect(withoutRaw(parsed.steps)).toEqual(withoutRaw(steps));
        expect(parsed.steps.map((s) => s.raw).every((raw) => text.includes(raw))).toBe(true);
        expect(renderSegments(parsed.segments)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('points bad_json at the end of a truncated call and unbalanced_tag at a stray closing tag', () => {
    fc.assert(
      fc.property(
        traceSteps.filter((s) => s.length > 1),
        fc.nat(),
        (steps, pick) => {
          const text = renderTrace(steps);
          const callEnds = [...text.matchAll(/\}\n<\/tool_call>/g)].map((m) => m.index);
          const at = callEnds[pick % callEnds.length]!;
          const broken = text.slice(0, at) + text.slice(at + 1); // drop the call's closing brace
          const err = parseTrace(broken).errors.find((e) => e.code === 'bad_json');
          expect(err?.offset).toBe(broken.indexOf('</tool_call>', at));

          const starts = [...text.matchAll(/<(think|tool_call|answer)>/g)].map((m) => m.index);
          const where = starts[pick % starts.length]!;
          const stray = parseTrace(`${text.slice(0, where)}</answer>${text.slice(where)}`).errors;
          expect(stray).toContainEqual(expect.objectContaining({ code: 'unbalanced_tag', offset: where }));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('parseAgentTurn', () => {
  it('reads think + one call', () => {
    expect(parseAgentTurn('<think>look it up</think>\n<tool_call>{"name":"search","arguments":{"q":"x"}}</tool_call>')).toEqual({
      think: 'look it up',
      call: { name: 'search', arguments: { q: 'x' } },
      errors: [],
    });
  });
  it('reads an answer without think', () => {
    expect(parseAgentTurn('<answer> Tulsa </answer>')).toEqual({ think: '', answer: 'Tulsa', errors: [] });
  });
  it('keeps the first action and reports the rest', () => {
    const t = parseAgentTurn('<tool_call>{"name":"a","arguments":{}}</tool_call><tool_response>made up</tool_response><answer>x</answer>');
    expect(t.call?.name).toBe('a');
    expect(t.answer).toBeUndefined();
    expect(t.errors.map((e) => e.code)).toEqual(['unexpected_response', 'multiple_actions']);
  });
  it('reports a missing action and a bad call', () => {
    expect(parseAgentTurn('<think>hmm</think>').errors.map((e) => e.code)).toEqual(['missing_action']);
    const bad = parseAgentTurn('<tool_call>{"name": "a", "arguments": [1]}</tool_call>');
    expect(bad.call).toBeUndefined();
    expect(bad.errors.map((e) => e.code)).toEqual(['bad_call']);
  });
});
