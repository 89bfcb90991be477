import { describe, expect, it } from 'vitest';
import { DEFAULT_REWARD_CONFIG } from '../../src/reward/config.js';
import { prepareRollout, rolloutSamples, scoreRollout } from '../../src/reward/input.js';

/** verl / Search-R1 / TRL row shapes as `mtr score` and `POST /score` read them (issue 15's round trip). */
const where = { file: 'rows.jsonl', line: 3 };
const em = (raw: unknown) => scoreRollout(raw, DEFAULT_REWARD_CONFIG, where).components.em;
const prompt = [{ role: 'user', content: 'Question: who wrote it? For example, <answer> Beijing </answer>.' }];

describe('rollout rows from verl, Search-R1 and TRL', () => {
  it('gold from reward_model.ground_truth: {target: list}, {target: string}, a string, a list, a number', () => {
    const row = (ground_truth: unknown) => ({ prompt, response: '<answer>Tulsa</answer>', reward_model: { style: 'rule', ground_truth } });
    for (const g of [{ target: ['Tulsa', 'Tulsa, OK'] }, { target: 'Tulsa' }, 'Tulsa', ['x', 'Tulsa']]) expect(em(row(g))).toBe(1);
    expect(prepareRollout(row(1999), where, DEFAULT_REWARD_CONFIG).input.gold).toEqual(['1999']);
    expect(em(row({ target: ['Paris'] }))).toBe(0);
    // beside the other gold fields, all count
    expect(prepareRollout({ ...row({ target: ['a'] }), golden_answers: ['b'], answers: ['c'] }, where, DEFAULT_REWARD_CONFIG).input.gold).toEqual([
      'c',
      'b',
      'a',
    ]);
  });

  it("the completion from completion (text or TRL's assistant messages), verl's response, or responses with one sample", () => {
    const gold = { prompt, answers: ['Tulsa'] };
    expect(em({ ...gold, completion: [{ role: 'assistant', content: '<think>ok</think><answer>Tulsa</answer>' }] })).toBe(1);
    expect(em({ ...gold, response: '<answer>Tulsa</answer>' })).toBe(1);
    expect(em({ ...gold, responses: ['<answer>Tulsa</answer>'] })).toBe(1);
    expect(em({ ...gold, responses: '<answer>Tulsa</answer>' })).toBe(1);
    // the chat prompt is never searched: its "<answer> Beijing </answer>" is not the policy's answer
    expect(em({ prompt, answers: ['Beijing'], response: '<think>no idea</think>' })).toBe(0);
    expect(em({ prompt, answers: ['Beijing'], completion: [{ role: 'assistant', content: 'no idea' }] })).toBe(0);
  });

  it('the id of a verl row from extra_info.id; its own id wins', () => {
    const row = { response: '<answer>x</answer>', answers: ['x'], extra_info: { id: 'q7', index: 0 } };
    expect(prepareRollout(row, where, DEFAULT_REWARD_CONFIG).id).toBe('q7');
    expect(prepareRollout({ ...row, id: 3 }, where, DEFAULT_REWARD_CONFIG).id).toBe(3);
    expect(prepareRollout({ ...row, extra_info: 'text' }, where, DEFAULT_REWARD_CONFIG).id).toBeUndefined();
  });

  it("verl's n samples (responses) are one rollout each; any other line is one rollout", () => {
    const row = { prompt, answers: ['x'], responses: ['<answer>x</answer>', '<answer>y</answer>'] };
    expect(rolloutSamples(row)).toEqual([
      { raw: { ...row, responses: ['<answer>x</answer>'] }, sample: 0 },
      { raw: { ...row, responses: ['<answer>y</answer>'] }, sample: 1 },
    ]);
    expect(rolloutSamples(row).map((s) => em(s.raw))).toEqual([1, 0]);
    for (const one of [{ ...row, responses: ['a'] }, { ...row, completion: 'c' }, { ...row, response: 'r' }, [1], 'text', null])
      expect(rolloutSamples(one)).toEqual([{ raw: one }]);
  });

  it('refusals name file:line:field', () => {
    const fail = (raw: unknown) => () => prepareRollout(raw, where, DEFAULT_REWARD_CONFIG);
    expect(fail({ prompt, responses: ['a', 'b'], answers: ['x'] })).toThrow(
      'rows.jsonl:3: responses: expected one response per line, got 2 (write one line per sample)',
    );
    expect(fail({ prompt, reward_model: { ground_truth: { target: [] } }, response: 'a' })).toThrow(
      'rows.jsonl:3: answer: expected a gold answer in answer (string), answers or golden_answers (lists) or reward_model.ground_truth, got none',
    );
    expect(fail({ prompt, reward_model: { ground_truth: true }, response: 'a' })).toThrow(
      'rows.jsonl:3: reward_model.ground_truth: expected {target}, a string or a list of strings, got true',
    );
    expect(fail({ prompt, answers: ['x'] })).toThrow(
      'rows.jsonl:3: completion: expected completion (text) or messages (OpenAI list), or a completion as chat messages or response / responses, got none',
    );
    expect(fail({ completion: 5, answers: ['x'] })).toThrow('rows.jsonl:3: completion: expected a string or a list of chat messages, got 5');
  });
});
