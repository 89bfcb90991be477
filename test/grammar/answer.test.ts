import { describe, expect, it } from 'vitest';
import { lastClosedAnswer, pyStrip } from '../../src/grammar/answer.js';
import { parseMessages } from '../../src/grammar/messages.js';
import { parseAgentTurn, parseTrace } from '../../src/grammar/parse.js';
import { searchR1ValidSequence } from '../../src/grammar/search-r1-format.js';

describe('which answer counts', () => {
  it('is the last closed <answer>, stripped; an unclosed one is none', () => {
    expect(lastClosedAnswer('<answer> a </answer> x <answer>b</answer>')).toBe('b');
    expect(lastClosedAnswer('<answer>a</answer><answer>b')).toBe('a');
    expect(lastClosedAnswer('<answer>b')).toBeUndefined();
    expect(lastClosedAnswer('no tags')).toBeUndefined();
    // non-greedy from the first open tag, like re.finditer(r'<answer>(.*?)</answer>')
    expect(lastClosedAnswer('<answer>x <answer>y</answer>')).toBe('x <answer>y');
    expect(lastClosedAnswer('<think>maybe <answer>p</answer></think>')).toBe('p');
    expect(lastClosedAnswer('<answer>\n\t Paris \n</answer>')).toBe('Paris');
  });

  it("strips as Python's str.strip does", () => {
    expect(pyStrip('\u001f a \u0085')).toBe('a');
    expect(pyStrip('\ufeffa')).toBe('\ufeffa');
  });

  it('sets ParsedTrace.answer for text and messages', () => {
    expect(parseTrace('<think>t</think><answer>a</answer><answer>b</answer>').answer).toBe('b');
    expect(parseTrace('<think>t</think><answer>a').answer).toBeUndefined();
    expect(
      parseMessages([
        { role: 'user', content: 'q' },
        { role: 'assistant', content: '<answer>a</answer>' },
        { role: 'assistant', content: '<answer>b' },
      ]).answer,
    ).toBe('a');
  });

  it('takes no unclosed answer as an agent action', () => {
    expect(parseAgentTurn('<think>t</think><answer>Paris').answer).toBeUndefined();
    expect(parseAgentTurn('<think>t</think><answer>Paris').errors.map((e) => e.code)).toEqual(['unbalanced_tag', 'missing_action']);
  });
});

describe('role lines left by skip_special_tokens decoding', () => {
  it('are chat template, not text outside tags', () => {
    const decoded =
      '<think>look</think>\n<tool_call>\n{"name":"s","arguments":{"q":"x"}}\n</tool_call>\nuser\n<tool_response>\nr\n</tool_response>\nassistant\n<think>ok</think>\n<answer>x</answer>';
    const t = parseTrace(decoded);
    expect(t.errors).toEqual([]);
    expect(t.segments.filter((s) => s.kind === 'special').map((s) => s.body)).toEqual(['\nuser\n', '\nassistant\n']);
    expect(parseTrace('<think>a</think>\nthe user\n<answer>x</answer>').errors.map((e) => e.code)).toEqual(['text_outside_tags']);
  });
});

describe("Search-R1's is_valid_sequence", () => {
  const check = (s: string) => searchR1ValidSequence(s);
  it('accepts think → (search → information → think)* → answer', () => {
    expect(check('<think>a</think>\n<answer> x </answer>').valid).toBe(true);
    expect(check('<think>a</think><search> q </search>\n\n<information>Doc 1(Title: t) x</information>\n\n<think>b</think><answer>x</answer>').valid).toBe(
      true,
    );
  });
  it('rejects what it rejects, with its reasons', () => {
    expect(check('<answer>x</answer>')).toEqual({ valid: false, reason: 'Unexpected tag <answer> in state start' });
    expect(check('<think>a</think><answer>x')).toEqual({ valid: false, reason: 'Mismatch in answer tags: 1 opening vs 0 closing tags' });
    expect(check('<think>a</think> so <answer>x</answer>').reason).toBe("Unexpected content 'so' between tags (state: after_think)");
    expect(check('<think>a</think><answer>x</answer> done').reason).toBe('Unexpected content in state end');
    expect(check('<think>a</think><think>b</think><answer>x</answer>').reason).toBe('Unexpected tag <think> in state after_think');
    expect(check('<think>a</think><search>q</search><think>b</think><answer>x</answer>').reason).toBe('Unexpected tag <think> in state after_search');
    expect(check('<think>a</think><search>q</search><information>i</information><search>r</search>').reason).toBe(
      'Unexpected tag <search> in state information',
    );
    expect(check('<think>a</think>').reason).toBe('Incomplete sequence, ended in state after_think');
    expect(check('<think>a <answer>x</answer></think>').reason).toBe('Unexpected tag <answer> in state in_think');
  });
});
