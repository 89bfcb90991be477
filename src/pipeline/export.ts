import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { searchR1Prompt } from '../agent/search-r1-prompt.js';
import { DATA_SOURCE_NAMES } from '../data/index.js';
import { SPLIT_RULE, writeDataset } from '../export/dataset.js';
import { type GrpoExample, SEARCH_R1_DATA_SOURCES, searchR1GrpoRow, trlGrpoRow, verlRow } from '../export/grpo.js';
import { isSearchR1Trace, SFT_FORMATS, type SftExample, type SftFormat, searchR1SftRow } from '../export/sft.js';
import type { SplitName } from '../export/split.js';
import { configTools, MTR_TOOL_AGENT, toolSetKey, VERL_TOOL_AGENT, verlToolConfig, verlTools } from '../export/verl.js';
import { DIALECTS, type Dialect, SEARCH_R1_TOOL } from '../grammar/index.js';
import { loadPrompt } from '../prompts/index.js';
import { MtrError } from '../schema/errors.js';
import type { Provenance } from '../schema/run.js';
import { isPostgresUrl, storeName } from '../store/index.js';
import { CHECK_NAMES, checkConfigOf, solvedItemIds } from '../validate/index.js';
import { collectGrpo, collectSft, exportCauses, type SystemChoice } from './export-collect.js';
import { StoreFields } from './fields/store.js';
import { defineJob, type JobHooks, parseConfig } from './job.js';
import { openExistingStore, runsCoerce, selectRunRecords } from './runs.js';
import { CheckFields, formatCauses } from './validate.js';

export const EXPORT_FORMATS = { sft: ['trl', 'openai', 'sharegpt', 'jsonl'], grpo: ['verl', 'trl', 'jsonl'] } as const;

export const ExportConfigSchema = z.object({
  db: StoreFields.db,
  stage: z.enum(['sft', 'grpo']).meta({ description: 'sft: kept traces as conversations; grpo: prompts with tools and gold answers' }),
  format: z.enum(['trl', 'openai', 'sharegpt', 'verl', 'jsonl']).meta({
    description:
      'sft: trl (messages, object arguments, tools as JSON text) | openai (string arguments, tool_call_id) | sharegpt (LLaMA-Factory, dataset_info.json) | jsonl (prompt + completion); grpo: verl (parquet + tool config YAML) | trl (GRPOTrainer: prompt, answers, data_source, id) | jsonl (verl rows)',
  }),
  out: z.string().min(1).meta({
    placeholder: 'DIR',
    description:
      'directory for train/validation files, manifest.json (dataset_info.json for sharegpt, tool_config.yaml for verl); replaced whole, never mixed with an earlier export',
  }),
  overwrite: z.boolean().default(false).meta({ description: 'replace --out even when it holds files that are not an mtr export (no manifest.json)' }),
  dialect: z.enum(DIALECTS).optional().meta({
    description:
      "search-r1: Search-R1's prompt as the user turn and its <search>/<information> trace (sft), its nq_search.py rows (grpo); traces calling other tools are skipped (default: the dialect the runs were generated in)",
  }),
  dataSource: z
    .enum(DATA_SOURCE_NAMES as unknown as [string, ...string[]])
    .optional()
    .meta({ placeholder: 'NAME', description: 'data_source of every row (default: the canonical benchmark of each item, from its dataset name or layout)' }),
  valRatio: z
    .number()
    .refine((v) => v >= 0 && v < 1, { error: (issue) => `expected a number in [0, 1), got ${String(issue.input)}` })
    .default(0.05)
    .meta({
      placeholder: 'X',
      description: 'share of items (by id hash) in the validation split, at least one item when there are two or more; 0 = train only',
    }),
  seed: z.number().default(0).meta({ placeholder: 'N', description: 'seed of the split hash' }),
  dropThink: z.boolean().default(false).meta({ description: 'sft: leave <think> out of assistant content' }),
  system: z.enum(['native', 'text', 'none']).optional().meta({
    description:
      "system prompt: the agent's native prompt (tools only in the tools column / chat template), the text prompt listing the tools (then no tools column), or none (default: text for jsonl, native otherwise; verl refuses text)",
  }),
  toolsUrl: z
    .string()
    .default('http://127.0.0.1:8788')
    .meta({ placeholder: 'URL', description: 'verl: the `mtr serve tools` URL written into tool_config.yaml' }),
  toolsTimeout: z.number().min(1).default(60).meta({ placeholder: 'S', description: 'verl: seconds per tool call, written into tool_config.yaml' }),
  unsolvedBy: z
    .string()
    .min(1)
    .optional()
    .meta({ placeholder: 'FILE', description: 'grpo: leave out items any of whose rollouts in this mtr score output has em = 1' }),
  run: StoreFields.run,
  ...CheckFields,
});
export type ExportConfig = z.output<typeof ExportConfigSchema>;

