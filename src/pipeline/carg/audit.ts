import { z } from 'zod';
import { auditTool } from '../../carg/audit.js';
import { writeAtomic } from '../../export/write.js';
import { MtrError } from '../../schema/errors.js';
import { defineJob, type JobHooks, parseConfig } from '../job.js';
import { cargModels, StageFields } from './fields.js';
import { runCargStage, type StageProgress, StageSummarySchema, withCargStore } from './stage.js';

export const CargAuditConfigSchema = z.object({
  ...StageFields,
  minReliability: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .meta({ placeholder: 'R', description: 'Write the tools whose reliability is at least R to --out (a unified-template JSON array, importable again)' }),
  out: z.string().min(1).optional().meta({ placeholder: 'FILE', description: 'Output file' }),
});

export const CargAuditSummarySchema = StageSummarySchema.extend({
  /** mean reliability over the audited tools */
  mean_reliability: z.number(),
  /** tools at or above --min-reliability (every audited tool without it) */
  kept: z.number().int(),
  /** reliability (correct / total) of each audited tool, by name, in repository order */
  reliability: z.record(z.string(), z.number()),
});
export type CargAuditSummary = z.output<typeof CargAuditSummarySchema>;

/** `mtr carg audit`: labelled calls through ToolActor's observe() with the model under audit; reliability per tool. */
export const cargAuditJob = defineJob({
  name: 'carg audit',
  description:
    'Per-tool reliability audit of a simulator: labelled calls (schema violation, semantic violation, happy path, happy path pinned by a world state) through ToolActor, verdicts by code',
  examples: ['mtr carg audit --db carg.sqlite --base-url http://localhost:8001/v1 --model gtm-1.5b --min-reliability 0.8 --out reliable-tools.json'],
  config: CargAuditConfigSchema,
  summary: CargAuditSummarySchema,
  async run(input, hooks: JobHooks<StageProgress> = {}) {
    const c = parseConfig(CargAuditConfigSchema, input);
    if (c.minReliability !== undefined && !c.out) throw new MtrError('E_USAGE', '--min-reliability needs --out FILE for the reliable tools');
    return withCargStore(c.db, { create: false }, async ({ carg }) => {
      // the judge also writes the semantic violations and world states
      const models = await cargModels(c, ['actor', 'judge']);
      try {
        const actor = models.roles.actor;
        const job = c.job ?? `audit:${actor.model.model}`;
        const s = await runCargStage(
          carg,
          { stage: 'audit', job, split: 'all', holdout: 0, concurrency: c.concurrency, limit: c.limit, signal: hooks.signal, onProgress: hooks.onProgress },
          (tool, row) => auditTool(carg, job, row.id, tool, { actor, generator: models.roles.judge }),
        );
        const stats = await carg.jobStats(job);
        const rows = (await carg.listTools(['accepted']))
          .filter((t) => stats.has(t.id))
          .map((t) => ({ name: t.name, template: t.template, reliability: Number(stats.get(t.id)!.reliability) }));
        const kept = c.minReliability === undefined ? rows : rows.filter((r) => r.reliability >= c.minReliability!);
        if (c.minReliability !== undefined)
          writeAtomic(
            c.out!,
            `${JSON.stringify(
              kept.map((r) => r.template),
              null,
              2,
            )}\n`,
          );
        const mean = rows.length ? rows.reduce((a, r) => a + r.reliability, 0) / rows.length : 0;
        return { ...s, mean_reliability: mean, kept: kept.length, reliability: Object.fromEntries(rows.map((r) => [r.name, r.reliability])) };
      } finally {
        await models.close();
      }
    });
  },
});
