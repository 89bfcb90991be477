import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { searchR1Prompt } from '../../src/agent/search-r1-prompt.js';
import { loadItems } from '../../src/data/load.js';
import { trlGrpoRow } from '../../src/export/grpo.js';
import type { DatasetItem } from '../../src/schema/item.js';

const dir = mkdtempSync(join(tmpdir(), 'mtr-trl-'));
const write = (name: string, records: unknown[]): string => {
  const file = join(dir, name);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
};

const items: DatasetItem[] = [
  { id: 'q-1', dataset: 'bamboogle', question: 'Who wrote Dune?', answers: ['Frank Herbert', 'Herbert'] },
  { id: 'q-2', dataset: 'bamboogle', question: 'What is the capital of France?', answers: ['Paris'] },
];

describe('TRL GRPO rows (mtr export --stage grpo --format trl)', () => {
  it('reads the rows trlGrpoRow writes: id, question from the user turn (after a system turn), gold, data_source', async () => {
    const rows = items.map((item) => trlGrpoRow({ item, tools: [], dataSource: 'bamboogle', system: 'You answer with tools.' }));
    const read = await loadItems(write('train.jsonl', rows));
    expect(read).toEqual(items.map((i) => ({ ...i, dataset: 'train', meta: { data_source: 'bamboogle' } })));
  });

  it("reads the Search-R1 variant: the question after the instruction's Question: marker", async () => {
    const rows = items.map((item) => trlGrpoRow({ item, tools: [], dataSource: 'nq' }, [{ role: 'user', content: searchR1Prompt(item.question) }]));
    const read = await loadItems(write('search_r1.jsonl', rows));
    expect(read.map((i) => [i.id, i.question, i.answers])).toEqual(items.map((i) => [i.id, i.question, i.answers]));
  });

  it('a string prompt is the user turn; a row without gold or question is reported by line and field', async () => {
    const [one] = await loadItems(write('plain.jsonl', [{ prompt: 'Who wrote Dune?', answers: ['Frank Herbert'] }]));
    expect(one).toEqual({ id: 'line-1', dataset: 'plain', question: 'Who wrote Dune?', answers: ['Frank Herbert'] });
    const ok = { prompt: [{ role: 'user', content: 'Q?' }], answers: ['a'] };
    await expect(loadItems(write('no_gold.jsonl', [ok, { ...ok, answers: [] }]))).rejects.toThrow(
      /no_gold\.jsonl:2: answers: expected a non-empty list of strings/,
    );
    await expect(loadItems(write('no_q.jsonl', [ok, { ...ok, prompt: [{ role: 'system', content: 'x' }] }]))).rejects.toThrow(
      /no_q\.jsonl:2: prompt: expected a user turn that asks a question/,
    );
  });
});
