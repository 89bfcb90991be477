import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/load.js';
import { DatasetItemSchema, type DatasetItem } from '../../src/schema/item.js';

const DATA = fileURLToPath(new URL('../../../shared/datasets/', import.meta.url));

const FILES: { file: string; count: number; dataset: string; passages?: boolean; decomposition?: boolean }[] = [
  { file: 'bamboogle/bamboogle.jsonl', count: 125, dataset: 'bamboogle' },
  { file: 'bamboogle/bamboogle_decomposed.json', count: 125, dataset: 'bamboogle', decomposition: true },
  { file: 'hotpotqa/hotpot_dev_distractor_300.jsonl', count: 300, dataset: 'hotpotqa', passages: true },
  { file: 'hotpotqa/hotpot_train_100_original_format.json', count: 100, dataset: 'hotpotqa', passages: true },
  { file: 'hotpotqa/hotpot_dev_qa_500.jsonl', count: 500, dataset: 'hotpotqa' },
  { file: '2wiki/2wiki_dev_qa_500.jsonl', count: 500, dataset: '2wikimultihopqa' },
  { file: 'musique/musique_dev_qa_500.jsonl', count: 500, dataset: 'musique' },
  { file: 'musique/musique_train_100_with_paragraphs.json', count: 100, dataset: 'musique', passages: true, decomposition: true },
];

describe.each(FILES)('loadItems($file)', ({ file, count, dataset, passages, decomposition }) => {
  let items: DatasetItem[];
  beforeAll(async () => {
    items = await loadItems(DATA + file);
  });
  it('loads every record as a valid item with a unique id', () => {
    expect(items).toHaveLength(count);
    for (const item of items) DatasetItemSchema.parse(item);
    expect(new Set(items.map((i) => i.id)).size).toBe(count);
    expect(items.every((i) => i.dataset === dataset && i.answers.length > 0 && i.answers.every((a) => a.trim() !== ''))).toBe(true);
  });
  it(passages ? 'carries passages, at least one supporting per item' : 'carries no passages', () => {
    if (!passages) return expect(items.some((i) => i.context)).toBe(false);
    for (const item of items) {
      expect(item.context!.length).toBeGreaterThanOrEqual(2);
      expect(item.context!.some((p) => p.supporting)).toBe(true);
    }
    // Distractors are there too (one HotpotQA dev item upstream has only its 2 gold paragraphs).
    expect(items.filter((i) => i.context!.some((p) => !p.supporting)).length).toBeGreaterThanOrEqual(count - 1);
  });
  it(decomposition ? 'carries a gold decomposition of 2+ hops' : 'carries no decomposition', () => {
    if (!decomposition) return expect(items.some((i) => i.decomposition)).toBe(false);
    for (const item of items) {
      expect(item.decomposition!.length).toBeGreaterThanOrEqual(2);
      expect(item.decomposition!.every((h) => h.question && h.answers.length > 0)).toBe(true);
    }
  });
});

