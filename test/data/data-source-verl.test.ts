import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalDataSource } from '../../src/data/data-source.js';
import { loadItems } from '../../src/data/load.js';

describe('data_source of verl rows', () => {
  it('a verl file with a neutral name takes the data_source its rows carry, when the scorer knows it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtr-ds-'));
    const file = join(dir, 'train.jsonl');
    const row = (data_source: string, index: number) => ({
      data_source,
      prompt: [{ role: 'user', content: 'Question: q?' }],
      reward_model: { ground_truth: 'a' },
      extra_info: { index },
    });
    writeFileSync(file, [row('MuSiQue', 0), row('my_mix', 1)].map((r) => JSON.stringify(r)).join('\n'));
    const items = await loadItems(file);
    expect(items.map((i) => i.dataset)).toEqual(['train', 'train']);
    expect(items.map((i) => canonicalDataSource(i))).toEqual(['musique', undefined]);
    // A name the file or the user gives still comes first.
    expect(canonicalDataSource({ ...items[0]!, dataset: 'hotpot_dev' })).toBe('hotpotqa');
  });
});
