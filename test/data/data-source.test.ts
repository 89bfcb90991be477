import { describe, expect, it } from 'vitest';
import { canonicalDataSource, DATA_SOURCE_NAMES } from '../../src/data/index.js';
import { DEFAULT_SCORERS, resolveDataSource } from '../../src/reward/registry.js';

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

  it("reads a row's data_source as the scorer does: searchR1_<name>, hub ids, FlashRAG names, aliases, any case", () => {
    const forms: [string, string][] = [
      ['nq', 'nq'],
      ['MuSiQue', 'musique'],
      ['searchR1_nq', 'nq'],
      ['searchR1_2wikimultihopqa', '2wikimultihopqa'],
      ['bdsaglam/musique', 'musique'],
      ['hotpotqa/hotpot_qa', 'hotpotqa'],
      ['hotpot_qa', 'hotpotqa'],
      ['RUC-NLPIR/FlashRAG_datasets/bamboogle', 'bamboogle'],
      ['RUC-NLPIR/FlashRAG_datasets/2wikimultihopqa', '2wikimultihopqa'],
      ['framolfese/2WikiMultihopQA', '2wikimultihopqa'],
      ['hotpot', 'hotpotqa'],
      ['2wiki', '2wikimultihopqa'],
      ['mandarjoshi/trivia_qa', 'triviaqa'],
    ];
    for (const [form, name] of forms) {
      // a neutral file name, so only the row's own data_source can name the benchmark
      expect([form, canonicalDataSource({ dataset: 'train', meta: { data_source: form } })]).toEqual([form, name]);
      const scored = resolveDataSource(form);
      expect([form, DEFAULT_SCORERS[scored.key]]).toEqual([form, DEFAULT_SCORERS[name]]);
      expect(scored.dialect).toBe(form.startsWith('searchR1_') ? 'search-r1' : undefined);
    }
    // a collection or another task names no benchmark: export asks for --data-source, the scorer refuses it
    for (const form of ['RUC-NLPIR/FlashRAG_datasets', 'openai/gsm8k', 'searchR1_gsm8k', 'my_mix', '']) {
      expect([form, canonicalDataSource({ dataset: 'train', meta: { data_source: form } })]).toEqual([form, undefined]);
      if (form !== '') expect(() => resolveDataSource(form)).toThrow(/data_source: expected one of/);
    }
  });
});
