import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { searchR1Prompt } from '../../src/agent/search-r1-prompt.js';
import { loadDataset, loadItems } from '../../src/data/load.js';
import { parquetValue } from '../../src/data/read.js';
import { type ParquetCodecOptions, rowsToParquet } from '../../src/export/parquet.js';
import { runCli } from '../support/cli.js';

const DATA = fileURLToPath(new URL('../../../shared/datasets/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mtr-parquet-'));
/** The same records as JSON lines and as parquet (written by the exporter's writer). */
function both(name: string, records: Record<string, unknown>[]): { jsonl: string; parquet: string } {
  const jsonl = join(dir, `${name}.jsonl`);
  const parquet = join(dir, `${name}.parquet`);
  writeFileSync(jsonl, records.map((r) => JSON.stringify(r)).join('\n'));
  writeFileSync(parquet, Buffer.from(rowsToParquet(records)));
  return { jsonl, parquet };
}
const sameItems = async (files: { jsonl: string; parquet: string }, dataset: string) => {
  const fromJsonl = await loadItems(files.jsonl, { dataset });
  const fromParquet = await loadItems(files.parquet, { dataset });
  expect(fromParquet).toEqual(fromJsonl);
  return fromParquet;
};

describe('parquet input', () => {
  it('parquetValue: bigints, bytes, dates and null struct fields', () => {
    expect(parquetValue({ a: 3n, b: 2n ** 60n, c: null, d: [null, 1], e: new Uint8Array([1, 2]), f: new Date(0) })).toEqual({
      a: 3,
      b: '1152921504606846976',
      d: [null, 1],
      e: [1, 2],
      f: '1970-01-01T00:00:00.000Z',
    });
  });
  it('reads the shared MuSiQue file (paragraphs, aliases, decomposition) the same as its JSON', async () => {
    const raw = JSON.parse(readFileSync(`${DATA}musique/musique_train_100_with_paragraphs.json`, 'utf8')) as Record<string, unknown>[];
    const items = await sameItems(both('musique_train', raw), 'musique');
    expect(items).toHaveLength(100);
    expect(items.every((i) => i.context && i.decomposition)).toBe(true);
  });
  it('reads MuSiQue with Python-repr fields and without paragraphs', async () => {
    const rows = [
      {
        id: 'a',
        question: 'Q1?',
        answer: 'A',
        answer_aliases: "['Alpha']",
        answerable: 'True',
        question_decomposition: "[{'id': 1, 'question': 'q', 'answer': 'A', 'paragraph_support_idx': None}]",
      },
      { id: 'b', question: 'Q2?', answer: 'B', answer_aliases: '[]', answerable: 'False', question_decomposition: '[]' },
    ];
    const items = await sameItems(both('musique_repr', rows), 'musique');
    expect(items[0]).toMatchObject({ answers: ['A', 'Alpha'], decomposition: [{ question: 'q', answers: ['A'] }], meta: { answerable: true } });
  });
  it('reads IRCoT processed data', async () => {
    const empty = { number: '', date: { day: '', month: '', year: '' } };
    const rows = [
      {
        question_id: 'q1',
        question_text: 'Q1?',
        answers_objects: [{ ...empty, spans: ['yes'] }],
        contexts: [{ idx: 0, title: 'T', paragraph_text: 'P', is_supporting: true }],
      },
      {
        question_id: 'q2',
        question_text: 'Q2?',
        answers_objects: [{ ...empty, number: '4', spans: [] }],
        contexts: [{ idx: 0, title: 'U', paragraph_text: 'R', is_supporting: false }],
      },
    ];
    const items = await sameItems(both('ircot', rows), 'hotpotqa');
    expect(items.map((i) => i.answers)).toEqual([['yes'], ['4']]);
  });
  it('reads Search-R1 rows and prompt-only verl rows', async () => {
    const searchR1 = ['who wrote dune', 'capital of france'].map((question, index) => ({
      id: `test_${index}`,
      question,
      golden_answers: [`answer ${index}`],
      data_source: 'nq',
      prompt: [{ role: 'user', content: searchR1Prompt(question) }],
      ability: 'fact-reasoning',
      reward_model: { style: 'rule', ground_truth: { target: [`answer ${index}`] } },
      extra_info: { split: 'test', index },
    }));
    expect((await sameItems(both('nq_search', searchR1), 'nq')).map((i) => i.question)).toEqual(['who wrote dune', 'capital of france']);
    const promptOnly = searchR1.map(({ id: _id, question: _q, golden_answers: _g, ...rest }) => ({
      ...rest,
      reward_model: { style: 'rule', ground_truth: rest.reward_model.ground_truth.target[0]! },
    }));
    const items = await sameItems(both('verl_musique', promptOnly), 'musique');
    expect(items.map((i) => [i.id, i.question, i.answers])).toEqual([
      ['0', 'who wrote dune?', ['answer 0']],
      ['1', 'capital of france?', ['answer 1']],
    ]);
  });
  it('names rows by index in errors, and refuses a broken parquet file', async () => {
    const { parquet } = both('bad', [
      { question: 'Q?', answer: 'A' },
      { question: '', answer: 'B' },
    ]);
    await expect(loadItems(parquet)).rejects.toThrow(/bad\.parquet: record 1: question: expected a non-empty string/);
    expect((await loadDataset(parquet, { skipBad: true })).items).toHaveLength(1);
    const unknown = both('unknown', [{ prompt: 'p', completion: 'c' }]).parquet;
    await expect(loadItems(unknown)).rejects.toThrow(
      /^[^\n]*unknown\.parquet: record 0: unknown layout: saw fields \{prompt, completion\}; known layouts: flashrag .*verl .*ircot .*musique [^\n]*$/,
    );
    const broken = join(dir, 'broken.parquet');
    writeFileSync(broken, 'PAR1 not really');
    await expect(loadItems(broken)).rejects.toThrow(/broken\.parquet: expected a readable parquet file/);
  });
  // pandas/pyarrow write snappy by default, but zstd and gzip are one argument away (to_parquet(compression=…))
  const CODECS: [string, ParquetCodecOptions][] = [
    ['GZIP', { codec: 'GZIP', compressors: { GZIP: (b: Uint8Array) => gzipSync(b) } }],
    ['ZSTD', { codec: 'ZSTD', compressors: { ZSTD: (b: Uint8Array) => execFileSync('zstd', ['-q', '-c'], { input: b }) } }],
    ['BROTLI', { codec: 'BROTLI', compressors: { BROTLI: (b: Uint8Array) => brotliCompressSync(b) } }],
  ];
  it.each(CODECS)('reads a %s-compressed parquet dataset and rollouts file (mtr data inspect, mtr score) like the snappy one', async (name, codec) => {
    const raw = JSON.parse(readFileSync(`${DATA}musique/musique_train_100_with_paragraphs.json`, 'utf8')) as Record<string, unknown>[];
    const file = join(dir, `musique_${name}.parquet`);
    const bytes = Buffer.from(rowsToParquet(raw, codec));
    expect(bytes.equals(Buffer.from(rowsToParquet(raw)))).toBe(false); // really another codec
    writeFileSync(file, bytes);
    expect(await loadItems(file, { dataset: 'musique' })).toEqual(await loadItems(both('musique_snappy', raw).jsonl, { dataset: 'musique' }));
    const inspected = await runCli(['data', 'inspect', file, '--json']);
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.stdout)).toMatchObject({ layout: 'musique', items: 100, with_decomposition: 100 });

    const rollouts = join(dir, `rollouts_${name}.parquet`);
    const rows = [
      { id: 'a', data_source: 'musique', response: '<answer> Paris </answer>', reward_model: { ground_truth: { target: ['Paris'] } } },
      { id: 'b', data_source: 'musique', response: '<answer> Rome </answer>', reward_model: { ground_truth: { target: ['Paris'] } } },
    ];
    writeFileSync(rollouts, Buffer.from(rowsToParquet(rows, codec)));
    const scored = await runCli(['score', '--rollouts', rollouts, '--out', join(dir, `scores_${name}.jsonl`), '--dialect', 'search-r1']);
    expect(scored.stderr).toBe('');
    const scores = readFileSync(join(dir, `scores_${name}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { components: { em: number } });
    expect(scores.map((s) => s.components.em)).toEqual([1, 0]);
  });
});
