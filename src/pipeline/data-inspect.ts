import { z } from 'zod';
import { DatasetLimitsSchema, KNOWN_DATASETS, loadDataset, resolveDataset } from '../data/index.js';
import { type DatasetItem, DatasetItemSchema } from '../schema/item.js';
import { defineJob, type JobHooks, parseConfig } from './job.js';

const limits = DatasetLimitsSchema.shape;

/** Items shown as mtr will use them. */
export const INSPECT_SAMPLES = 3;

export const DataInspectConfigSchema = z.object({
  dataset: z
    .string()
    .min(1)
    .meta({
      positional: true,
      placeholder: 'FILE|NAME',
      description: `A dataset file in any supported layout, or a registry name (${KNOWN_DATASETS.join(', ')}; downloaded once and cached)`,
    }),
  split: z.string().min(1).optional().meta({ placeholder: 'SPLIT', description: 'Split of a registry dataset (default: its evaluation split)' }),
  maxQuestionChars: limits.maxQuestionChars.meta({
    placeholder: 'N',
    description: 'Longest question accepted, in characters; a longer one is listed as a problem (as generate would refuse it)',
  }),
  maxRecordBytes: limits.maxRecordBytes.meta({
    placeholder: 'N',
    description: 'Largest record accepted, in bytes; a larger one is listed as a problem (as generate would refuse it)',
  }),
});

/** `mtr data inspect --json`: scripts rely on these keys; add, never rename. */
export const DataInspectSummarySchema = z.object({
  /** the file read (for a registry name: its cached copy) */
  file: z.string(),
  /** the dataset name stamped on the items */
  dataset: z.string(),
  /** the layout detected from the first readable record */
  layout: z.string(),
  /** records read as items */
  items: z.number().int(),
  /** items with more than one gold answer (aliases) */
  with_aliases: z.number().int(),
  /** items carrying passages */
  with_context: z.number().int(),
  /** items with at least one passage marked as supporting evidence */
  with_supporting: z.number().int(),
  /** items with a gold decomposition into hops */
  with_decomposition: z.number().int(),
  /** the first items, as mtr will use them */
  samples: z.array(DatasetItemSchema),
  /** records that could not be read as items, in file order: where (file:line or file: record N) and why */
  problems: z.array(z.object({ where: z.string(), reason: z.string() })),
});
export type DataInspectSummary = z.infer<typeof DataInspectSummarySchema>;

export const hasSupporting = (item: DatasetItem): boolean => item.context?.some((p) => p.supporting === true) ?? false;

export const dataInspectJob = defineJob({
  name: 'data inspect',
  description:
    'Show what mtr reads from a dataset file or registry name, read as every command reads it. The layout detected; the items, and how many carry aliases (more than one gold answer), context, supporting facts and a decomposition; the first items as mtr will use them; every record that could not be read, by line (listed, not fatal).',
  examples: ['mtr data inspect ../shared/datasets/musique/musique_train_100_with_paragraphs.json', 'mtr data inspect bamboogle --json | jq .with_aliases'],
  config: DataInspectConfigSchema,
  summary: DataInspectSummarySchema,
  async run(input, _hooks?: JobHooks) {
    const o = parseConfig(DataInspectConfigSchema, input);
    const resolved = await resolveDataset(o.dataset, o.split ? { split: o.split } : {});
    // skipBad: a bad record is listed, not fatal (a file with no readable record at all is still an error)
    const { items, skipped, layout } = await loadDataset(resolved.path, {
      dataset: resolved.name,
      maxQuestionChars: o.maxQuestionChars,
      maxRecordBytes: o.maxRecordBytes,
      skipBad: true,
    });
    return {
      file: resolved.path,
      dataset: resolved.name,
      layout: layout ?? 'none',
      items: items.length,
      with_aliases: items.filter((i) => i.answers.length > 1).length,
      with_context: items.filter((i) => (i.context?.length ?? 0) > 0).length,
      with_supporting: items.filter(hasSupporting).length,
      with_decomposition: items.filter((i) => (i.decomposition?.length ?? 0) > 0).length,
      samples: items.slice(0, INSPECT_SAMPLES),
      problems: skipped.map((s) => ({ where: s.where, reason: s.reason })),
    };
  },
});
