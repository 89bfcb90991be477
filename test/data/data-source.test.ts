import { describe, expect, it } from 'vitest';
import { canonicalDataSource, DATA_SOURCE_NAMES } from '../../src/data/index.js';
import { DEFAULT_SCORERS } from '../../src/reward/registry.js';

describe('canonicalDataSource', () => {
  it('maps registry names, aliases and file stems to the canonical benchmark, never to the stem', () => {
    const of = (dataset: string, meta?: Record<string, unknown>) => canonicalDataSource({ dataset, ...(meta ? { meta } : {}) });
    expect(of('bamboogle')).toBe('bamboogle');
    expect(of('2wiki')).toBe('2wikimultihopqa');
    expect(of('hotpot_dev_distractor_300')).toBe('hotpotqa');
    expect(of('musique_dev_qa_500')).toBe('musique');
    expect(of('nq_test')).toBe('nq');
    expect(of('TriviaQA-dev')).toBe('triviaqa');
    expect(of('unqualified_questions')).toBeUndefined(); // "nq" inside a word is not NQ
    expect(of('my_questions')).toBeUndefined();
    // layouts that name their benchmark: HotpotQA keeps type/level, MuSiQue keeps answerable
    expect(of('my_questions', { type: 'bridge', level: 'hard' })).toBe('hotpotqa');
    expect(of('my_questions', { answerable: true })).toBe('musique');
  });

  it('writes only names the reward scorer accepts', () => {
    for (const name of DATA_SOURCE_NAMES) expect(Object.keys(DEFAULT_SCORERS)).toContain(name);
  });
});
