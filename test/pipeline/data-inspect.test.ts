import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataInspectJob } from '../../src/pipeline/data-inspect.js';
import { SHARED_DATASETS } from '../support/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-data-inspect-'));
const write = (name: string, text: string): string => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
};
const counts = ({
  layout,
  items,
  with_aliases,
  with_context,
  with_supporting,
  with_decomposition,
  problems,
}: Awaited<ReturnType<typeof dataInspectJob.run>>) => ({
  layout,
  items,
  with_aliases,
  with_context,
  with_supporting,
  with_decomposition,
  problems: problems.length,
});

describe('data inspect job', () => {
  // Counts checked against the files themselves: aliases are gold answers beyond the first once duplicates
  // (ignoring case) are dropped, e.g. MuSiQue's answer_aliases and Bamboogle's A2 list.
  it.each([
    ['bamboogle/bamboogle.jsonl', { layout: 'qa', items: 125, with_aliases: 0, with_context: 0, with_supporting: 0, with_decomposition: 0, problems: 0 }],
    [
      'bamboogle/bamboogle_decomposed.json',
      { layout: 'bamboogle-decomposed', items: 125, with_aliases: 29, with_context: 0, with_supporting: 0, with_decomposition: 125, problems: 0 },
    ],
    [
      'hotpotqa/hotpot_dev_distractor_300.jsonl',
      { layout: 'hotpotqa-hf', items: 300, with_aliases: 0, with_context: 300, with_supporting: 300, with_decomposition: 0, problems: 0 },
    ],
    [
      'hotpotqa/hotpot_train_100_original_format.json',
      { layout: 'hotpotqa-original', items: 100, with_aliases: 0, with_context: 100, with_supporting: 100, with_decomposition: 0, problems: 0 },
    ],
    [
      'musique/musique_train_100_with_paragraphs.json',
      { layout: 'musique', items: 100, with_aliases: 26, with_context: 100, with_supporting: 100, with_decomposition: 100, problems: 0 },
    ],
    [
      'hotpotqa/hotpot_dev_qa_500.jsonl',
      { layout: 'qa', items: 500, with_aliases: 0, with_context: 0, with_supporting: 0, with_decomposition: 0, problems: 0 },
    ],
    ['2wiki/2wiki_dev_qa_500.jsonl', { layout: 'qa', items: 500, with_aliases: 0, with_context: 0, with_supporting: 0, with_decomposition: 0, problems: 0 }],
    [
      'musique/musique_dev_qa_500.jsonl',
      { layout: 'qa', items: 500, with_aliases: 0, with_context: 0, with_supporting: 0, with_decomposition: 0, problems: 0 },
    ],
  ])('%s: every record read, with the counts the file holds', async (file, expected) => {
    const s = await dataInspectJob.run({ dataset: join(SHARED_DATASETS, file) });
    expect(counts(s)).toEqual(expected);
    expect(s.samples).toHaveLength(3);
  });

  it('shows the first items as mtr uses them: MuSiQue aliases, supporting paragraphs and hops kept', async () => {
    const s = await dataInspectJob.run({ dataset: join(SHARED_DATASETS, 'musique/musique_train_100_with_paragraphs.json') });
    expect(s.dataset).toBe('musique');
    const first = s.samples[0]!;
    expect(first).toMatchObject({ id: '2hop__150763_14904', answers: ['G. Stanley Hall', 'Stanley Hall'] });
    expect(first.context).toHaveLength(20);
    expect(first.context!.filter((p) => p.supporting)).toHaveLength(2);
    expect(first.decomposition).toEqual([
      { question: 'What company published Journal of Psychotherapy Integration?', answers: ['American Psychological Association'] },
      { question: 'Who was the first president of #1 ?', answers: ['G. Stanley Hall'] },
    ]);
  });

  it('a bad line is a problem listed by line, not fatal; the layout comes from the first readable record', async () => {
    const path = write(
      'one-bad.jsonl',
      [
        '{"id":"a","question":"What?"', // invalid JSON, before any readable record
        '{"id":"b","question":"Who wrote it?","answer":"Ann"}',
        '{"id":"c","question":"Where?","answer":"Paris"}',
        '{"id":"d","question":"When?"}', // no answer
        '{"id":"e","question":"Which?","answer":"That one"}',
      ].join('\n'),
    );
    const s = await dataInspectJob.run({ dataset: path });
    expect(counts(s)).toEqual({ layout: 'qa', items: 3, with_aliases: 0, with_context: 0, with_supporting: 0, with_decomposition: 0, problems: 2 });
    expect(s.problems.map((p) => p.where)).toEqual([`${path}:1`, `${path}:4`]);
    expect(s.problems[0]!.reason).toMatch(/^.*one-bad\.jsonl:1: invalid JSON/);
    expect(s.problems[1]!.reason).toBe(`${path}:4: answer: expected a non-empty string, got undefined`);
    expect(s.samples.map((i) => [i.id, i.answers])).toEqual([
      ['b', ['Ann']],
      ['c', ['Paris']],
      ['e', ['That one']],
    ]);
  });

  it('counts aliases, context, supporting facts and decomposition per item on a small MuSiQue file', async () => {
    const para = (title: string, supporting: boolean) => ({ idx: 0, title, paragraph_text: `${title} text`, is_supporting: supporting });
    const path = write(
      'mq.json',
      JSON.stringify([
        {
          id: 'q1',
          question: 'Who?',
          answer: 'Ann',
          answer_aliases: ['Anne', 'ann'],
          answerable: true,
          question_decomposition: [{ id: 1, question: 'First?', answer: 'X', paragraph_support_idx: 0 }],
          paragraphs: [para('A', true), para('B', false)],
        },
        { id: 'q2', question: 'What?', answer: 'Bob', answer_aliases: ['bob'], answerable: true, question_decomposition: [], paragraphs: [para('C', false)] },
        { id: 'q3', question: 'When?', answer: '1990', answer_aliases: [], answerable: true, paragraphs: [] },
      ]),
    );
    const s = await dataInspectJob.run({ dataset: path });
    // q2's alias differs from its answer only by case: one gold answer
    expect(counts(s)).toEqual({ layout: 'musique', items: 3, with_aliases: 1, with_context: 2, with_supporting: 1, with_decomposition: 1, problems: 0 });
    expect(s.samples[0]!.answers).toEqual(['Ann', 'Anne']);
  });

  it('a registry name reads its cached copy (FlashRAG layout: golden_answers lists are aliases)', async () => {
    const cache = join(tmp, 'cache');
    mkdirSync(join(cache, 'datasets', 'bamboogle'), { recursive: true });
    writeFileSync(
      join(cache, 'datasets', 'bamboogle', 'test.jsonl'),
      [
        { id: 'test_0', question: 'Who?', golden_answers: ['Ann', 'Anne'] },
        { id: 'test_1', question: 'What?', golden_answers: ['Bob'] },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const before = process.env.MTR_CACHE_DIR;
    process.env.MTR_CACHE_DIR = cache;
    try {
      const s = await dataInspectJob.run({ dataset: 'bamboogle' });
      expect([s.file, s.dataset]).toEqual([join(cache, 'datasets', 'bamboogle', 'test.jsonl'), 'bamboogle']);
      expect(counts(s)).toEqual({ layout: 'flashrag', items: 2, with_aliases: 1, with_context: 0, with_supporting: 0, with_decomposition: 0, problems: 0 });
    } finally {
      if (before === undefined) delete process.env.MTR_CACHE_DIR;
      else process.env.MTR_CACHE_DIR = before;
    }
  });

  it('a record over the byte limit is a problem, and the layout is judged from the first record within it (as loadDataset does)', async () => {
    const big = { id: 'm0', question: 'Who?', answer: 'Ann', answer_aliases: [], paragraphs: [{ idx: 0, title: 'T', paragraph_text: 'x'.repeat(400) }] };
    const path = write(
      'big-first.json',
      JSON.stringify([big, { id: 'q1', question: 'What?', answer: 'Bob' }, { id: 'q2', question: 'When?', answer: '1990' }]),
    );
    const s = await dataInspectJob.run({ dataset: path, maxRecordBytes: 200 });
    expect(counts(s)).toEqual({ layout: 'qa', items: 2, with_aliases: 0, with_context: 0, with_supporting: 0, with_decomposition: 0, problems: 1 });
    expect(s.problems[0]!.where).toBe(`${path}: record 0`);
    expect(s.problems[0]!.reason).toMatch(/expected a record of at most 200 bytes/);
  });

  it('a file in no known layout is an error naming the fields seen and the layouts known', async () => {
    const path = write('unknown.jsonl', '{"prompt":"x","completion":"y"}\n');
    await expect(dataInspectJob.run({ dataset: path })).rejects.toThrow(/unknown layout: saw fields \{prompt, completion\}; known layouts: .*musique/);
  });
});
