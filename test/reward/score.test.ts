import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTrace } from '../../src/grammar/parse.js';
import { COMPONENTS, DEFAULT_REWARD_CONFIG, RewardConfigSchema } from '../../src/reward/config.js';
import { prepareRollout, scoreRollout } from '../../src/reward/input.js';
import { resolveDataSource, scorerFor } from '../../src/reward/registry.js';
import { compositeReward, scoreQa } from '../../src/reward/score.js';
import { percentile, summarize } from '../../src/reward/summary.js';

const GOOD =
  '<think>search</think><tool_call>{"name":"search","arguments":{"q":"Tinted Windows"}}</tool_call><tool_response>They first played in Tulsa.</tool_response><think>ok</think><answer>Tulsa</answer>';
const where = { file: 'r.jsonl', line: 3 };

describe('scoreQa', () => {
  it('gives a perfect trace reward 1 with every component', () => {
    const r = scoreQa({ trace: parseTrace(GOOD), gold: ['Tulsa'] }, DEFAULT_REWARD_CONFIG);
    expect(r.reward).toBe(1);
    expect(Object.keys(r.components).sort()).toEqual([...COMPONENTS].sort());
    expect(r.details).toMatchObject({ answer: 'Tulsa', format_valid: true, calls: 1, grounded: true });
  });
  it('is the documented weighted mean', () => {
    const r = scoreQa({ trace: parseTrace(GOOD.replace('<answer>Tulsa', '<answer>Tulsa, Oklahoma')), gold: ['Tulsa'] }, DEFAULT_REWARD_CONFIG);
    const c = r.components;
    expect(c).toMatchObject({ em: 0, cover_em: 1, format: 1, efficiency: 1 });
    expect(r.reward).toBeCloseTo(0.4 * c.em + 0.2 * c.f1 + 0.2 * c.format + 0.1 * c.consistency + 0.1 * c.efficiency, 12);
    const emOnly = RewardConfigSchema.parse({ weights: { em: 1, f1: 0, format: 0, consistency: 0, efficiency: 0 } });
    expect(compositeReward(c, emOnly.weights)).toBe(0);
  });
  it('stays in [0,1] with every component in range, for any text and weights', () => {
    const weights = fc.record({
      em: fc.double({ min: 0, max: 5, noNaN: true }),
      f1: fc.double({ min: 0, max: 5, noNaN: true }),
      cover_em: fc.double({ min: 0, max: 5, noNaN: true }),
      format: fc.double({ min: 0, max: 5, noNaN: true }),
      consistency: fc.double({ min: 0, max: 5, noNaN: true }),
      efficiency: fc.double({ min: 0.01, max: 5, noNaN: true }),
    });
    const text = fc
      .array(
        fc.oneof(
          fc.constantFrom(
            '<think>',
            '</think>',
            '<answer>',
            '</answer>',
            '<tool_call>',
            '</tool_call>',
            '{"name":"s","arguments":{}}',
            '<tool_response>',
            '</tool_response>',
            'Tulsa',
          ),
          fc.string({ maxLength: 5 }),
        ),
        { maxLength: 15 },
      )
      .map((a) => a.join(''));
    fc.assert(
      fc.property(text, weights, fc.array(fc.string(), { minLength: 1, maxLength: 3 }), (completion, w, gold) => {
        const r = scoreQa({ trace: parseTrace(completion), gold }, RewardConfigSchema.parse({ weights: w }));
        expect(r.reward).toBeGreaterThanOrEqual(0);
        expect(r.reward).toBeLessThanOrEqual(1 + 1e-12);
        for (const v of Object.values(r.components)) expect(v >= 0 && v <= 1).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('rollout lines', () => {
  it('take gold from answer, answers and golden_answers, and strip a prompt prefix', () => {
    const p = prepareRollout({ completion: `PROMPT${GOOD}`, prompt: 'PROMPT', answers: ['x'], golden_answers: ['Tulsa'] }, where, DEFAULT_REWARD_CONFIG);
    expect(p.input.gold).toEqual(['x', 'Tulsa']);
    expect(p.input.trace.errors).toEqual([]);
    expect(scoreRollout({ messages: [{ role: 'assistant', content: 'Tulsa' }], answer: ['Tulsa'] }, DEFAULT_REWARD_CONFIG, where).components.em).toBe(1);
  });
  it("score mtr's own jsonl export rows as they are: a chat prompt kept apart from the completion", () => {
    const row = { prompt: [{ role: 'user', content: 'Where? For example, <answer> Beijing </answer>' }], completion: GOOD, answers: ['Tulsa'] };
    expect(scoreRollout(row, DEFAULT_REWARD_CONFIG, where).components.em).toBe(1);
    expect(() => prepareRollout({ ...row, prompt: 7 }, where, DEFAULT_REWARD_CONFIG)).toThrow(
      /^r\.jsonl:3: prompt: expected a string or a list of chat messages, got 7/,
    );
  });
  it('fail with file:line: field', () => {
    expect(() => prepareRollout({ completion: GOOD }, where, DEFAULT_REWARD_CONFIG)).toThrow('r.jsonl:3: answer: expected a gold answer');
    expect(() => prepareRollout({ answer: 'x' }, where, DEFAULT_REWARD_CONFIG)).toThrow('r.jsonl:3: completion: expected completion (text) or messages');
    expect(() => prepareRollout({ completion: 5, answer: 'x' }, where, DEFAULT_REWARD_CONFIG)).toThrow(/^r\.jsonl:3: completion: /);
    expect(() => prepareRollout([1], where, DEFAULT_REWARD_CONFIG)).toThrow('r.jsonl:3: expected a JSON object, got an array');
    expect(() => prepareRollout({ completion: GOOD, answer: 'x', data_source: 'imagenet' }, where, DEFAULT_REWARD_CONFIG)).toThrow(
      /^r\.jsonl:3: data_source: expected one of .*got "imagenet"/,
    );
  });
});

describe('registry', () => {
  it('maps the multi-hop QA sources case-insensitively and fails loudly on others', () => {
    for (const s of ['hotpotqa', '2wiki', 'MuSiQue', 'bamboogle', 'nq', 'triviaqa', 'popqa', '2wikimultihopqa', 'strategyqa', 'hotpot', undefined])
      expect(scorerFor(s)).toBe(scoreQa);
    expect(() => scorerFor('gsm8k')).toThrow(/expected one of qa, nq, .*musique.*got "gsm8k"/);
  });
  it("reads verl's searchR1_<name> (that dialect) and hub ids owner/name (the last part)", () => {
    for (const s of [
      'searchR1_nq',
      'searchR1_triviaqa',
      'searchR1_popqa',
      'searchR1_hotpotqa',
      'searchR1_2wikimultihopqa',
      'searchR1_musique',
      'searchR1_bamboogle',
    ])
      expect(resolveDataSource(s)).toMatchObject({ scorer: scoreQa, dialect: 'search-r1' });
    expect(resolveDataSource('bdsaglam/musique')).toEqual({ scorer: scoreQa, key: 'musique' });
    expect(resolveDataSource('RUC-NLPIR/FlashRAG_datasets/nq').key).toBe('nq');
    expect(() => resolveDataSource('searchR1_gsm8k')).toThrow(/searchR1_<name> or owner\/<name>\), got "searchR1_gsm8k"/);
    expect(() => resolveDataSource('openai/gsm8k')).toThrow(/got "openai\/gsm8k"/);
  });
});

describe('summary', () => {
  it('reports mean and nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([1, 2, 3], 0.5)).toBe(2);
    const zero = { em: 0, f1: 0, precision: 0, recall: 0, cover_em: 0, format: 0, consistency: 0, efficiency: 0 };
    const s = summarize([
      { reward: 1, components: { ...zero, em: 1 } },
      { reward: 0, components: zero },
    ]);
    expect(s.reward).toEqual({ mean: 0.5, p50: 0, p90: 1 });
    expect(s.em!.mean).toBe(0.5);
  });
});

describe('no answer', () => {
  const noAnswer =
    '<think>search</think><tool_call>{"name":"search","arguments":{"q":"Tinted Windows"}}</tool_call><tool_response>They first played in Tulsa.</tool_response><think>hm</think>';
  it('scores 0 by default, whatever the other components say (silence is never paid)', () => {
    for (const text of [noAnswer, `${noAnswer}<answer>Tulsa`, `${noAnswer}<answer> </answer>`]) {
      const r = scoreQa({ trace: parseTrace(text), gold: ['Tulsa'] }, DEFAULT_REWARD_CONFIG);
      expect(r.components.efficiency).toBe(1);
      expect(r.reward).toBe(0);
    }
  });
  it('is configurable: a fixed value, or null for the weighted mean', () => {
    expect(scoreQa({ trace: parseTrace(noAnswer), gold: ['Tulsa'] }, RewardConfigSchema.parse({ noAnswer: 0.05 })).reward).toBe(0.05);
    expect(scoreQa({ trace: parseTrace(noAnswer), gold: ['Tulsa'] }, RewardConfigSchema.parse({ noAnswer: null })).reward).toBeCloseTo(0.1, 12);
  });
  it('takes the last closed answer', () => {
    const r = scoreQa({ trace: parseTrace(`${noAnswer}<answer>Paris</answer><answer>Tulsa</answer><answer>Oslo`), gold: ['Tulsa'] }, DEFAULT_REWARD_CONFIG);
    expect(r.details.answer).toBe('Tulsa');
    expect(r.components.em).toBe(1);
  });
});
