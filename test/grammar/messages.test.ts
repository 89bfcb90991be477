import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessages, renderMessages } from '../../src/grammar/messages.js';
import { traceSteps, withoutRaw } from './trace-arbitraries.js';

describe('parseMessages', () => {
  const conversation = [
    { role: 'system', content: 'You can search.' },
    { role: 'user', content: 'Where did Tinted Windows first play?' },
    {
      role: 'assistant',
      content: '<think>search</think>',
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'search', arguments: '{"query":"Tinted Windows"}' } }],
    },
    { role: 'tool', tool_call_id: 'c1', content: 'Their first show was in Tulsa.' },
    { role: 'assistant', content: 'Tulsa' },
  ];

  it('reads native tool calls, tool messages and a plain final answer', () => {
    const t = parseMessages(conversation);
    expect(t.errors).toEqual([]);
    expect(t.answer).toBe('Tulsa');
    expect(t.steps[0]).toMatchObject({
      think: 'search',
      call: { name: 'search', arguments: { query: 'Tinted Windows' }, id: 'c1' },
      observation: { content: 'Their first show was in Tulsa.' },
    });
  });

  it('matches tool messages to calls by id, whatever their order', () => {
    const t = parseMessages([
      { role: 'assistant', content: null, tool_calls: [1, 2].map((n) => ({ id: `c${n}`, function: { name: 'lookup', arguments: { n } } })) },
      { role: 'tool', tool_call_id: 'c2', content: 'two' },
      { role: 'tool', tool_call_id: 'c1', content: 'one' },
      { role: 'assistant', content: '<answer>done</answer>' },
    ]);
    expect(t.errors).toEqual([]);
    expect(t.steps.map((s) => s.observation?.content)).toEqual(['one', 'two', undefined]);
  });

  it('reports bad arguments and bad messages with the message index', () => {
    const t = parseMessages([
      { role: 'assistant', content: '', tool_calls: [{ id: 'x', function: { name: 'a', arguments: '{"q": }' } }] },
      { role: 'robot', content: 'hi' },
      { role: 'assistant', content: '<answer>x</answer>' },
    ]);
    expect(t.errors.map((e) => [e.code, e.messageIndex, e.offset])).toEqual([
      ['bad_json', 0, 6],
      ['bad_message', 1, 0],
      ['call_without_response', 2, 0],
    ]);
  });

  it('round-trips steps through OpenAI messages', () => {
    fc.assert(
      fc.property(traceSteps, (steps) => {
        const parsed = parseMessages([{ role: 'user', content: 'q' }, ...renderMessages(steps)]);
        expect(parsed.errors).toEqual([]);
        const expected = withoutRaw(steps).map((s) => (s.call ? { ...s, call: { ...s.call, id: `call_${s.index}` } } : s));
        expect(withoutRaw(parsed.steps)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
