import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/load.js';
import { mtrError } from '../support/errors.js';

const DATA = fileURLToPath(new URL('../../../shared/datasets/', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mtr-data-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}
const jsonl = (...records: unknown[]): string => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('loadItems errors', () => {
  it('malformed JSON line names the file and line', async () => {
    const path = await file('bad.jsonl', '{"idx": 1, "question": "q", "answer": "a"}\n\n{"idx": 2, "question": \n');
    const e = await mtrError(loadItems(path));
    expect(e.code).toBe('E_DATASET');
    expect(e.message).toMatch(new RegExp(`^${path}:3: invalid JSON: `));
  });

  it('a record missing a field names file:line:field with expected/got', async () => {
    const path = await file('missing.jsonl', jsonl({ idx: 1, question: 'q', answer: 'a' }, { idx: 2, answer: 'b' }));
    const e = await mtrError(loadItems(path));
    expect(e.message).toBe(`${path}:2: question: expected a non-empty string, got undefined`);
    expect(e.details).toMatchObject({ file: path, line: 2, field: 'question' });
  });

  it('a repeated id names both places: one item, one trace', async () => {
    const path = await file(
      'dup.jsonl',
      jsonl({ idx: 1, question: 'q1', answer: 'a' }, { idx: 2, question: 'q2', answer: 'b' }, { idx: 1, question: 'q3', answer: 'c' }),
    );
    expect((await mtrError(loadItems(path))).message).toBe(`${path}:3: id: duplicate id "1" (first at ${path}:1)`);
  });

  it('an empty answer is reported like a missing one', async () => {
    const path = await file('empty-answer.jsonl', jsonl({ idx: 1, question: 'q', answer: '' }));
    expect((await mtrError(loadItems(path))).message).toBe(`${path}:1: answer: expected a non-empty string, got ""`);
  });

  it('nested fields are named by their path', async () => {
    const record = { _id: 'x', question: 'q', answer: 'a', supporting_facts: [['T', 0]], context: [['T', ['s.']]] };
    const path = await file('hotpot.json', JSON.stringify([record, { ...record, supporting_facts: [['T', 'zero']] }]));
    expect((await mtrError(loadItems(path))).message).toBe(`${path}: record 1: supporting_facts[0][1]: expected a sentence number, got "zero"`);
  });

  it('a JSON array names the record index', async () => {
    const path = await file('bamboogle.json', JSON.stringify([{ Question: 'q', Answer: 'a', Q1: 'q1', A1: ['x'], Q2: 'q2', A2: [] }]));
    expect((await mtrError(loadItems(path))).message).toBe(`${path}: record 0: A2: expected a non-empty list of strings, got an array of 0`);
  });

  it('unknown layout names the file, the fields seen and the known layouts', async () => {
    const path = DATA + 'corpus/wiki18_sample_1000.jsonl';
    const e = await mtrError(loadItems(path));
    expect(e.message).toMatch(new RegExp(`^${path}:1: unknown layout: saw fields \\{id, contents\\}; known layouts: flashrag .*musique .*qa `));
  });

  it('unknown layout in a JSON array (a passage corpus)', async () => {
    const e = await mtrError(loadItems(DATA + 'corpus/2wiki_corpus_6119.json', { limit: 1 }));
    expect(e.message).toContain('corpus/2wiki_corpus_6119.json: record 0: unknown layout: saw fields {title, text}');
  });

  it('records that are not objects are an unknown layout', async () => {
    const path = await file('strings.jsonl', '"just text"\n');
    expect((await mtrError(loadItems(path))).message).toMatch(new RegExp(`^${path}:1: unknown layout: expected a JSON object per record, got "just text"`));
  });

  it('empty and blank files', async () => {
    for (const [name, content] of [
      ['empty.jsonl', ''],
      ['blank.jsonl', '\n  \n'],
    ] as const) {
      const path = await file(name, content);
      expect((await mtrError(loadItems(path))).message).toBe(`${path}: expected JSON records (a JSON array or JSON lines), got an empty file`);
    }
    const path = await file('empty.json', '[]');
    expect((await mtrError(loadItems(path))).message).toBe(`${path}: expected at least one record, got an empty array`);
  });

  it('an unreadable JSON array names the file', async () => {
    const path = await file('broken.json', '[{"question": "q",');
    expect((await mtrError(loadItems(path))).message).toMatch(new RegExp(`^${path}: invalid JSON: `));
  });

  it('stops reading at limit: a broken line after it is never reached', async () => {
    const path = await file('tail-broken.jsonl', jsonl({ idx: 1, question: 'q1', answer: 'a' }, { idx: 2, question: 'q2', answer: 'b' }) + '{oops\n');
    expect((await loadItems(path, { limit: 2 })).map((i) => i.id)).toEqual(['1', '2']);
    await expect(loadItems(path)).rejects.toThrow(`${path}:3: invalid JSON`);
  });
});

describe('loadItems on layouts not in ../shared/datasets', () => {
  it('FlashRAG: golden_answers deduplicated, HotpotQA metadata becomes passages', async () => {
    const path = await file(
      'hotpotqa-dev.jsonl',
      jsonl(
        {
          id: 'dev_0',
          question: 'Which city?',
          golden_answers: ['Tulsa', 'tulsa ', 'Tulsa, Oklahoma'],
          metadata: {
            type: 'bridge',
            supporting_facts: { title: ['B'], sent_id: [0] },
            context: { title: ['A', 'B'], sentences: [['a1.', ' a2.'], ['b1.']] },
          },
        },
        { id: 'dev_1', question: 'Who?', golden_answers: ['x'] },
      ),
    );
    const [first, second] = await loadItems(path);
    expect(first).toEqual({
      id: 'dev_0',
      dataset: 'hotpotqa',
      question: 'Which city?',
      answers: ['Tulsa', 'Tulsa, Oklahoma'],
      context: [
        { title: 'A', text: 'a1. a2.', supporting: false },
        { title: 'B', text: 'b1.', supporting: true },
      ],
      meta: { type: 'bridge', supporting_facts: { title: ['B'], sent_id: [0] } },
    });
    expect(second).toEqual({ id: 'dev_1', dataset: 'hotpotqa', question: 'Who?', answers: ['x'] });
  });

  it('FlashRAG: an empty golden_answers list is an error', async () => {
    const path = await file('flash.jsonl', jsonl({ id: 'a', question: 'q', golden_answers: [] }));
    expect((await mtrError(loadItems(path))).message).toBe(`${path}:1: golden_answers: expected a non-empty list of strings, got an array of 0`);
  });

  it('2WikiMultiHopQA original: hotpot-style pairs plus evidences; dataset from the file name', async () => {
    const record = {
      _id: 'w1',
      type: 'compositional',
      question: 'Who is the father of X?',
      answer: 'Y',
      context: [
        ['X', ['X is a person.', ' X is the son of Y.']],
        ['Z', ['Z is a place.']],
      ],
      supporting_facts: [['X', 1]],
      evidences: [['X', 'father', 'Y']],
    };
    const [item] = await loadItems(await file('2wiki_dev.json', JSON.stringify([record])));
    expect(item).toMatchObject({
      id: 'w1',
      dataset: '2wikimultihopqa',
      answers: ['Y'],
      context: [
        { title: 'X', text: 'X is a person. X is the son of Y.', supporting: true },
        { title: 'Z', supporting: false },
      ],
      meta: { evidences: [['X', 'father', 'Y']] },
    });
  });

  it('missing ids fall back to line-N; an unknown file name becomes the dataset name', async () => {
    const path = await file('my-questions.jsonl', '\n' + jsonl({ question: 'q', answer: 'a' }));
    expect(await loadItems(path)).toEqual([{ id: 'line-2', dataset: 'my-questions', question: 'q', answers: ['a'] }]);
  });
});
