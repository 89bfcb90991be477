import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalDataSource } from '../../src/data/data-source.js';
import { loadItems } from '../../src/data/load.js';
import { exportJob } from '../../src/pipeline/export.js';
import type { DatasetItem } from '../../src/schema/item.js';
import { openStore } from '../../src/store/index.js';
import { searchStore } from '../export/stores.js';
import { runCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { scriptedEvalModel } from '../../fakes/eval-agent.js';
import { scriptedModel } from '../support/scripted-roles.js';
import { seededStore } from '../validate/store-fixture.js';

/**
 * Round trip (issue 15): the prompts `mtr export --stage grpo` writes (verl parquet and JSONL, TRL, jsonl; mtr's
 * dialect and Search-R1's) read back as `--dataset` with the items' own ids, questions and gold.
 */

const tmp = mkdtempSync(join(tmpdir(), 'mtr-export-roundtrip-'));
const stores: Record<Dialect, { path: string; items: DatasetItem[] }> = {} as never;
beforeAll(async () => {
  stores.hermes = await seededStore(tmp);
  stores['search-r1'] = await searchStore(join(tmp, 'search'), { dialect: 'search-r1' });
});

type Dialect = 'hermes' | 'search-r1';
type Format = 'verl' | 'trl' | 'jsonl';

async function exported(format: Format, dialect: Dialect) {
  const out = join(tmp, `${format}-${dialect}`);
  const s = await exportJob.run({ db: stores[dialect].path, out, stage: 'grpo', format, dialect, valRatio: 0 });
  expect(s.train).toBeGreaterThan(2);
  return { dir: out, jsonl: join(out, s.files.train!.file), parquet: s.files.train_parquet && join(out, s.files.train_parquet.file), rows: s.train };
}

/** What a command taking --dataset sees of an item, beside what the store held. */
const seen = (i: DatasetItem) => ({ id: i.id, question: i.question, answers: i.answers });
const storeItem = (dialect: Dialect, id: string) => stores[dialect].items.find((i) => i.id === id);

describe.each(['hermes', 'search-r1'] as const)('mtr export --stage grpo reads back as --dataset (%s)', (dialect) => {
  it.each(['verl', 'trl', 'jsonl'] as const)('%s: every row an item with its own id, question and gold', async (format) => {
    const out = await exported(format, dialect);
    const files = [out.jsonl, ...(out.parquet ? [out.parquet] : [])];
    for (const file of files) {
      const items = await loadItems(file);
      expect(items).toHaveLength(out.rows);
      // Search-R1's own verl row has no id column (nq_search.py writes extra_info {split, index}): its ids are the indexes.
      if (dialect === 'search-r1' && format !== 'trl') expect(items.map((i) => i.id)).toEqual(items.map((_, k) => String(k)));
      else expect(items.map(seen)).toEqual(items.map((i) => seen(storeItem(dialect, i.id)!)));
      // every form names its benchmark, so a second export needs no --data-source
      expect(items.map((i) => canonicalDataSource(i))).toEqual(items.map(() => 'bamboogle'));
    }
  });

  it('Search-R1 verl rows keep question and gold in the order the TRL rows (with ids) have them', async () => {
    const [verl, trl] = [await exported('verl', dialect), await exported('trl', dialect)];
    const strip = (i: DatasetItem) => [i.question, i.answers];
    expect((await loadItems(verl.parquet!)).map(strip)).toEqual((await loadItems(trl.jsonl)).map(strip));
  });
});

describe('mtr data inspect and mtr generate take an export as --dataset', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeOpenAI({ respond: scriptedModel({ items: stores.hermes.items }) });
  });
  afterAll(() => server.close());

  it('data inspect names the layout and shows the items with their ids (verl parquet, TRL JSONL)', async () => {
    for (const [format, layout] of [
      ['verl', 'verl'],
      ['trl', 'trl-grpo'],
    ] as const) {
      const out = await exported(format, 'hermes');
      const file = out.parquet ?? out.jsonl;
      const r = await runCli(['data', 'inspect', file, '--json']);
      expect([r.code, r.stderr]).toEqual([0, '']);
      const s = JSON.parse(r.stdout) as { layout: string; items: number; problems: unknown[]; samples: DatasetItem[] };
      expect(s).toMatchObject({ layout, items: out.rows, problems: [] });
      expect(s.samples.map(seen)).toEqual(s.samples.map((i) => seen(storeItem('hermes', i.id)!)));
    }
  });

  it('a verl file whose rows name their benchmark as trainers do exports without --data-source, under canonical names', async () => {
    const forms = ['searchR1_nq', 'bdsaglam/musique', 'hotpotqa/hotpot_qa', 'RUC-NLPIR/FlashRAG_datasets/2wikimultihopqa'];
    const items = stores.hermes.items.slice(0, forms.length);
    const file = join(tmp, 'train.jsonl'); // a neutral name: only the rows say which benchmark
    const rows = items.map((item, k) => ({
      data_source: forms[k],
      prompt: [{ role: 'user', content: `Question: ${item.question}` }],
      reward_model: { ground_truth: { target: item.answers } },
      extra_info: { index: k, id: item.id },
    }));
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    const db = join(tmp, 'named-sources.sqlite');
    const r = await runCli(['generate', '--dataset', file, '--db', db, '--base-url', server.url, '--retries', '1', '--timeout', '10', '--json']);
    expect(r.code).toBe(0);
    const out = join(tmp, 'named-sources');
    const s = await exportJob.run({ db, out, stage: 'grpo', format: 'trl', valRatio: 0 });
    const exportedRows = readFileSync(join(out, s.files.train!.file), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; data_source: string });
    const byId = new Map(exportedRows.map((row) => [row.id, row.data_source]));
    expect(items.map((i) => byId.get(i.id))).toEqual(['nq', 'musique', 'hotpotqa', '2wikimultihopqa']);
  });

  it.each([
    ['verl', 'parquet'],
    ['trl', 'jsonl'],
  ] as const)('generate --dataset on a %s export (%s) stores the items under their own ids, gold and data_source kept', async (format, kind) => {
    const out = await exported(format, 'hermes');
    const file = kind === 'parquet' ? out.parquet! : out.jsonl;
    const exportedIds = readFileSync(out.jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id?: string; extra_info?: { id: string } })
      .map((r) => r.id ?? r.extra_info!.id);
    const db = join(tmp, `regenerated-${format}.sqlite`);
    const r = await runCli(['generate', '--dataset', file, '--db', db, '--base-url', server.url, '--retries', '1', '--timeout', '10', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/error/i); // stderr carries the progress bar
    expect(JSON.parse(r.stdout)).toMatchObject({ finished: exportedIds.length });
    const store = await openStore(db);
    try {
      const [run] = await store.runs.list();
      const items = await store.items.list(run!.id);
      expect(items.map((i) => i.id).sort()).toEqual([...exportedIds].sort());
      expect(items.map(seen)).toEqual(items.map((i) => seen(storeItem('hermes', i.id)!)));
      expect(items.map((i) => canonicalDataSource(i))).toEqual(items.map(() => 'bamboogle'));
    } finally {
      await store.close();
    }
  });
});

describe('mtr eval takes an export as --dataset', () => {
  let server: FakeServer;
  beforeAll(async () => {
    const items = stores.hermes.items;
    // every item answered with its first gold answer
    server = await startFakeOpenAI({ respond: scriptedEvalModel(items, new Map(items.map((i) => [i.question, i.answers[0]!]))) });
  });
  afterAll(() => server.close());

  it.each(['verl', 'trl'] as const)('%s export: one prediction per row, under its id, scored against its gold', async (format) => {
    const out = await exported(format, 'hermes');
    const dir = join(tmp, `eval-${format}`);
    const r = await runCli(['eval', '--dataset', out.parquet ?? out.jsonl, '--tools-from', 'none', '--base-url', server.url, '--out', dir]);
    expect([r.code, r.stderr.match(/error/i)]).toEqual([0, null]);
    const predictions = readFileSync(join(dir, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; question: string; golden_answers: string[]; em: number });
    expect(predictions).toHaveLength(out.rows);
    expect(predictions.map((p) => ({ id: p.id, question: p.question, answers: p.golden_answers }))).toEqual(
      predictions.map((p) => seen(storeItem('hermes', p.id)!)),
    );
    expect(predictions.map((p) => p.em)).toEqual(predictions.map(() => 1));
  });
});
