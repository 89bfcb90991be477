import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_QUESTION_CHARS, DEFAULT_MAX_RECORD_BYTES } from '../../src/data/limits.js';
import { loadDataset, loadItems } from '../../src/data/load.js';
import { readRecords } from '../../src/data/read.js';
import { mtrError } from '../support/errors.js';
import { SHARED_DATASETS } from '../support/paths.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mtr-limits-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}
const qa = (idx: number, question = `question ${idx}?`) => ({ idx, question, answer: `answer ${idx}` });
const jsonl = (...records: unknown[]): string => records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

describe('dataset limits: question length and record size', () => {
  it('the defaults leave every real benchmark file here whole (longest question 300 characters, largest record 20 KB)', async () => {
    const files = [
      'bamboogle/bamboogle.jsonl',
      'bamboogle/bamboogle_decomposed.json',
      'hotpotqa/hotpot_dev_distractor_300.jsonl',
      'hotpotqa/hotpot_train_100_original_format.json',
      'hotpotqa/hotpot_dev_qa_500.jsonl',
      '2wiki/2wiki_dev_qa_500.jsonl',
      'musique/musique_dev_qa_500.jsonl',
      'musique/musique_train_100_with_paragraphs.json',
    ];
    let longest = 0;
    let largest = 0;
    for (const f of files) {
      const { items, skipped } = await loadDataset(SHARED_DATASETS + f);
      expect(skipped).toEqual([]);
      longest = Math.max(longest, ...items.map((i) => i.question.length));
      for await (const raw of readRecords(SHARED_DATASETS + f)) largest = Math.max(largest, raw.bytes());
    }
    expect(longest).toBe(300);
    expect(largest).toBe(19_926); // a MuSiQue train record with its 20 paragraphs
    expect(DEFAULT_MAX_QUESTION_CHARS).toBe(4000);
    expect(DEFAULT_MAX_RECORD_BYTES).toBe(1024 * 1024);
  });

  it('a 60 MB question stops the load at its line, by size, before it is parsed', async () => {
    const huge = `${JSON.stringify(qa(1))}\n{"idx": 2, "question": "${'x'.repeat(60 * 1024 * 1024)}", "answer": "a"}\n${JSON.stringify(qa(3))}\n`;
    const path = await file('huge.jsonl', huge);
    const bytes = Buffer.byteLength(huge.split('\n')[1]!);
    const e = await mtrError(loadItems(path));
    expect(e.code).toBe('E_DATASET');
    expect(e.message).toBe(
      `${path}:2: expected a record of at most 1048576 bytes, got ${bytes} (--max-record-bytes raises the limit, or --skip-bad to skip such records)`,
    );
    expect(e.details).toMatchObject({ file: path, line: 2 });
    // with the limit raised it is read, and then the question limit refuses it
    const q = await mtrError(loadItems(path, { maxRecordBytes: 100 * 1024 * 1024 }));
    expect(q.message).toBe(
      `${path}:2: question: expected at most 4000 characters, got ${60 * 1024 * 1024} (--max-question-chars raises the limit, or --skip-bad to skip such records)`,
    );
    expect(q.details).toMatchObject({ file: path, line: 2, field: 'question' });
  });

  it('questions are measured in characters (code points), not bytes or UTF-16 units', async () => {
    const path = await file('unicode.jsonl', jsonl(qa(1, 'é'.repeat(5) + '😀'.repeat(5)), qa(2, '😀'.repeat(11))));
    const e = await mtrError(loadItems(path, { maxQuestionChars: 10 }));
    expect(e.message).toMatch(new RegExp(`^${path}:2: question: expected at most 10 characters, got 11 `));
    expect(await loadItems(path, { maxQuestionChars: 10, limit: 1 })).toHaveLength(1);
  });

  it('a record of a JSON array is measured as its compact JSON, and named by its index', async () => {
    const records = [qa(1), qa(2, 'y'.repeat(500)), qa(3)];
    const path = await file('array.json', JSON.stringify(records, null, 2));
    const e = await mtrError(loadItems(path, { maxRecordBytes: 200 }));
    expect(e.message).toBe(
      `${path}: record 1: expected a record of at most 200 bytes, got ${JSON.stringify(records[1]).length} (--max-record-bytes raises the limit, or --skip-bad to skip such records)`,
    );
  });

  it('the limits are checked on the records used only: those before --offset or after --limit are not', async () => {
    const path = await file('offset.jsonl', jsonl(qa(1), qa(2, 'z'.repeat(50)), qa(3), qa(4), qa(5, 'z'.repeat(50))));
    expect((await loadItems(path, { maxQuestionChars: 20, offset: 2, limit: 2 })).map((i) => i.id)).toEqual(['3', '4']);
    expect((await mtrError(loadItems(path, { maxQuestionChars: 20, offset: 2 }))).message).toMatch(new RegExp(`^${path}:5: question: `));
  });

  it('bad limits are a usage error naming the option', async () => {
    const path = await file('ok.jsonl', jsonl(qa(1)));
    const e = await mtrError(loadItems(path, { maxQuestionChars: 0 }));
    expect([e.code, e.message]).toEqual(['E_USAGE', 'maxQuestionChars: expected a whole number ≥ 1, got 0']);
    expect((await mtrError(loadItems(path, { maxRecordBytes: 1.5 }))).message).toBe('maxRecordBytes: expected a whole number ≥ 1, got 1.5');
  });
});

