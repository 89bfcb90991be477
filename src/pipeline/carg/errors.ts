import { z } from 'zod';
import { errorDataForTool } from '../../carg/error-data.js';
import { defineJob, type JobHooks, parseConfig } from '../job.js';
import { cargModels, StageFields } from './fields.js';
import { CargGenerationSummarySchema } from './single.js';
import { runCargStage, sampleCounts, type StageProgress, withCargStore } from './stage.js';

export const CargErrorsConfigSchema = z.object({
  ...StageFields,
  bases: z.number().int().min(1).default(1).meta({ placeholder: 'N', description: 'Valid inputs per tool to derive errors from' }),
});

/** `mtr carg errors`: per accepted tool, the three mutation kinds by code and (with a model) an invalid value, judged. */
export const cargErrorsJob = defineJob({
  name: 'carg errors',
  description:
    'Error samples per tool: type error, missing required, excess parameter (mutations checked by ajv), invalid value (model); message quality judged',
  examples: ['mtr carg errors --db carg.sqlite --base-url http://localhost:8000/v1'],
  config: CargErrorsConfigSchema,
  summary: CargGenerationSummarySchema,
  async run(input, hooks: JobHooks<StageProgress> = {}) {
    const c = parseConfig(CargErrorsConfigSchema, input);
    return withCargStore(c.db, { create: false }, async ({ carg }) => {
      // without a model (no --base-url, --model or --model-file): only the deterministic kinds
      const models = c.baseUrl || c.modelFile || c.model ? await cargModels(c, ['maker', 'judge']) : undefined;
      try {
        const opts = { bases: c.bases, ...(models ? { generator: models.roles.maker, judge: models.roles.judge } : {}) };
        const job = c.job ?? 'errors';
        const s = await runCargStage(
          carg,
          { stage: 'errors', job, split: 'all', holdout: 0, concurrency: c.concurrency, limit: c.limit, signal: hooks.signal, onProgress: hooks.onProgress },
          (tool, row) => errorDataForTool(carg, job, row.id, tool, opts),
        );
        return { ...s, ...(await sampleCounts(carg, 'error')) };
      } finally {
        await models?.close();
      }
    });
  },
});
