import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { searchR1Prompt } from '../../src/agent/search-r1-prompt.js';
import { questionFromPrompt } from '../../src/data/chat-prompt.js';
import { loadItems } from '../../src/data/load.js';

const dir = mkdtempSync(join(tmpdir(), 'mtr-verl-'));
const write = (name: string, records: unknown[]): string => {
  const file = join(dir, name);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
};

// As Search-R1's scripts/data_process/nq_search.py writes a row (the dataset's own columns kept).
const searchR1Row = (id: string, question: string, answers: string[]) => ({
  id,
  question,
  golden_answers: answers,
  data_source: 'nq',
  prompt: [{ role: 'user', content: searchR1Prompt(question) }],
  ability: 'fact-reasoning',
  reward_model: { style: 'rule', ground_truth: { target: answers } },
  extra_info: { split: 'test', index: Number(id.slice(5)) },
});

describe('Search-R1 / verl rows', () => {
  it('questionFromPrompt strips the Search-R1 instruction', () => {
    expect(questionFromPrompt(searchR1Prompt('who wrote dune'))).toBe('who wrote dune?');
    expect(questionFromPrompt('Who wrote Dune?')).toBe('Who wrote Dune?');
  });
  it('reads Search-R1 rows: question and golden_answers, data_source and split kept', async () => {
    const file = write('nq_test.jsonl', [
      searchR1Row('test_0', 'who wrote dune', ['Frank Herbert', 'Franklin Herbert']),
      searchR1Row('test_1', 'capital of france', ['Paris']),
    ]);
    const items = await loadItems(file, { dataset: 'nq' });
    expect(items).toEqual([
      {
        id: 'test_0',
        dataset: 'nq',
        question: 'who wrote dune',
        answers: ['Frank Herbert', 'Franklin Herbert'],
        meta: { data_source: 'nq', ability: 'fact-reasoning', split: 'test' },
      },
      { id: 'test_1', dataset: 'nq', question: 'capital of france', answers: ['Paris'], meta: { data_source: 'nq', ability: 'fact-reasoning', split: 'test' } },
    ]);
  });
  it('reads verl rows whose question is only in the prompt and gold only in reward_model.ground_truth', async () => {
    const rows = [
      {
        data_source: 'musique',
        prompt: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: searchR1Prompt('Where was the author of Dune born') },
        ],
        ability: 'qa',
        reward_model: { style: 'rule', ground_truth: 'Tacoma' },
        extra_info: { index: 0 },
      },
      {
        data_source: 'musique',
        prompt: [{ role: 'user', content: 'Who wrote Dune?' }],
        reward_model: { ground_truth: ['Frank Herbert', 'Herbert'] },
        extra_info: { index: 1 },
      },
      { data_source: 'musique', prompt: 'How many moons does Mars have?', reward_model: { ground_truth: { target: 2 } }, extra_info: { index: 2 } },
      { data_source: 'musique', prompt: [{ role: 'user', content: 'Q?' }], reward_model: { ground_truth: "['a', 'b']" }, extra_info: { index: 3 } },
    ];
    const items = await loadItems(write('agentic_rag_musique.jsonl', rows), { dataset: 'musique' });
    expect(items.map((i) => [i.id, i.question, i.answers])).toEqual([
      ['0', 'Where was the author of Dune born?', ['Tacoma']],
      ['1', 'Who wrote Dune?', ['Frank Herbert', 'Herbert']],
      ['2', 'How many moons does Mars have?', ['2']],
      ['3', 'Q?', ['a', 'b']],
    ]);
    expect(items[0]!.meta).toEqual({ data_source: 'musique', ability: 'qa' });
  });
  it("takes the item id from the row's id, then extra_info.id (mtr's export), then extra_info.index", async () => {
    const row = (extra_info: Record<string, unknown>, id?: string) => ({
      ...(id ? { id } : {}),
      data_source: 'nq',
      prompt: [{ role: 'user', content: 'Question: q?' }],
      reward_model: { ground_truth: { target: ['a'] } },
      extra_info,
    });
    const file = write('ids.jsonl', [
      row({ index: 0, id: 'item-7' }),
      row({ index: 1, id: 42 }),
      row({ index: 2 }),
      row({ index: 3, id: 'x' }, 'test_3'),
      row({}),
    ]);
    const items = await loadItems(file);
    expect(items.map((i) => i.id)).toEqual(['item-7', '42', '2', 'test_3', 'line-5']);
  });
  it('a row without gold or without a question is reported by line and field', async () => {
    const noGold = write('no_gold.jsonl', [{ prompt: [{ role: 'user', content: 'Q?' }], reward_model: { style: 'rule' } }]);
    await expect(loadItems(noGold)).rejects.toThrow(/no_gold\.jsonl:1: reward_model\.ground_truth: expected a string, a list of strings or \{target\}/);
    const noQuestion = write('no_q.jsonl', [{ prompt: [{ role: 'system', content: 'x' }], reward_model: { ground_truth: 'a' } }]);
    await expect(loadItems(noQuestion)).rejects.toThrow(/no_q\.jsonl:1: prompt: expected a question, or a user turn in the prompt/);
  });
});
