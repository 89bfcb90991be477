import { existsSync } from 'node:fs';
import { commaList } from '../text/list.js';
import { z } from 'zod';
import { MtrError } from '../schema/errors.js';
import { buildIndex } from '../tools/bm25.js';
import { CORPUS_LAYOUTS, type CorpusPassage, readCorpus } from '../tools/corpus.js';
import { defineJob, type JobHooks, parseConfig } from './job.js';

export const IndexConfigSchema = z.object({
  corpus: z
    .string()
    .min(1)
    .meta({ placeholder: 'FILE[,FILE…]', description: `Corpus file(s), comma-separated, in any of: ${CORPUS_LAYOUTS.join('; ')}` }),
  out: z.string().min(1).meta({ placeholder: 'FILE', description: 'Index file to write (SQLite FTS5, BM25); replaced when the build succeeds' }),
});

export const IndexSummarySchema = z.object({ out: z.string(), passages: z.number().int(), files: z.number().int(), elapsed_s: z.number() });
export type IndexSummary = z.output<typeof IndexSummarySchema>;

/** Progress of a build: passages indexed so far and the seconds since it started. */
export interface IndexProgress {
  passages: number;
  elapsedS: number;
}

/** Passages of several files as one stream; ids are prefixed by file number when there is more than one. */
async function* passagesOf(files: string[]): AsyncGenerator<CorpusPassage> {
  for (const [i, file] of files.entries()) {
    for await (const p of readCorpus(file)) yield files.length > 1 ? { ...p, id: `${i}:${p.id}` } : p;
  }
}

/** Builds a BM25 index (SQLite FTS5) from one or more corpus files: the real wiki_search backend. */
export const indexJob = defineJob({
  name: 'index',
  description: 'Build a BM25 index (SQLite FTS5) from a passage corpus, for the real wiki_search tool (mtr generate --index FILE).',
  examples: [
    'mtr index --corpus ../shared/datasets/corpus/wiki18_sample_1000.jsonl --out corpus.sqlite',
    'mtr index --corpus a.jsonl,b.json --out runs/corpus.sqlite --json',
  ],
  config: IndexConfigSchema,
  summary: IndexSummarySchema,
  async run(input, hooks: JobHooks<IndexProgress> = {}) {
    const c = parseConfig(IndexConfigSchema, input);
    const files = commaList(c.corpus);
    for (const f of files) if (!existsSync(f)) throw new MtrError('E_USAGE', `--corpus: expected an existing file, got "${f}"`, { field: 'corpus' });
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    const onProgress = hooks.onProgress;
    const { passages } = await buildIndex(c.out, passagesOf(files), {
      sources: files,
      ...(onProgress ? { onProgress: (n: number) => onProgress({ passages: n, elapsedS: elapsed() }) } : {}),
    });
    return { out: c.out, passages, files: files.length, elapsed_s: Math.round(elapsed() * 100) / 100 };
  },
});
