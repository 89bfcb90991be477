import { z } from 'zod';
import { type HistoryTurn, SIM_SFT_FORMATS, sftRow, simulatorMessages } from '../../carg/export.js';
import { isHeldOut } from '../../carg/split.js';
import { toJsonl, writeAtomic } from '../../export/write.js';
import { ToolTemplateSchema } from '../../schema/tool.js';
import { type CargSampleKind, listCargTools, listSamples } from '../../store/carg.js';
import { defineJob, parseConfig } from '../job.js';
import { CargStoreFields, HoldoutField } from './fields.js';
import { withCargStore } from './stage.js';

const KINDS = ['single', 'multi', 'error'] as const;

export const CargExportConfigSchema = z.object({
  ...CargStoreFields,
  out: z.string().min(1).meta({ placeholder: 'FILE', description: 'Output file' }),
  format: z.enum(SIM_SFT_FORMATS).default('openai').meta({ description: 'Row format' }),
  kinds: z
    .string()
    .default('single,multi,error')
    .refine((s) => s.split(',').every((k) => (KINDS as readonly string[]).includes(k.trim())), `expected a comma-separated list of ${KINDS.join(', ')}`)
    .meta({ placeholder: 'LIST', description: 'Sample kinds to export' }),
  ...HoldoutField,
});

export const CargExportSummarySchema = z.object({ out: z.string(), rows: z.number().int(), format: z.enum(SIM_SFT_FORMATS) });
export type CargExportSummary = z.output<typeof CargExportSummarySchema>;

/** `mtr carg export`: the accepted samples of the tools not held out as simulator SFT rows (system: tool, user: call, assistant: answer). */
export const cargExportJob = defineJob({
  name: 'carg export',
  description: 'Simulator SFT rows (system: the tool, user: the call, assistant: the response or error) as JSONL',
  examples: ['mtr carg export --db carg.sqlite --out data/simulator.jsonl --format sharegpt'],
  config: CargExportConfigSchema,
  summary: CargExportSummarySchema,
  async run(input): Promise<CargExportSummary> {
    const c = parseConfig(CargExportConfigSchema, input);
    const kinds = c.kinds.split(',').map((k) => k.trim()) as CargSampleKind[];
    return withCargStore(c.db, async (db) => {
      const tools = new Map(listCargTools(db, ['accepted']).filter((t) => !isHeldOut(t.name, c.holdout)).map((t) => [t.id, ToolTemplateSchema.parse(t.template)]));
      const rows = listSamples(db, { kinds, acceptedOnly: true }).flatMap((s) => {
        const tool = tools.get(s.tool_id);
        return tool ? [sftRow(simulatorMessages(tool, s.input, (s.history ?? []) as HistoryTurn[]), s.output, c.format)] : [];
      });
      writeAtomic(c.out, toJsonl(rows));
      return { out: c.out, rows: rows.length, format: c.format };
    });
  },
});