describe('loadItems field mapping', () => {
  it('R1-Searcher: idx becomes a string id, the answer a one-element list', async () => {
    const [first] = await loadItems(DATA + 'bamboogle/bamboogle.jsonl', { limit: 1 });
    expect(first).toEqual({
      id: '1',
      dataset: 'bamboogle',
      question: 'Who was president of the United States in the year that Citibank was founded?',
      answers: ['james madison'],
    });
  });

  it('HotpotQA HF: sentences joined into passages, supporting titles marked', async () => {
    const [first] = await loadItems(DATA + 'hotpotqa/hotpot_dev_distractor_300.jsonl', { limit: 1 });
    expect(first!.id).toBe('5a8ce55f554299441c6b9f62');
    expect(first!.answers).toEqual(['Tulsa']);
    expect(first!.context).toHaveLength(10);
    expect(first!.context!.filter((p) => p.supporting).map((p) => p.title)).toEqual(['Tinted Windows (album)', 'Tinted Windows (band)']);
    expect(first!.context![0]!.text).toMatch(/^Act of Congress is a Birmingham, Alabama based singer-songwriter group\. They play/);
    expect(first!.meta).toMatchObject({
      type: 'bridge',
      level: 'hard',
      supporting_facts: [
        ['Tinted Windows (album)', 0],
        ['Tinted Windows (band)', 3],
      ],
    });
  });

  it('HotpotQA original: _id is the id, [title, sentence] pairs mark passages', async () => {
    const [first] = await loadItems(DATA + 'hotpotqa/hotpot_train_100_original_format.json', { limit: 1 });
    expect(first!.id).toBe('5a77ec115542992a6e59dff7');
    expect(first!.answers).toEqual(['a spirit']);
    expect(
      first!
        .context!.filter((p) => p.supporting)
        .map((p) => p.title)
        .sort(),
    ).toEqual(['Alû', 'Lilu (mythology)']);
  });

  it('MuSiQue: answer first, then aliases; hops keep their order', async () => {
    const [first] = await loadItems(DATA + 'musique/musique_train_100_with_paragraphs.json', { limit: 1 });
    expect(first!.id).toBe('2hop__150763_14904');
    expect(first!.answers).toEqual(['G. Stanley Hall', 'Stanley Hall']);
    expect(first!.context).toHaveLength(20);
    expect(first!.decomposition).toEqual([
      { question: 'What company published Journal of Psychotherapy Integration?', answers: ['American Psychological Association'] },
      { question: 'Who was the first president of #1 ?', answers: ['G. Stanley Hall'] },
    ]);
  });

  it('Bamboogle decomposed: no id in the file, so record-N; last-hop answers become aliases without case duplicates', async () => {
    const items = await loadItems(DATA + 'bamboogle/bamboogle_decomposed.json', { limit: 2 });
    expect(items.map((i) => i.id)).toEqual(['record-0', 'record-1']);
    expect(items[1]!.answers).toEqual(['Titan IIIE', 'titan iiie-centaur']);
    expect(items[1]!.decomposition![0]).toEqual({ question: 'What was the first spacecraft that ever approached Uranus?', answers: ['voyager 2'] });
  });

  it('the same questions load from both Bamboogle layouts', async () => {
    const plain = await loadItems(DATA + 'bamboogle/bamboogle.jsonl');
    const decomposed = await loadItems(DATA + 'bamboogle/bamboogle_decomposed.json');
    expect(decomposed.map((i) => i.question)).toEqual(plain.map((i) => i.question));
  });
});

describe('loadItems options', () => {
  it('limit and offset select a window of a JSONL file', async () => {
    const all = await loadItems(DATA + 'musique/musique_dev_qa_500.jsonl');
    const window = await loadItems(DATA + 'musique/musique_dev_qa_500.jsonl', { offset: 10, limit: 5 });
    expect(window).toEqual(all.slice(10, 15));
  });

  it('limit and offset select a window of a JSON array', async () => {
    const window = await loadItems(DATA + 'hotpotqa/hotpot_train_100_original_format.json', { offset: 98, limit: 5 });
    expect(window).toHaveLength(2);
  });

  it('limit 0 reads nothing; an offset past the end gives no items', async () => {
    expect(await loadItems(DATA + 'bamboogle/bamboogle.jsonl', { limit: 0 })).toEqual([]);
    expect(await loadItems(DATA + 'bamboogle/bamboogle.jsonl', { offset: 1000 })).toEqual([]);
  });

  it('an explicit dataset name wins over the file name', async () => {
    const items = await loadItems(DATA + 'hotpotqa/hotpot_dev_qa_500.jsonl', { dataset: 'hp', limit: 3 });
    expect(items.map((i) => i.dataset)).toEqual(['hp', 'hp', 'hp']);
  });

  it('rejects a negative or fractional limit', async () => {
    await expect(loadItems(DATA + 'bamboogle/bamboogle.jsonl', { limit: -1 })).rejects.toThrow('limit: expected a non-negative integer, got -1');
    await expect(loadItems(DATA + 'bamboogle/bamboogle.jsonl', { offset: 1.5 })).rejects.toThrow('offset: expected a non-negative integer, got 1.5');
  });
});
