import { describe, expect, it } from 'vitest';
import { DEFAULT_REWARD_CONFIG } from '../../src/reward/config.js';
import { scoreRollout } from '../../src/reward/input.js';
import { normalizeAnswer } from '../../src/text/normalize.js';
import { defaultInstructions } from '../../src/pipeline/prompt-instructions.js';
import { FORMS, generateRollouts } from './rollout-fixtures.js';

/**
 * The rule Search-R1's qa_em.py / qa_em_format.py and verl's search_r1_like_qa_em.py apply, on generated
 * rollouts in every form a trainer sends them: the answer is the last closed <answer> of the response (the
 * prompt's example answer never counts; unclosed = none), and format = 1 exactly when the response is a
 * well-formed think → (search → information → think)* → answer sequence.
 */
describe('which answer counts, on 650 generated rollouts', () => {
  const rollouts = generateRollouts();
  const context = { instructions: defaultInstructions() };

  it('covers every form and answer shape', () => {
    expect(rollouts.length).toBeGreaterThanOrEqual(600);
    for (const form of FORMS) expect(rollouts.filter((r) => r.form === form).length).toBe(rollouts.length / FORMS.length);
    expect(rollouts.filter((r) => r.expectedAnswer === undefined).length).toBeGreaterThan(100);
    expect(rollouts.filter((r) => r.expectedValid).length).toBeGreaterThan(60);
    expect(rollouts.filter((r) => r.line.completion.includes('<answer> Beijing </answer>')).length).toBe(rollouts.length * 0.8); // all but the response-only form carry the instruction's example answer
  });

  it('takes the last closed answer of the response, scores EM on it, and grades format as Search-R1 does', () => {
    for (const r of rollouts) {
      const res = scoreRollout(r.line, DEFAULT_REWARD_CONFIG, { file: 'fixtures', line: 1 }, context);
      const what = `${r.line.id}: ${r.line.completion.slice(-160)}`;
      expect(res.details.answer, what).toBe(r.expectedAnswer ?? null);
      const em = r.expectedAnswer !== undefined && r.line.golden_answers.some((g) => normalizeAnswer(g) === normalizeAnswer(r.expectedAnswer!)) ? 1 : 0;
      expect(res.components.em, what).toBe(em);
      expect(res.details.format_valid, what).toBe(r.expectedValid);
      expect(res.components.format, what).toBe(r.expectedValid ? 1 : 0);
      if (r.expectedAnswer === undefined || r.expectedAnswer === '') expect(res.reward, what).toBe(0);
    }
  });

  it('gives the same score in every form of the same rollout', () => {
    const byId = new Map<string, number[]>();
    for (const r of rollouts) {
      const id = r.line.id.split('-')[0]!;
      byId.set(id, [...(byId.get(id) ?? []), scoreRollout(r.line, DEFAULT_REWARD_CONFIG, { file: 'fixtures' }, context).reward]);
    }
    for (const [id, rewards] of byId) expect(new Set(rewards).size, id).toBe(1);
  });
});
