import { resolve } from 'node:path';
import { z } from 'zod';
import { type HistoryTurn, SIM_SFT_FORMATS, type SimSftFormat, sftRow, simulatorMessages } from '../../carg/export.js';
import { isHeldOut } from '../../carg/split.js';
import { SPLIT_RULE, writeDataset } from '../../export/dataset.js';
import { ToolTemplateSchema } from '../../schema/tool.js';
import { MtrError } from '../../schema/errors.js';
import type { CargSampleKind } from '../../schema/carg.js';
import { ExportConfigSchema } from '../export.js';
import { defineJob, type JobHooks, parseConfig } from '../job.js';
import { CargStoreFields, HoldoutField } from './fields.js';
import { withCargStore } from './stage.js';

const KINDS = ['single', 'multi', 'error'] as const;
const { overwrite, valRatio, seed } = ExportConfigSchema.shape; // the split and the folder, as `mtr export` declares them

export const CargExportConfigSchema = z.object({
  ...CargStoreFields,
  out: z.string().min(1).meta({
    placeholder: 'DIR',
    description: 'directory for train/validation files and manifest.json (dataset_info.json for sharegpt); replaced whole, never mixed with an earlier export',
  }),
  overwrite,
  format: z.enum(SIM_SFT_FORMATS).default('openai').meta({ description: 'Row format' }),
  kinds: z
    .string()
    .default('single,multi,error')
    .refine((s) => s.split(',').every((k) => (KINDS as readonly string[]).includes(k.trim())), `expected a comma-separated list of ${KINDS.join(', ')}`)
    .meta({ placeholder: 'LIST', description: 'Sample kinds to export' }),
  ...HoldoutField,
  valRatio: valRatio.meta({
    placeholder: 'X',
    description: "share of tools (by name hash) whose samples go to the validation split (a tool's samples stay in one split); 0 = train only",
  }),
  seed,
});

export const CargExportSummarySchema = z.object({
  /** the folder as given */
  out: z.string(),
  /** rows written, both splits */
  rows: z.number().int(),
  format: z.enum(SIM_SFT_FORMATS),
  train: z.number().int(),
  validation: z.number().int(),
  /** rows per sample kind and split */
  by_kind: z.record(z.string(), z.object({ train: z.number().int(), validation: z.number().int() })),
  files: z.record(z.string(), z.object({ file: z.string(), rows: z.number().int() })),
});
export type CargExportSummary = z.output<typeof CargExportSummarySchema>;

interface SimExample {
  /** id: the tool's name (its samples share a split); question: the sample (no two are merged) */
  item: { id: string; question: string };
  kind: CargSampleKind;
  row: Record<string, unknown>;
}

/**
 * `mtr carg export`: the accepted samples of the tools not held out, as simulator SFT rows (system: the tool,
 * user: the call, assistant: the answer), through the one dataset folder writer `mtr export` uses: a
 * train/validation split by tool, a manifest with counts by kind, the folder replaced in one swap.
 */
export const cargExportJob = defineJob({
  name: 'carg export',
  description:
    'Simulator SFT rows (system: the tool, user: the call, assistant: the response or error) as a dataset folder: train/validation JSONL and a manifest',
  examples: [
    'mtr carg export --db carg.sqlite --out data/simulator --format sharegpt',
    'mtr carg export --db carg.sqlite --out data/simulator-single --kinds single --val-ratio 0',
  ],
  config: CargExportConfigSchema,
  summary: CargExportSummarySchema,
  async run(input, hooks: JobHooks = {}): Promise<CargExportSummary> {
    const c = parseConfig(CargExportConfigSchema, input);
    const kinds = c.kinds.split(',').map((k) => k.trim()) as CargSampleKind[];
    const format: SimSftFormat = c.format;
    return withCargStore(c.db, { create: false }, async ({ carg }) => {
      let heldOut = 0;
      let acceptedSamples = 0;
      const examples = async (): Promise<SimExample[]> => {
        const accepted = await carg.listTools(['accepted']);
        const tools = new Map(
          accepted.filter((t) => !isHeldOut(t.name, c.holdout)).map((t) => [t.id, { name: t.name, tool: ToolTemplateSchema.parse(t.template) }]),
        );
        heldOut = accepted.length - tools.size;
        const samples = await carg.listSamples({ kinds, acceptedOnly: true });
        acceptedSamples = samples.length;
        return samples.flatMap((s) => {
          const t = tools.get(s.tool_id);
          return t
            ? [
                {
                  item: { id: t.name, question: `sample ${s.id}` },
                  kind: s.kind,
                  row: sftRow(simulatorMessages(t.tool, s.input, (s.history ?? []) as HistoryTurn[]), s.output, format),
                },
              ]
            : [];
        });
      };
      const r = await writeDataset<SimExample>({
        out: c.out,
        overwrite: c.overwrite,
        keep: { 'the store (--db)': c.db },
        stage: 'simulator',
        format,
        seed: c.seed,
        valRatio: c.valRatio,
        examples,
        kindOf: (e) => e.kind,
        async check(splits) {
          if (splits.train.length + splits.validation.length > 0) return;
          const all = await carg.countSamples({ kinds });
          const why =
            all === 0
              ? `the store holds no ${kinds.join('/')} samples; make them first (mtr carg single | multi | errors --db ${c.db})`
              : acceptedSamples === 0
                ? `none of its ${all} ${kinds.join('/')} samples was accepted by the checks (mtr carg single --json shows why)`
                : `its ${acceptedSamples} accepted samples all belong to held-out tools (--holdout ${c.holdout}, ${heldOut} tools held out)`;
          throw new MtrError('E_EMPTY', `nothing to export (E_EMPTY): 0 rows, ${c.out} left as it was; ${why}`);
        },
        rows: (list) => list.map((e) => e.row),
        sharegpt: { system: true, tools: false },
        onNotice: (line) => hooks.onNotice?.(line),
        manifest: ({ splits, files, byKind }) => ({
          source: { db: resolve(c.db), kinds, accepted_only: true },
          holdout: { fraction: c.holdout, by: 'sha256 of the tool name', tools_left_out: heldOut },
          split: { by: 'sha256(seed, tool name)', seed: c.seed, val_ratio: c.valRatio, at_least_one: SPLIT_RULE.at_least_one },
          counts: { train: splits.train.length, validation: splits.validation.length, by_kind: byKind },
          files,
        }),
      });
      const train = r.splits.train.length;
      const validation = r.splits.validation.length;
      return { out: c.out, rows: train + validation, format, train, validation, by_kind: r.byKind, files: r.files };
    });
  },
});
