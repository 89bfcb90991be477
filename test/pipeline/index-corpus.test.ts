import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type IndexProgress, indexJob } from '../../src/pipeline/index-corpus.js';
import { Bm25Index } from '../../src/tools/bm25.js';
import { SHARED_DATASETS } from '../support/paths.js';

describe('index job (called as a library)', () => {
  it('builds the index, reports progress through the hooks and returns its summary', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mtr-index-job-')), 'i.sqlite');
    const progress: IndexProgress[] = [];
    const s = await indexJob.run({ corpus: join(SHARED_DATASETS, 'corpus', 'wiki18_sample_1000.jsonl'), out }, { onProgress: (p) => progress.push(p) });
    expect(indexJob.summary.parse(s)).toEqual(s);
    expect(s).toMatchObject({ out, passages: 1000, files: 1 });
    expect(progress.at(-1)).toMatchObject({ passages: 1000 });
    const index = new Bm25Index(out);
    expect(index.search('Demon Dice', 1)).toHaveLength(1);
    index.close();
  });

  it('refuses a missing file or an empty --corpus, naming the flag', async () => {
    await expect(indexJob.run({ corpus: 'nope.jsonl', out: 'x.sqlite' })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: '--corpus: expected an existing file, got "nope.jsonl"',
    });
    await expect(indexJob.run({ corpus: '', out: 'x.sqlite' })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/^--corpus: /) });
  });
});
