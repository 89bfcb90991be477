import { describe, expect, it } from 'vitest';
import { SEARCH_R1_INVALID, searchR1Action, searchR1Information, searchR1Prompt, searchR1Response } from '../../src/agent/search-r1.js';
import { searchR1Prefix as PREFIX } from '../support/scripted-roles.js';

describe("Search-R1's user turn", () => {
  it('is make_prefix with the question stripped and a ? added when missing (process_fn)', () => {
    expect(searchR1Prompt('  Who founded the company that makes the iPod  ')).toBe(PREFIX('Who founded the company that makes the iPod?'));
    expect(searchR1Prompt('Where was he born?\n')).toBe(PREFIX('Where was he born?'));
  });
});

describe("Search-R1's response cut (_postprocess_responses) and action (postprocess_predictions)", () => {
  it('gives back the </search> an OpenAI server drops at the stop sequence', () => {
    expect(searchR1Response('<think>need facts</think>\n<search> capital of France ')).toBe('<think>need facts</think>\n<search> capital of France </search>');
  });

  it('cuts after the first </search>, else after the first </answer>', () => {
    expect(searchR1Response('<search> a </search>\n\n<information>invented</information><answer> b </answer>')).toBe('<search> a </search>');
    expect(searchR1Response('<think>t</think><answer> Paris </answer> and more <answer> Lyon </answer>')).toBe('<think>t</think><answer> Paris </answer>');
    // an answer before a search: cut after the search (it is there), act on the first action, the answer
    const both = searchR1Response('<answer> x </answer><search> y </search> tail');
    expect(both).toBe('<answer> x </answer><search> y </search>');
    expect(searchR1Action(both)).toMatchObject({ action: 'answer', content: 'x' });
  });

  it('leaves text with no action alone and finds no action in it', () => {
    expect(searchR1Response('I am not sure.')).toBe('I am not sure.');
    expect(searchR1Action('I am not sure.')).toBeUndefined();
    expect(searchR1Action('<answer> unclosed')).toBeUndefined();
  });

  it('takes the first closed action, content stripped, skipping an unclosed tag of the other kind', () => {
    expect(searchR1Action('<think>a</think>\n<search>\n  who wrote Dune \n</search>')).toMatchObject({ action: 'search', content: 'who wrote Dune' });
    expect(searchR1Action('<search> open <answer> 42 </answer>')).toMatchObject({ action: 'answer', content: '42' });
  });
});

describe("the environment's replies (execute_predictions)", () => {
  it('answers a search with the passages stripped inside an <information> block, blank lines around', () => {
    const block = searchR1Information({
      content: {
        results: [
          { title: 'Dune (novel)', text: 'Dune is a 1965 novel by Frank Herbert.' },
          { title: 'Frank Herbert', text: 'American author.' },
        ],
      },
      source: 'real',
    });
    expect(block).toBe(
      '\n\n<information>Doc 1(Title: "Dune (novel)") Dune is a 1965 novel by Frank Herbert.\nDoc 2(Title: "Frank Herbert") American author.</information>\n\n',
    );
  });

  it('answers a turn with neither action with its correction text', () => {
    expect(SEARCH_R1_INVALID).toBe(
      '\nMy previous action is invalid. If I want to search, I should put the query between <search> and </search>. If I want to give the final answer, I should put the answer between <answer> and </answer>. Let me try again.\n',
    );
  });
});
