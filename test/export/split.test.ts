import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rowsToParquet } from '../../src/export/parquet.js';
import { splitExamples, splitOf } from '../../src/export/split.js';
import { bamboogle } from '../validate/fixtures.js';

const items = await bamboogle(125);

describe('splitExamples', () => {
  it('keeps every distinct question once, in input order, and no question in both splits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: items.length - 1 }), { maxLength: 60 }),
        fc.nat(),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        (picks, seed, ratio) => {
          const examples = picks.map((i, k) => ({ item: { ...items[i]!, id: `${items[i]!.id}-${k}` } }));
          const s = splitExamples(examples, seed, ratio);
          const q = (e: { item: { question: string } }) => e.item.question;
          expect(new Set([...s.train, ...s.validation].map(q)).size).toBe(s.train.length + s.validation.length);
          expect(s.train.length + s.validation.length + s.duplicates).toBe(examples.length);
          expect(new Set(s.train.map(q)).size + new Set(s.validation.map(q)).size).toBe(new Set(picks).size);
          const order = examples.map((e) => e.item.id);
          for (const part of [s.train, s.validation])
            expect(part.map((e) => order.indexOf(e.item.id))).toEqual(part.map((e) => order.indexOf(e.item.id)).sort((a, b) => a - b));
        },
      ),
    );
  });

  it('assigns an item by id and seed alone, near the requested ratio', () => {
    const val = items.filter((i) => splitOf(i.id, 0, 0.2) === 'validation').length;
    expect(val).toBeGreaterThan(10);
    expect(val).toBeLessThan(40);
    expect(items.map((i) => splitOf(i.id, 7, 0.2))).toEqual(items.map((i) => splitOf(i.id, 7, 0.2)));
    expect(items.map((i) => splitOf(i.id, 7, 0.2))).not.toEqual(items.map((i) => splitOf(i.id, 8, 0.2)));
  });
});

describe('rowsToParquet', () => {
  it('refuses a column whose values change type, and an empty export', () => {
    expect(() => rowsToParquet([{ a: 1 }, { a: 'x' }])).toThrow(/parquet column a: expected one type, got number and string/);
    expect(() => rowsToParquet([])).toThrow(/at least one row/);
    expect(() => rowsToParquet([{ a: 1 }, null as unknown as Record<string, unknown>])).toThrow(/parquet: expected object rows/);
  });
});

describe('splitExamples: a validation row whenever there are two or more items', () => {
  it('40 items at the default 5% still give validation one item (verl needs data.val_files), and train keeps the rest', () => {
    const forty = items.slice(0, 40).map((item) => ({ item }));
    const plain = forty.filter((e) => splitOf(e.item.id, 0, 0.05) === 'validation');
    const s = splitExamples(forty, 0, 0.05);
    expect(s.validation.length).toBe(Math.max(1, plain.length));
    expect(s.train.length + s.validation.length).toBe(40);
    for (const seed of [1, 2, 3, 4, 5]) expect(splitExamples(forty, seed, 0.05).validation.length).toBeGreaterThanOrEqual(1);
  });

  it('two items and a ratio near 1 keep one in each split; one item or ratio 0 stays train only', () => {
    const two = items.slice(0, 2).map((item) => ({ item }));
    for (const ratio of [0.001, 0.99]) {
      const s = splitExamples(two, 0, ratio);
      expect([s.train.length, s.validation.length]).toEqual([1, 1]);
    }
    expect(splitExamples(two.slice(0, 1), 0, 0.5).validation).toEqual([]);
    expect(splitExamples(two, 0, 0).validation).toEqual([]);
  });
});