export const ExportSummarySchema = z.object({
  stage: z.enum(['sft', 'grpo']),
  format: z.string(),
  dialect: z.enum(DIALECTS),
  /** the folder as given */
  out: z.string(),
  train: z.number().int(),
  validation: z.number().int(),
  /** the manifest's counts: what was read, left out and kept */
  counts: z.record(z.string(), z.number()),
  files: z.record(z.string(), z.object({ file: z.string(), rows: z.number().int() })),
});
export type ExportSummary = z.infer<typeof ExportSummarySchema>;

/** Where the tool list goes for each choice: once, in the prompt (`text`) or in the trainer's tools channel. */
function systemFor(o: { format: string; system: string | undefined; dialect: Dialect }): SystemChoice {
  if (o.dialect === 'search-r1') {
    if (o.system) throw new MtrError('E_USAGE', `--system: expected none with --dialect search-r1 (its instruction is the user turn), got "${o.system}"`);
    return 'none';
  }
  // verl's agent loops hand the tool schemas to the chat template: a prompt listing them too would list them twice
  if (o.format === 'verl' && o.system === 'text')
    throw new MtrError('E_USAGE', '--system: expected native or none with --format verl (its agent loop puts the tools into the chat template), got "text"');
  return (o.system ?? (o.format === 'jsonl' ? 'text' : 'native')) as SystemChoice;
}