describe('--skip-bad: bad records left out and listed, the rest loaded', () => {
  it('skips each kind of bad record with its file:line reason, in file order; --limit counts loaded items only', async () => {
    const lines = [
      qa(1),
      `{"idx": 2, "question": "${'x'.repeat(3000)}", "answer": "a"}`,
      qa(3, 'q'.repeat(101)),
      '{"idx": 4, "question": ',
      { idx: 5, answer: 'no question' },
      qa(1, 'same id as line 1'),
      qa(7),
      qa(8),
    ];
    const path = await file('mixed.jsonl', jsonl(...lines));
    await expect(loadItems(path, { maxRecordBytes: 2000, maxQuestionChars: 100 })).rejects.toThrow(`${path}:2: expected a record of at most 2000 bytes`);
    const { items, skipped } = await loadDataset(path, { maxRecordBytes: 2000, maxQuestionChars: 100, skipBad: true, limit: 2 });
    expect(items.map((i) => i.id)).toEqual(['1', '7']);
    expect(skipped.map((s) => s.where)).toEqual([2, 3, 4, 5, 6].map((n) => `${path}:${n}`));
    expect(skipped.map((s) => s.reason.slice(path.length))).toEqual([
      `:2: expected a record of at most 2000 bytes, got ${Buffer.byteLength(lines[1] as string)} (--max-record-bytes raises the limit, or --skip-bad to skip such records)`,
      ':3: question: expected at most 100 characters, got 101 (--max-question-chars raises the limit, or --skip-bad to skip such records)',
      expect.stringMatching(/^:4: invalid JSON: /),
      ':5: question: expected a non-empty string, got undefined',
      `:6: id: duplicate id "1" (first at ${path}:1)`,
    ]);
  });

  it('the layout comes from the first record that can be read, even when earlier ones are skipped', async () => {
    const path = await file('first-bad.jsonl', jsonl('{"broken', `{"idx": 1, "question": "${'w'.repeat(500)}", "answer": "a"}`, qa(3)));
    const { items, skipped } = await loadDataset(path, { maxRecordBytes: 300, skipBad: true });
    expect(items.map((i) => i.id)).toEqual(['3']);
    expect(skipped).toHaveLength(2);
  });

  it('a file of which nothing is usable is an error, not an empty run; a wrong layout is never skipped', async () => {
    const path = await file('all-bad.jsonl', jsonl(qa(1, 'a'.repeat(50)), qa(2, 'b'.repeat(60))));
    expect((await mtrError(loadDataset(path, { maxQuestionChars: 10, skipBad: true }))).message).toBe(
      `${path}: expected at least one usable record, got none: all 2 were skipped (first: ${path}:1: question: expected at most 10 characters, got 50 (--max-question-chars raises the limit, or --skip-bad to skip such records))`,
    );
    const corpus = SHARED_DATASETS + 'corpus/wiki18_sample_1000.jsonl';
    expect((await mtrError(loadDataset(corpus, { skipBad: true }))).message).toMatch(new RegExp(`^${corpus}:1: unknown layout: `));
  });
});

describe('JSON lines read as bytes', () => {
  it('CRLF, a BOM, blank lines and a last line without newline read as before, with the same line numbers', async () => {
    const path = await file('crlf.jsonl', Buffer.from(`\uFEFF${JSON.stringify(qa(1))}\r\n\r\n${JSON.stringify(qa(2, 'é?'))}\r\n${JSON.stringify(qa(3))}`));
    const records: { line: number; bytes: number }[] = [];
    for await (const raw of readRecords(path)) records.push({ line: (raw.at as { line: number }).line, bytes: raw.bytes() });
    expect(records.map((r) => r.line)).toEqual([1, 3, 4]);
    expect(records[1]!.bytes).toBe(Buffer.byteLength(JSON.stringify(qa(2, 'é?'))));
    expect((await loadItems(path)).map((i) => i.question)).toEqual(['question 1?', 'é?', 'question 3?']);
  });

  it('multi-byte characters split across read chunks decode whole', async () => {
    const question = 'ü'.repeat(70_000); // 140 KB: spans several 64 KB chunks, some cut inside a character
    const path = await file('chunks.jsonl', jsonl(qa(1, question), qa(2)));
    const items = await loadItems(path, { maxQuestionChars: 100_000 });
    expect(items[0]!.question).toBe(question);
    expect(readFileSync(path).length).toBeGreaterThan(140_000);
  });
});
