import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerObjectStrings } from '../../src/data/layout-ircot.js';
import { loadItems } from '../../src/data/load.js';

const dir = mkdtempSync(join(tmpdir(), 'mtr-ircot-'));
const write = (name: string, records: unknown[]): string => {
  const file = join(dir, name);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
};
const empty = { number: '', date: { day: '', month: '', year: '' } };

// As StonyBrookNLP/ircot writes processed_data/<dataset>/dev_subsampled.jsonl.
const records = [
  {
    question_id: '5a8b57f25542995d1e6f1371',
    question_text: 'Were Scott Derrickson and Ed Wood of the same nationality?',
    answers_objects: [{ ...empty, spans: ['yes'] }],
    contexts: [
      { idx: 0, title: 'Ed Wood', paragraph_text: 'Edward Davis Wood Jr. was an American filmmaker.', is_supporting: true },
      { idx: 1, title: 'Scott Derrickson', paragraph_text: 'Scott Derrickson is an American director.', is_supporting: true },
      { idx: 2, title: 'Doctor Strange', paragraph_text: 'A 2016 film.', is_supporting: false },
    ],
  },
  { question_id: 'q2', question_text: 'How many moons does Mars have?', answers_objects: [{ ...empty, number: 2, spans: [] }], contexts: [] },
  {
    question_id: 'q3',
    question_text: 'When was the director of Jaws born?',
    answers_objects: [
      { number: '', date: { day: '18', month: 'December', year: '1946' }, spans: [] },
      { ...empty, spans: ['December 18, 1946', 'december 18, 1946'] },
    ],
  },
];

describe('IRCoT processed data', () => {
  it('answer objects give spans, numbers and dates', () => {
    expect(answerObjectStrings({ spans: ['a', 'b'], number: '', date: { day: '', month: '', year: '' } })).toEqual(['a', 'b']);
    expect(answerObjectStrings({ spans: [], number: '7', date: { day: '', month: '', year: '' } })).toEqual(['7']);
    expect(answerObjectStrings({ spans: [], number: '', date: { day: '', month: '', year: '1999' } })).toEqual(['1999']);
  });
  it('reads every record: gold from spans, numbers and dates, contexts with their supporting flags', async () => {
    const items = await loadItems(write('dev_subsampled.jsonl', records), { dataset: 'hotpotqa' });
    expect(items).toHaveLength(3);
    expect(items[0]).toEqual({
      id: '5a8b57f25542995d1e6f1371',
      dataset: 'hotpotqa',
      question: 'Were Scott Derrickson and Ed Wood of the same nationality?',
      answers: ['yes'],
      context: [
        { title: 'Ed Wood', text: 'Edward Davis Wood Jr. was an American filmmaker.', supporting: true },
        { title: 'Scott Derrickson', text: 'Scott Derrickson is an American director.', supporting: true },
        { title: 'Doctor Strange', text: 'A 2016 film.', supporting: false },
      ],
    });
    expect(items[1]).toEqual({ id: 'q2', dataset: 'hotpotqa', question: 'How many moons does Mars have?', answers: ['2'] });
    expect(items[2]!.answers).toEqual(['18 December 1946', 'December 18, 1946']);
    expect(items[2]!.context).toBeUndefined();
  });
  it('a record whose answer objects hold nothing is reported by line', async () => {
    const file = write('bad.jsonl', [records[0], { question_id: 'q9', question_text: 'x?', answers_objects: [{ ...empty, spans: [] }] }]);
    await expect(loadItems(file, { dataset: 'hotpotqa' })).rejects.toThrow(/bad\.jsonl:2: answer: expected at least one non-empty gold answer/);
  });
});
