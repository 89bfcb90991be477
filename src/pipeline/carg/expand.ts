import { z } from 'zod';
import { expandTaxonomy } from '../../carg/taxonomy.js';
import { defineJob, type JobHooks, parseConfig } from '../job.js';
import { CargModelFields, cargModels, CargStoreFields, EmbedFields, embedderOf } from './fields.js';
import { type StageProgress, withCargStore } from './stage.js';

export const CargExpandConfigSchema = z.object({
  ...CargStoreFields,
  seedFields: z
    .string()
    .min(1)
    .optional()
    .meta({ placeholder: 'FILE', description: 'Field taxonomy to start from (Seal-Tools field.jsonl layout: {"Field": ["subfield", …]} per line)' }),
  fieldRounds: z
    .number()
    .int()
    .min(0)
    .default(1)
    .meta({ placeholder: 'N', description: 'Rounds of new-field proposals, each from a random pair of existing fields' }),
  fieldsPerRound: z.number().int().min(1).default(5).meta({ placeholder: 'N', description: 'New fields asked for per round' }),
  subfields: z.number().int().min(1).default(5).meta({ placeholder: 'N', description: 'Subfields asked for each field that has none' }),
  toolsPer: z.number().int().min(1).default(3).meta({ placeholder: 'N', description: 'Tools asked for per (field, subfield)' }),
  pairs: z.number().int().min(0).default(10).meta({ placeholder: 'N', description: 'Most (field, subfield) pairs to generate tools for in this run' }),
  seed: z.number().int().min(0).default(0).meta({ placeholder: 'N', description: 'Seed of the exemplar-pair draws' }),
  ...EmbedFields,
  ...CargModelFields,
});

export const CargExpandSummarySchema = z.object({
  new_fields: z.number().int(),
  new_subfields: z.number().int(),
  /** (field, subfield) pairs whose tools were generated in this run */
  pairs: z.number().int(),
  imported: z.number().int(),
  rejected: z.number().int(),
  duplicates: z.number().int(),
  by_reason: z.record(z.string(), z.number().int()),
});
export type CargExpandSummary = z.output<typeof CargExpandSummarySchema>;

/** `mtr carg tools expand`: the taxonomy grown by the model, then tools per (field, subfield); each step stored as it finishes. */
export const cargExpandJob = defineJob({
  name: 'carg tools expand',
  description:
    'Grow the field taxonomy with the model (new fields from random exemplar pairs, subfields), then generate tools per (field, subfield), checked and deduplicated like an import',
  examples: [
    'mtr carg tools expand --seed-fields ../shared/datasets/tools/seal-tools/field.jsonl --field-rounds 3 --pairs 20 --db carg.sqlite --base-url http://localhost:8000/v1',
  ],
  config: CargExpandConfigSchema,
  summary: CargExpandSummarySchema,
  async run(input, hooks: JobHooks<StageProgress> = {}): Promise<CargExpandSummary> {
    const c = parseConfig(CargExpandConfigSchema, input);
    return withCargStore(c.db, { create: true }, async ({ carg }) => {
      const models = await cargModels(c, ['maker']);
      try {
        const embedder = embedderOf(c);
        return await expandTaxonomy(carg, {
          model: models.roles.maker,
          ...(c.seedFields ? { seedFile: c.seedFields } : {}),
          fieldRounds: c.fieldRounds,
          fieldsPerRound: c.fieldsPerRound,
          subfields: c.subfields,
          toolsPer: c.toolsPer,
          pairLimit: c.pairs,
          seed: c.seed,
          threshold: c.threshold,
          ...(embedder ? { embedder } : {}),
          ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
          ...(hooks.signal ? { signal: hooks.signal } : {}),
        });
      } finally {
        await models.close();
      }
    });
  },
});
