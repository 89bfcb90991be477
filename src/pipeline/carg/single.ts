import { z } from 'zod';
import { singleTurnForTool } from '../../carg/single.js';
import { defineJob, type JobHooks, parseConfig } from '../job.js';
import { cargModels, StageFields } from './fields.js';
import { runCargStage, sampleCounts, SampleCountsSchema, type StageProgress, StageSummarySchema, withCargStore } from './stage.js';

export const CargSingleConfigSchema = z.object({
  ...StageFields,
  count: z.number().int().min(1).default(5).meta({ placeholder: 'N', description: 'Samples asked for per tool and round' }),
  minPassRate: z
    .number()
    .min(0)
    .max(1)
    .default(0.6)
    .meta({ placeholder: 'R', description: 'Below this share of accepted samples a tool gets a refined round' }),
  maxRefines: z.number().int().min(0).default(2).meta({ placeholder: 'N', description: 'Refined rounds at most per tool' }),
});

export const CargGenerationSummarySchema = StageSummarySchema.extend(SampleCountsSchema.shape);
export type CargGenerationSummary = z.output<typeof CargGenerationSummarySchema>;

/** `mtr carg single`: per accepted tool, (input, output) pairs checked by V_format, V_logic and V_sem; resumable per tool. */
export const cargSingleJob = defineJob({
  name: 'carg single',
  description: 'Single-turn (input, output) pairs per tool, checked by V_format (ajv), V_logic and V_sem (judge); low pass rates retried with a refined prompt',
  examples: ['mtr carg single --db carg.sqlite --base-url http://localhost:8000/v1 --model Qwen/Qwen2.5-72B-Instruct --limit 100'],
  config: CargSingleConfigSchema,
  summary: CargGenerationSummarySchema,
  async run(input, hooks: JobHooks<StageProgress> = {}) {
    const c = parseConfig(CargSingleConfigSchema, input);
    return withCargStore(c.db, { create: false }, async ({ carg }) => {
      const models = await cargModels(c, ['maker', 'judge']);
      try {
        const opts = { generator: models.roles.maker, judge: models.roles.judge, count: c.count, minPassRate: c.minPassRate, maxRefines: c.maxRefines };
        const job = c.job ?? 'single';
        const s = await runCargStage(
          carg,
          { stage: 'single', job, split: 'all', holdout: 0, concurrency: c.concurrency, limit: c.limit, signal: hooks.signal, onProgress: hooks.onProgress },
          (tool, row) => singleTurnForTool(carg, job, row.id, tool, opts),
        );
        return { ...s, ...(await sampleCounts(carg, 'single')) };
      } finally {
        await models.close();
      }
    });
  },
});
