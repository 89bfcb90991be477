import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAgentTurn, parseTrace } from '../../src/grammar/parse.js';
import { renderSegments, renderTrace } from '../../src/grammar/render.js';
import { parseSearchR1Observation, renderSearchR1Observation, renderSearchR1Trace, SEARCH_R1_TOOL, searchR1Passages } from '../../src/grammar/search-r1.js';
import type { Step } from '../../src/schema/trace.js';
import { plainText, withoutRaw } from './trace-arbitraries.js';

const corpus = JSON.parse(readFileSync(new URL('../../../shared/datasets/corpus/2wiki_corpus_6119.json', import.meta.url), 'utf8')) as {
  title: string;
  text: string;
}[];

// What Search-R1's loop writes for one search then an answer (generation.py: response, then the information block).
const ROLLOUT =
  '<think>I need the capital.</think>\n<search> capital of France </search>\n\n' +
  '<information>Doc 1(Title: "Paris") Paris is the capital of France.\nDoc 2(Title: "France") A country.</information>\n\n' +
  '<think>It is Paris.</think>\n<answer> Paris </answer>';

describe('searchR1Passages', () => {
  it("writes Search-R1's _passages2string: `Doc i(Title: t) text` and a newline per passage", () => {
    expect(
      searchR1Passages([
        { title: 'Paris', text: 'Capital.' },
        { title: 'Lyon (city)', text: 'Second\nline.' },
      ]),
    ).toBe('Doc 1(Title: Paris) Capital.\nDoc 2(Title: Lyon (city)) Second\nline.\n');
    expect(searchR1Passages([])).toBe('');
  });

  it('reads real passages back from their rendering', () => {
    for (let i = 0; i + 3 <= 600; i += 3) {
      const results = corpus.slice(i, i + 3);
      const obs = parseSearchR1Observation(renderSearchR1Observation({ content: { results }, source: 'real' }).trim(), 'real');
      expect(obs.content).toEqual({ results });
    }
  });
});

describe('renderSearchR1Observation', () => {
  it('renders passages for {results}, the text or JSON otherwise', () => {
    expect(renderSearchR1Observation({ content: { results: [{ title: 'A', text: 'b' }] }, source: 'real' })).toBe('Doc 1(Title: "A") b\n');
    expect(renderSearchR1Observation({ content: { results: [{ title: '"Quoted"', text: 'b' }] }, source: 'real' })).toBe('Doc 1(Title: "Quoted") b\n');
    expect(renderSearchR1Observation({ content: 'no hits', source: 'real' })).toBe('no hits');
    expect(
      renderSearchR1Observation({
        content: { error: { type: 'invalid_value', message: 'm' } },
        error: { type: 'invalid_value', message: 'm' },
        source: 'precheck',
      }),
    ).toBe('{"error":{"type":"invalid_value","message":"m"}}');
  });
});

describe('search-r1 dialect', () => {
  it("reads Search-R1's rollout layout into wiki_search steps, without errors", () => {
    const t = parseTrace(ROLLOUT, { dialect: 'search-r1' });
    expect(t.errors).toEqual([]);
    expect(t.answer).toBe('Paris');
    expect(withoutRaw(t.steps)).toEqual([
      {
        index: 0,
        think: 'I need the capital.',
        call: { name: SEARCH_R1_TOOL, arguments: { query: 'capital of France' } },
        observation: {
          content: {
            results: [
              { title: 'Paris', text: 'Paris is the capital of France.' },
              { title: 'France', text: 'A country.' },
            ],
          },
          source: 'real',
        },
      },
      { index: 1, think: 'It is Paris.', answer: 'Paris' },
    ]);
    expect(renderSegments(t.segments)).toBe(ROLLOUT);
    expect(renderSearchR1Trace(t.steps)).toBe(ROLLOUT);
  });

  it('leaves the other dialect as text', () => {
    expect(parseTrace(ROLLOUT).steps.some((s) => s.call)).toBe(false);
    expect(parseTrace(ROLLOUT).errors.map((e) => e.code)).toContain('text_outside_tags');
    expect(parseTrace('<tool_call>{"name":"a","arguments":{}}</tool_call>', { dialect: 'search-r1' }).steps).toEqual([]);
  });

  it('parses one agent turn in either dialect into the same shape', () => {
    expect(parseAgentTurn('<think>t</think>\n<search> q </search>', 'search-r1')).toEqual({
      think: 't',
      call: { name: SEARCH_R1_TOOL, arguments: { query: 'q' } },
      errors: [],
    });
    expect(parseAgentTurn('<think>t</think>\n<answer> a </answer>', 'search-r1')).toEqual({ think: 't', answer: 'a', errors: [] });
    expect(parseAgentTurn('<search>q', 'search-r1')).toMatchObject({
      call: { name: SEARCH_R1_TOOL, arguments: { query: 'q' } },
      errors: [{ code: 'unbalanced_tag' }],
    });
    expect(parseAgentTurn('<think>t</think> q', 'search-r1').errors.map((e) => e.code)).toEqual(['text_outside_tags', 'missing_action']);
  });

  // a title already in quotes (`"Paris"`, `""`) is shown as it is and reads back without them: the corpus's own
  // quoting (searchR1Title), so only unquoted titles round-trip to themselves
  const title = plainText.filter((s) => !s.includes(') ') && !s.includes('\n') && !/^".*"$/.test(s));
  const observation = fc.oneof(
    fc.array(fc.record({ title, text: plainText }), { minLength: 1, maxLength: 4 }).map((results) => ({ content: { results }, source: 'real' as const })),
    plainText.filter((s) => !s.startsWith('Doc 1(')).map((content) => ({ content, source: 'real' as const })),
    fc.record({ type: fc.constant('invalid_value' as const), message: plainText }).map((error) => ({ content: { error }, error, source: 'real' as const })),
  );
  const steps: fc.Arbitrary<Step[]> = fc
    .tuple(
      fc.array(fc.record({ think: fc.oneof(fc.constant(''), plainText), query: plainText, observation }), { maxLength: 5 }),
      fc.oneof(fc.constant(''), plainText),
      plainText,
    )
    .map(([calls, think, answer]) => [
      ...calls.map(
        (c, index): Step => ({ index, think: c.think, call: { name: SEARCH_R1_TOOL, arguments: { query: c.query } }, observation: c.observation, raw: '' }),
      ),
      { index: calls.length, think, answer, raw: '' },
    ]);

  it('reads rendered traces back to the same steps, without errors', () => {
    fc.assert(
      fc.property(steps, (s) => {
        const text = renderTrace(s, { dialect: 'search-r1' });
        const parsed = parseTrace(text, { dialect: 'search-r1' });
        expect(parsed.errors).toEqual([]);
        expect(withoutRaw(parsed.steps)).toEqual(withoutRaw(s));
        expect(renderSegments(parsed.segments)).toBe(text);
        expect(renderSearchR1Trace(parsed.steps)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips any text exactly through its segments', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        '<think>',
        '</think>',
        '<search>',
        '</search>',
        '<information>',
        '</information>',
        '<answer>',
        '</answer>',
        '<|im_start|>assistant\n',
        'Doc 1(Title: ',
        ' ',
        '\n',
      ),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 20 }).map((a) => a.join('')),
        (text) => renderSegments(parseTrace(text, { dialect: 'search-r1' }).segments) === text,
      ),
      { numRuns: 2000 },
    );
  });
});
