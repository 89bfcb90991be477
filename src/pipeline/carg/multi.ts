import { z } from 'zod';
import { groupsOfRepository, multiTurnForTool } from '../../carg/multi.js';
import { defineJob, type JobHooks, parseConfig } from '../job.js';
import { cargModels, StageFields } from './fields.js';
import { CargGenerationSummarySchema } from './single.js';
import { runCargStage, sampleCounts, type StageProgress, withCargStore } from './stage.js';

export const CargMultiConfigSchema = z.object({
  ...StageFields,
  turns: z.number().int().min(2).default(3).meta({ placeholder: 'L', description: 'Calls per dialogue' }),
  tau: z.number().min(0).max(1).default(0.2).meta({ placeholder: 'COS', description: 'Least cosine (name + description + field) between the APIs of a group' }),
  groupSize: z.number().int().min(1).default(3).meta({ placeholder: 'N', description: 'Most APIs per group' }),
});

/** `mtr carg multi`: per accepted tool, an L-turn dialogue over a group of similar APIs ending at the tool. */
export const cargMultiJob = defineJob({
  name: 'carg multi',
  description:
    'Multi-turn dialogues per tool: a group of similar APIs (cosine > τ), L calls with accumulated context ending at the tool; turn checks plus coherence with the history',
  examples: ['mtr carg multi --db carg.sqlite --base-url http://localhost:8000/v1 --turns 3'],
  config: CargMultiConfigSchema,
  summary: CargGenerationSummarySchema,
  async run(input, hooks: JobHooks<StageProgress> = {}) {
    const c = parseConfig(CargMultiConfigSchema, input);
    return withCargStore(c.db, { create: false }, async ({ carg }) => {
      const models = await cargModels(c, ['maker', 'judge']);
      try {
        const { byName, groupOf } = await groupsOfRepository(carg, c.tau, c.groupSize);
        const opts = { generator: models.roles.maker, judge: models.roles.judge, turns: c.turns };
        const job = c.job ?? 'multi';
        const s = await runCargStage(
          carg,
          { stage: 'multi', job, split: 'all', holdout: 0, concurrency: c.concurrency, limit: c.limit, signal: hooks.signal, onProgress: hooks.onProgress },
          (_tool, row) => multiTurnForTool(carg, job, row.id, groupOf(row.name), byName, opts),
        );
        return { ...s, ...(await sampleCounts(carg, 'multi')) };
      } finally {
        await models.close();
      }
    });
  },
});
