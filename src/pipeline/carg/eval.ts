import { z } from 'zod';
import { EVAL_METRICS, evalTable, evalTool } from '../../carg/eval.js';
import { defineJob, type JobHooks, parseConfig } from '../job.js';
import { cargModels, HoldoutField, StageFields } from './fields.js';
import { runCargStage, type StageProgress, StageSummarySchema, withCargStore } from './stage.js';

/** The table as text (GTM Table 1 layout), for faces. */
export { renderEvalTable } from '../../carg/eval.js';

export const CargEvalConfigSchema = z.object({
  ...StageFields,
  perTool: z.number().int().min(1).default(5).meta({ placeholder: 'N', description: 'Most cases per tool and scenario' }),
  ...HoldoutField,
});

const EvalRowSchema = z.object({ scenario: z.string(), cases: z.number().int(), scores: z.record(z.enum(EVAL_METRICS), z.number().nullable()) });
export const CargEvalSummarySchema = StageSummarySchema.extend({
  /** the simulator evaluated */
  model: z.string(),
  /** GTM Table 1: one row per scenario, then All; scores in [0, 1], null where nothing was scored */
  table: z.array(EvalRowSchema),
});
export type CargEvalSummary = z.output<typeof CargEvalSummarySchema>;

/** `mtr carg eval`: the simulator (--model) on the held-out tools' stored samples, Format/Comp by code, the rest judged. */
export const cargEvalJob = defineJob({
  name: 'carg eval',
  description: 'Evaluate a simulator model on held-out tools: Format and Comp by code, Logic, Sem, Cons, Det, Help by a judge; GTM Table 1 layout',
  examples: [
    'mtr carg eval --db carg.sqlite --base-url http://localhost:8001/v1 --model gtm-1.5b --judge-base-url http://localhost:8000/v1 --judge-model Qwen/Qwen2.5-72B-Instruct',
  ],
  config: CargEvalConfigSchema,
  summary: CargEvalSummarySchema,
  async run(input, hooks: JobHooks<StageProgress> = {}) {
    const c = parseConfig(CargEvalConfigSchema, input);
    return withCargStore(c.db, { create: false }, async ({ carg }) => {
      const models = await cargModels(c, ['actor', 'judge']);
      try {
        const simulator = models.roles.actor;
        const model = simulator.model.model;
        const job = c.job ?? `eval:${model}`;
        const opts = { simulator, judge: models.roles.judge, perTool: c.perTool };
        const s = await runCargStage(
          carg,
          {
            stage: 'eval',
            job,
            split: 'eval',
            holdout: c.holdout,
            concurrency: c.concurrency,
            limit: c.limit,
            signal: hooks.signal,
            onProgress: hooks.onProgress,
          },
          (tool, row) => evalTool(carg, job, row.id, tool, opts),
        );
        return { ...s, model, table: evalTable(await carg.listEvalCases(job)) };
      } finally {
        await models.close();
      }
    });
  },
});
