import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { Bm25Index, buildIndex, ftsQuery } from '../../src/tools/bm25.js';
import { type CorpusPassage, readCorpus } from '../../src/tools/corpus.js';
import { SHARED_DATASETS } from '../support/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-bm25-'));
const key = (p: { title: string; text: string }) => `${p.title}\n${p.text.trim()}`;

/** recall@5: share of items with at least one (any) / every (all) supporting paragraph in the top 5. */
function recallAt5(index: Bm25Index, items: { question: string; supporting: string[] }[]): { any: number; all: number } {
  let any = 0;
  let every = 0;
  for (const it of items) {
    const top = new Set(index.search(it.question, 5).map(key));
    if (it.supporting.some((s) => top.has(s))) any++;
    if (it.supporting.every((s) => top.has(s))) every++;
  }
  return { any: any / items.length, all: every / items.length };
}

describe('BM25 index over each corpus file', () => {
  it.each(['wiki18_sample_1000.jsonl', '2wiki_corpus_6119.json', 'musique_train100_corpus.json', 'hotpot_train100_corpus.json'])(
    '%s: every sampled passage is found by its own opening words',
    async (file) => {
      const out = join(tmp, `${file}.sqlite`);
      const progress: number[] = [];
      const { passages } = await buildIndex(out, readCorpus(join(SHARED_DATASETS, 'corpus', file)), { onProgress: (n) => progress.push(n) });
      expect(progress.at(-1)).toBe(passages);
      const index = new Bm25Index(out);
      expect(index.passages).toBe(passages);
      const sample: CorpusPassage[] = [];
      let i = 0;
      for await (const p of readCorpus(join(SHARED_DATASETS, 'corpus', file))) if (i++ % 37 === 0) sample.push(p);
      const found = sample.filter((p) => index.search(`${p.title} ${p.text.split(/\s+/).slice(0, 12).join(' ')}`, 5).some((h) => h.id === p.id)).length;
      expect(found / sample.length).toBeGreaterThan(0.95);
      index.close();
    },
  );

  it('finds the supporting paragraphs of HotpotQA / MuSiQue train questions in the corpora built from them', async () => {
    for (const [corpus, dataset] of [
      ['hotpot_train100_corpus.json', 'hotpotqa/hotpot_train_100_original_format.json'],
      ['musique_train100_corpus.json', 'musique/musique_train_100_with_paragraphs.json'],
    ] as const) {
      const idx = join(tmp, `${corpus}.questions.sqlite`);
      await buildIndex(idx, readCorpus(join(SHARED_DATASETS, 'corpus', corpus)));
      const items = (await loadItems(join(SHARED_DATASETS, dataset))).map((i) => ({
        question: i.question,
        supporting: i.context!.filter((p) => p.supporting).map(key),
      }));
      const index = new Bm25Index(idx);
      const r = recallAt5(index, items);
      console.log(`${dataset}: recall@5 any=${r.any.toFixed(3)} all=${r.all.toFixed(3)} (${items.length} questions)`);
      expect(r.any).toBeGreaterThan(0.8);
      index.close();
    }
  });
});

describe('one index from hotpot_dev_distractor_300 context paragraphs', () => {
  it('puts a supporting paragraph of most questions in the top 5 (recall@5 printed)', async () => {
    const items = await loadItems(join(SHARED_DATASETS, 'hotpotqa/hotpot_dev_distractor_300.jsonl'));
    const passages = new Map<string, CorpusPassage>();
    for (const item of items)
      for (const p of item.context!) if (!passages.has(key(p))) passages.set(key(p), { id: String(passages.size), title: p.title, text: p.text });
    const out = join(tmp, 'hotpot-dev.sqlite');
    await buildIndex(out, passages.values());
    const index = new Bm25Index(out);
    const r = recallAt5(
      index,
      items.map((i) => ({ question: i.question, supporting: i.context!.filter((p) => p.supporting).map(key) })),
    );
    console.log(`hotpot_dev_distractor_300: ${passages.size} paragraphs, recall@5 any supporting = ${r.any.toFixed(3)}, both supporting = ${r.all.toFixed(3)}`);
    expect(r.any).toBeGreaterThan(0.9);
    expect(r.all).toBeGreaterThan(0.4);
    index.close();
  });
});

describe('queries and files', () => {
  it('quotes every token, so FTS5 syntax in a query is harmless; stopword-only queries still search', () => {
    expect(ftsQuery('Who is "Ella" AND NEAR(x)* -y?')).toBe('"ella" OR "near" OR "x" OR "y"');
    expect(ftsQuery('the of')).toBe('"the" OR "of"');
    expect(ftsQuery('?!')).toBeUndefined();
  });

  it('scores best first, answers an empty query with nothing, and rejects a file that is not an index', async () => {
    const out = join(tmp, 'tiny.sqlite');
    await buildIndex(out, [
      { id: 'a', title: 'Oslo', text: 'Oslo is the capital of Norway.' },
      { id: 'b', title: 'Bergen', text: 'Bergen is a city in Norway, not its capital.' },
      { id: 'c', title: 'Lima', text: 'Lima is in Peru.' },
    ]);
    const index = new Bm25Index(out);
    const hits = index.search('capital of Norway Oslo', 3);
    expect(hits.map((h) => h.id)).toEqual(['a', 'b']);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect(index.search('...', 3)).toEqual([]);
    index.close();
    expect(() => new Bm25Index(join(tmp, 'missing.sqlite'))).toThrow(/expected an index built by "mtr index", got no file/);
    expect(() => new Bm25Index(join(SHARED_DATASETS, 'corpus/wiki18_sample_1000.jsonl'))).toThrow(/expected an index built by "mtr index"/);
    await expect(buildIndex(join(tmp, 'empty.sqlite'), [])).rejects.toThrow(/expected at least one passage/);
    expect(existsSync(join(tmp, 'empty.sqlite'))).toBe(false);
  });
});