function readSolved(file: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MtrError('E_INPUT', `${file}: expected a readable score file, got ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return solvedItemIds(text, file);
}

/** The dialect every selected run was generated in (`mtr generate --dialect`), else hermes. */
const runsDialect = (runs: readonly { config: unknown }[]): Dialect =>
  runs.length > 0 && runs.every((r) => (r.config as { dialect?: unknown }).dialect === 'search-r1') ? 'search-r1' : 'hermes';

export const exportJob = defineJob({
  name: 'export',
  description: "Export Stage-1 SFT data (valid, correct traces) or Stage-2 GRPO prompts in the trainers' formats, with a manifest",
  examples: [
    'mtr export --db runs/hotpot.sqlite --stage sft --format trl --out data/sft-trl',
    'mtr export --db runs/hotpot.sqlite --stage sft --format sharegpt --out data/sft-lf --val-ratio 0.1 --seed 1',
    'mtr export --db runs/hotpot.sqlite --stage grpo --format verl --out data/grpo --unsolved-by sft-rollouts.scores.jsonl',
    'mtr export --db runs/hotpot.sqlite --stage grpo --format trl --out data/grpo-trl',
    'mtr export --db runs/searchR1.sqlite --stage grpo --format verl --dialect search-r1 --out data/search-r1',
  ],
  config: ExportConfigSchema,
  summary: ExportSummarySchema,
  async run(input, hooks: JobHooks = {}) {
    const o = parseConfig(ExportConfigSchema, input);
    const stage = o.stage;
    if (!(EXPORT_FORMATS[stage] as readonly string[]).includes(o.format))
      throw new MtrError('E_USAGE', `--format: expected one of ${EXPORT_FORMATS[stage].join('|')} for --stage ${stage}, got "${o.format}"`, {
        field: 'format',
      });
    if (o.unsolvedBy && stage !== 'grpo') throw new MtrError('E_USAGE', '--unsolved-by: expected only with --stage grpo', { field: 'unsolvedBy' });
    const solved = o.unsolvedBy ? readSolved(o.unsolvedBy) : undefined;
    const store = await openExistingStore(o.db);
    try {
      const runs = await selectRunRecords(store, o.run);
      const runIds = runs.map((r) => r.id);
      const config = checkConfigOf({ ...o, coerce: o.coerce ?? runsCoerce(runs) });
      const dialect: Dialect = o.dialect ?? runsDialect(runs);
      const system = systemFor({ format: o.format, system: o.system, dialect });
      const searchR1 = dialect === 'search-r1';
      const sftOpts = { keepThink: !o.dropThink, toolsColumn: system !== 'text' };
      const unit = stage === 'sft' ? 'traces' : 'items';
      const notice = (line: string) => hooks.onNotice?.(line);
      // set while collecting (writeDataset calls `examples` once --out is known to be writable)
      let counts: Record<string, number> = {};
      let collectedHash: string | undefined;
      let reasons: Parameters<typeof exportCauses>[1] = [];
      let causes: ReturnType<typeof exportCauses> = [];
      let perItemTools = false;
      const provenance: { run: number; calls: Provenance[] }[] = [];
      const result = await writeDataset<SftExample | GrpoExample>({
        out: o.out,
        overwrite: o.overwrite,
        keep: isPostgresUrl(o.db) ? {} : { 'the store (--db)': o.db }, // a file the export must not overwrite
        stage,
        format: o.format,
        seed: o.seed,
        valRatio: o.valRatio,
        onNotice: notice,
        examples: async () => {
          const opts = { system, dataSource: o.dataSource };
          const collected =
            stage === 'sft' ? await collectSft(store, runIds, config, opts) : await collectGrpo(store, runIds, solved, { ...opts, needTools: !searchR1 });
          for (const id of runIds) provenance.push({ run: id, calls: await store.modelCalls.provenance(id) });
          let examples: (SftExample | GrpoExample)[] = collected.examples;
          counts = { ...collected.counts };
          if ('hash' in collected) ({ hash: collectedHash, reasons } = collected);
          if (searchR1 && stage === 'sft') {
            examples = (examples as SftExample[]).filter((e) => isSearchR1Trace(e.trace, SEARCH_R1_TOOL));
            counts.not_search_r1 = collected.examples.length - examples.length;
          }
          if (searchR1 && stage === 'grpo') {
            const bad = examples.find((e) => !(SEARCH_R1_DATA_SOURCES as readonly string[]).includes(e.dataSource));
            if (bad)
              throw new MtrError(
                'E_USAGE',
                `data_source: expected one Search-R1 scores (${SEARCH_R1_DATA_SOURCES.join(', ')}) for item ${bad.item.id}, got "${bad.dataSource}"; name it with --data-source`,
              );
          }
          return examples;
        },
        check(splits) {
          causes = exportCauses({ ...counts, duplicates: splits.duplicates }, reasons, config, o);
          const rowCount = splits.train.length + splits.validation.length;
          const total = counts[unit] ?? 0;
          if (rowCount === 0) {
            const why = total === 0 ? `runs ${runIds.join(', ')} hold no ${unit}; run mtr generate first` : `removed by: ${formatCauses(causes)}`;
            throw new MtrError('E_EMPTY', `nothing to export (E_EMPTY): 0 of ${total} ${unit} kept, ${o.out} left as it was; ${why}`);
          }
          if (rowCount < 0.1 * total) notice(`kept only ${rowCount} of ${total} ${unit}; removed by: ${formatCauses(causes)}`);
          if (stage === 'grpo') perItemTools = new Set((splits.train.concat(splits.validation) as GrpoExample[]).map((e) => toolSetKey(e.tools))).size > 1;
        },
        rows: (list, split) => rowsOf(list, split, { format: o.format, stage, searchR1: searchR1, sft: sftOpts, perItemTools }),
        parquet: o.format === 'verl',
        sharegpt: { system: system !== 'none' && !searchR1, tools: sftOpts.toolsColumn && !searchR1 },
        extraFiles(splits) {
          if (!(stage === 'grpo' && o.format === 'verl' && !searchR1)) return [];
          const listed = configTools(
            (splits.train.concat(splits.validation) as GrpoExample[]).map((e) => e.tools),
            perItemTools,
          );
          return [
            {
              name: 'tool_config',
              file: 'tool_config.yaml',
              data: verlToolConfig(verlTools(listed), { url: o.toolsUrl, timeout: o.toolsTimeout }),
              rows: listed.length,
            },
          ];
        },
        manifest({ splits, files, datasetNames }) {
          const all = [...splits.train, ...splits.validation];
          const grpo = stage === 'grpo' ? (all as GrpoExample[]) : [];
          const listed = configTools(
            grpo.map((e) => e.tools),
            perItemTools,
          );
          const prompt = searchR1 ? loadPrompt('search-r1') : system === 'none' ? undefined : loadPrompt(system === 'text' ? 'agent-text' : 'agent-native');
          const byDataSource: Record<string, number> = {};
          for (const e of all) byDataSource[e.dataSource] = (byDataSource[e.dataSource] ?? 0) + 1;
          return {
            dialect,
            source: { db: isPostgresUrl(o.db) ? storeName(o.db) : resolve(o.db), runs: runs.map((r) => ({ id: r.id, key: r.key, dataset: r.dataset })) },
            filters:
              stage === 'sft'
                ? {
                    rule: 'finished and every check passed (answer correct included)',
                    checks: CHECK_NAMES,
                    check_config: config,
                    config_hash: collectedHash,
                    ...(searchR1 ? { search_r1: `every call is ${SEARCH_R1_TOOL}` } : {}),
                  }
                : {
                    rule: searchR1 ? 'every item (Search-R1 needs no tools)' : 'items with tool schemas',
                    unsolved_by: o.unsolvedBy ?? null,
                    solved_when: o.unsolvedBy ? 'any rollout with em = 1' : null,
                  },
            split: { by: SPLIT_RULE.by, seed: o.seed, val_ratio: o.valRatio, at_least_one: SPLIT_RULE.at_least_one, dedup: SPLIT_RULE.dedup },
            think: stage === 'sft' ? (o.dropThink ? 'dropped' : 'kept in assistant content') : null,
            system_prompt: prompt ? { choice: searchR1 ? 'search-r1 (user turn)' : system, file: prompt.file, hash: prompt.hash } : { choice: 'none' },
            tools_listed_in: searchR1
              ? 'the Search-R1 instruction'
              : system === 'text'
                ? 'system prompt'
                : stage === 'grpo'
                  ? "the trainer's chat template (tool config / tools= callables)"
                  : 'tools column',
            data_source: byDataSource,
            ...(stage === 'grpo' && o.format === 'verl' && !searchR1
              ? {
                  verl: {
                    agent_name: perItemTools ? MTR_TOOL_AGENT : VERL_TOOL_AGENT,
                    // parquet structs span every key of every row; datasets >= 4.7 loads JSONL's differing keys as JSON
                    data_files: perItemTools ? 'jsonl: each row keeps exactly its own tools_kwargs (datasets >= 4.7)' : 'parquet',
                    tool_config: 'tool_config.yaml',
                    tools: [...new Set(grpo.flatMap((e) => e.tools.map((t) => t.tool.api_name)))],
                    tool_config_tools: listed.map((t) => t.tool.api_name),
                  },
                }
              : {}),
            ...(o.format === 'sharegpt'
              ? {
                  llamafactory: {
                    dataset_dir: resolve(o.out),
                    datasets: datasetNames,
                    templates: 'qwen (Qwen2.5), qwen3 / qwen3_nothink (Qwen3), llama3 (Llama 3.1)',
                  },
                }
              : {}),
            counts: { ...counts, duplicates: splits.duplicates, train: splits.train.length, validation: splits.validation.length },
            files,
            removed: causes,
            provenance,
          };
        },
      });
      return {
        stage,
        format: o.format,
        dialect,
        out: o.out,
        train: result.splits.train.length,
        validation: result.splits.validation.length,
        counts: result.manifest.counts as Record<string, number>,
        files: result.files,
      };
    } finally {
      await store.close();
    }
  },
});

/** One split's rows in the chosen stage, format and dialect. */
function rowsOf(
  list: readonly (SftExample | GrpoExample)[],
  split: SplitName,
  o: { format: string; stage: 'sft' | 'grpo'; searchR1: boolean; sft: { keepThink: boolean; toolsColumn: boolean }; perItemTools: boolean },
): Record<string, unknown>[] {
  if (o.stage === 'sft') {
    const format = o.format as SftFormat;
    return (list as SftExample[]).map((e) => (o.searchR1 ? searchR1SftRow(e, searchR1Prompt(e.item.question), format, o.sft) : SFT_FORMATS[format](e, o.sft)));
  }
  const grpo = list as GrpoExample[];
  if (o.searchR1)
    return grpo.map((e, i) => {
      const prefix = searchR1Prompt(e.item.question);
      return o.format === 'trl' ? trlGrpoRow(e, [{ role: 'user', content: prefix }]) : searchR1GrpoRow(e, prefix, split, i);
    });
  if (o.format === 'trl') return grpo.map((e) => trlGrpoRow(e));
  return grpo.map((e, i) => verlRow(e, split, i, { perItemTools: o.perItemTools }));
}
