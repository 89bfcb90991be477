import { sha256Hex } from '../text/hash.js';
import { resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { commaList } from '../text/list.js';
import { GroundingConfigSchema } from '../actor/grounding.js';
import { parseToolRouting, resolveRouting, ToolRouteSchema } from '../actor/routing.js';
import { KNOWN_DATASETS } from '../data/registry.js';
import { DatasetLimitsSchema } from '../data/limits.js';
import { DEFAULT_DIALECT, DIALECTS } from '../grammar/tags.js';
import { type ModelConfig, ModelConfigSchema, ModelOverridesSchema } from '../llm/config.js';
import { MtrError } from '../schema/errors.js';
import { parseConfig } from './job.js';
import type { Role } from '../schema/model-call.js';
import { UTILITY_TOOL_NAMES, UTILITY_TOOLS } from '../tools/utility.js';
import { ActorFields } from './fields/actor.js';
import { ModelFields, modelConfigOf, roleModelFields } from './fields/model.js';
import { storeDbField } from './fields/store.js';
import { toolsFromBesideToolsetField, toolsFromField } from './fields/tools-from.js';
import { toolsetField } from './fields/toolset.js';

export const GENERATE_ROLES = ['maker', 'agent', 'actor'] as const satisfies readonly Role[];

const limits = DatasetLimitsSchema.shape;

/**
 * `mtr generate`'s config as its flags: one flat object, each field's default, range and description declared
 * once (the CLI's flags and --help come from it). `resolveGenerateConfig` turns it into the run's config.
 */
export const GenerateJobConfig = z.object({
  dataset: z
    .string()
    .min(1)
    .meta({
      placeholder: 'NAME|FILE',
      description: `Registry name (${KNOWN_DATASETS.join(', ')}; downloaded once and cached) or a local file in any supported layout`,
    }),
  split: z.string().min(1).optional().meta({ placeholder: 'SPLIT', description: 'Split of a registry dataset (default: its evaluation split)' }),
  limit: z.number().int().min(0).optional().meta({ placeholder: 'N', description: 'Use the first N items (after --offset)' }),
  offset: z.number().int().min(0).default(0).meta({ placeholder: 'N', description: 'Skip the first N items' }),
  maxQuestionChars: limits.maxQuestionChars.meta({
    placeholder: 'N',
    description:
      'Longest question accepted, in characters; a longer one stops the run before anything is written (file:line: question), or is skipped with --skip-bad',
  }),
  maxRecordBytes: limits.maxRecordBytes.meta({
    placeholder: 'N',
    description:
      "Largest dataset record accepted, in bytes (a JSON line, or a JSON-array record's compact JSON); a larger one stops the run before anything is written, or is skipped with --skip-bad",
  }),
  skipBad: limits.skipBad.meta({
    description:
      'Skip dataset records over a limit or unreadable as items (invalid JSON, missing fields, duplicate ids) instead of stopping; the summary counts them',
  }),
  db: storeDbField('Store, created if missing, resumed if it holds this run'),
  run: z.string().min(1).regex(/\D/, 'expected a run name with a non-digit (a number names a run by its id: mtr status --run 3)').optional().meta({
    placeholder: 'NAME',
    description: "The run's name, its key in the store (default: derived from dataset, models and settings); the same name resumes the run",
  }),
  concurrency: z.number().int().min(1).default(8).meta({ placeholder: 'N', description: 'Traces in flight at once' }),
  roleConcurrency: z.number().int().min(1).optional().meta({ placeholder: 'N', description: 'Model calls in flight per role (default: --concurrency)' }),
  maxTurns: z.number().int().min(1).default(8).meta({
    placeholder: 'N',
    description: "Most agent turns per trace; with --dialect search-r1, Search-R1's max_turns: N rounds of search, then one final turn whose search is not run",
  }),
  format: z.enum(['text', 'native']).default('text').meta({ description: 'Agent format: Qwen/Hermes <tool_call> text, or native OpenAI tool_calls' }),
  dialect: z.enum(DIALECTS).default(DEFAULT_DIALECT).meta({
    description:
      "Agent dialect: hermes (ToolMaker's tools, <tool_call>/<tool_response>), or search-r1 (Search-R1's rollout: its instruction as the one user turn, <search> query </search> answered by <information>Doc i(Title: t) text</information>; ToolMaker is skipped, the one tool is wiki_search, real with --index/--retrieval-url or simulated by ToolActor)",
  }),
  toolsFrom: toolsFromBesideToolsetField,
  toolset: toolsetField,
  utilityTools: z
    .string()
    .default('wiki_search')
    .meta({ placeholder: 'LIST', description: `Predefined tools added to every trace, comma-separated (${UTILITY_TOOL_NAMES.join(', ')}) or "none"` }),
  maxTools: z.number().int().min(1).max(8).default(4).meta({ placeholder: 'N', description: 'Most task-specific tools ToolMaker keeps per question' }),
  maxRepairs: z.number().int().min(0).default(2).meta({ placeholder: 'N', description: 'Rounds of validation feedback for invalid tool schemas' }),
  maxAttempts: z.number().int().min(1).default(3).meta({ placeholder: 'N', description: 'Attempts per structured output before it is recorded as failed' }),
  maxItemAttempts: z.number().int().min(1).default(3).meta({
    placeholder: 'N',
    description:
      'Traces per item, across resumes: re-running the command retries an item that failed transiently (the model server failed after --retries) until it has failed N times',
  }),
  retryFailed: z.boolean().default(false).meta({ description: 'Retry every failed item of the run, whatever its failure and attempts' }),
  worker: z.boolean().default(false).meta({
    description:
      'Work on the run beside other workers (any number, on any hosts sharing a postgres:// --db): items are leased one by one, a lease not renewed (a killed worker) expires and its item goes to another; exits when no item is left',
  }),
  leaseSeconds: z.number().positive().default(60).meta({
    placeholder: 'S',
    description: "With --worker: how long an item's lease lasts without a heartbeat (one every third of it)",
  }),
  ...ActorFields,
  noActorCache: z
    .boolean()
    .default(false)
    .meta({ description: 'Always ask the actor model, instead of replaying identical tool calls from the cache in the database' }),
  auditRate: z.number().min(0).max(1).default(0).meta({
    placeholder: 'R',
    description:
      'Share of the simulated wiki_search calls also sent to the real backend (--index or --retrieval-url), chosen by a hash of run, item and step; the trace keeps the simulated answer, the run stores the fidelity figures (mtr status shows them)',
  }),
  ...ModelFields,
  ...roleModelFields(GENERATE_ROLES),
});
export type GenerateJobInput = z.input<typeof GenerateJobConfig>;

const flat = GenerateJobConfig.shape;

/** `--utility-tools wiki_search,calculator` (or `none`) as the list of tool names. */
const utilityToolList = (flag: string): string[] => (flag === 'none' ? [] : commaList(flag));

/** The run's config, resolved from the flags (nested model settings per role); its fields reuse the flags' definitions, so each default is written once. */
export const GenerateConfigSchema = z.object({
  dataset: flat.dataset,
  split: flat.split,
  limit: flat.limit,
  offset: flat.offset,
  db: flat.db,
  /** names the run; default: derived from the dataset and the settings that shape traces */
  run: z.string().min(1).optional(),
  /** traces in flight at once */
  concurrency: flat.concurrency,
  /** model calls in flight per role; default: `concurrency` */
  roleConcurrency: flat.roleConcurrency,
  maxTurns: flat.maxTurns,
  format: flat.format,
  /** the agent's text: Qwen/Hermes tool tags, or Search-R1's `<search>`/`<information>` (one wiki_search tool, no ToolMaker) */
  dialect: flat.dialect,
  /** ToolMaker's tools, the utility tools alone, or none (the tools-on / tools-off ablation) */
  toolsFrom: toolsFromField('maker'),
  /** a tool file whose tools replace ToolMaker's (its tools' hash is part of the run key) */
  toolset: flat.toolset,
  utilityTools: z.array(z.string()).default(() => utilityToolList(flat.utilityTools.parse(undefined))),
  maxTools: flat.maxTools,
  maxRepairs: flat.maxRepairs,
  /** attempts per structured output before it is recorded as a failure */
  maxAttempts: flat.maxAttempts,
  /** traces per item, across resumes, before a transiently failed item is left failed (not part of the run key) */
  maxItemAttempts: flat.maxItemAttempts,
  /** a resume retries every failed item, whatever its failure (not part of the run key) */
  retryFailed: flat.retryFailed,
  /** `--worker`: items leased for `leaseSeconds` among the run's workers (not part of the run key) */
  worker: z.object({ leaseSeconds: flat.leaseSeconds }).optional(),
  model: ModelConfigSchema,
  /** per-role overrides of the model settings (e.g. a dedicated simulator model for the actor) */
  roles: z.partialRecord(z.enum(GENERATE_ROLES), ModelOverridesSchema).default({}),
  /** what of each item's gold material ToolActor sees, and the noise schedule */
  grounding: GroundingConfigSchema.prefault({}),
  /** per-tool backend; wiki_search defaults to real when a backend (index or retrieval URL) is given */
  toolRouting: z.record(z.string(), ToolRouteSchema).default({}),
  /** an index built by `mtr index`: the real wiki_search backend */
  index: z.string().min(1).optional(),
  /** a Search-R1 retrieval server: the real wiki_search backend */
  retrievalUrl: z.string().min(1).optional(),
  /** how the pre-check treats numbers and booleans sent as strings; absent = strict */
  coerce: flat.coerce,
  /** replay identical actor calls from the store's actor cache */
  actorCache: z.boolean().default(true),
  /** share of simulated wiki_search calls also answered by the real backend and stored as audits (not part of the run key: traces are the same) */
  auditRate: flat.auditRate,
  /** maxQuestionChars, maxRecordBytes, skipBad: the dataset limits (not part of the run key) */
  ...DatasetLimitsSchema.shape,
});
export type GenerateConfig = z.infer<typeof GenerateConfigSchema>;
export type GenerateConfigInput = z.input<typeof GenerateConfigSchema>;

/** The flags as the run's config (a pure function): lists and routes parsed, the model settings nested per role. */
export function resolveGenerateConfig(input: GenerateJobInput): GenerateConfigInput {
  const f = parseConfig(GenerateJobConfig, input);
  const roles = Object.fromEntries(
    GENERATE_ROLES.map((r) => {
      const model = f[`${r}Model`];
      const baseUrl = f[`${r}BaseUrl`];
      return [r, { ...(model ? { model } : {}), ...(baseUrl ? { baseUrl } : {}) }];
    }),
  );
  return {
    dataset: f.dataset,
    ...(f.split ? { split: f.split } : {}),
    ...(f.limit === undefined ? {} : { limit: f.limit }),
    offset: f.offset,
    maxQuestionChars: f.maxQuestionChars,
    maxRecordBytes: f.maxRecordBytes,
    skipBad: f.skipBad,
    db: f.db,
    ...(f.run ? { run: f.run } : {}),
    concurrency: f.concurrency,
    ...(f.roleConcurrency === undefined ? {} : { roleConcurrency: f.roleConcurrency }),
    maxTurns: f.maxTurns,
    format: f.format,
    dialect: f.dialect,
    // a tool set replaces ToolMaker's tools: --toolset alone means --tools-from utility
    toolsFrom: f.toolsFrom ?? (f.toolset ? 'utility' : 'maker'),
    ...(f.toolset ? { toolset: f.toolset } : {}),
    utilityTools: utilityToolList(f.utilityTools),
    maxTools: f.maxTools,
    maxRepairs: f.maxRepairs,
    maxAttempts: f.maxAttempts,
    maxItemAttempts: f.maxItemAttempts,
    retryFailed: f.retryFailed,
    ...(f.worker ? { worker: { leaseSeconds: f.leaseSeconds } } : {}),
    grounding: { mode: f.grounding, noiseStart: f.noiseStart, noiseEnd: f.noiseEnd, noiseBase: f.noiseBase },
    ...(f.toolRouting ? { toolRouting: parseToolRouting(f.toolRouting) } : {}),
    ...(f.index ? { index: f.index } : {}),
    ...(f.retrievalUrl ? { retrievalUrl: f.retrievalUrl } : {}),
    ...(f.coerce && f.coerce !== 'strict' ? { coerce: f.coerce } : {}),
    actorCache: !f.noActorCache,
    auditRate: f.auditRate,
    model: modelConfigOf(f),
    roles,
  };
}

export const roleConfig = (c: GenerateConfig, role: Role): ModelConfig =>
  ModelConfigSchema.parse({ ...c.model, ...(c.roles[role as (typeof GENERATE_ROLES)[number]] ?? {}) });

/** Where each role's server listens, and the retrieval server: transport, which never names a run. */
export interface Transport {
  baseUrls: Record<(typeof GENERATE_ROLES)[number], string | undefined>;
  retrievalUrl: string | undefined;
}

export const transportOf = (c: GenerateConfig): Transport => ({
  baseUrls: Object.fromEntries(GENERATE_ROLES.map((r) => [r, roleConfig(c, r).baseUrl])) as Transport['baseUrls'],
  retrievalUrl: c.retrievalUrl,
});

/** What a run reads: its dataset file, and with --toolset the hash of the tool set's checked tools. */
export interface RunSource {
  name: string;
  path: string;
  toolset?: string | undefined;
}

/**
 * What shapes a trace: the same command maps to the same key, so re-running it resumes the run. Server
 * addresses and keys are transport, not identity: a server restarted on another port resumes the same run.
 * `legacy` gives the key of stores made before that (it held the addresses), so they are found and resumed.
 */
export function runKey(c: GenerateConfig, dataset: RunSource, legacy?: Transport): string {
  if (c.run) return c.run;
  if (c.toolset !== undefined && dataset.toolset === undefined) throw new MtrError('E_INTERNAL', `runKey: --toolset ${c.toolset} given without its hash`);
  const routing = actorRouting(c);
  const shape = {
    // the file, not just the dataset's name: two HotpotQA files are two runs
    dataset: resolvePath(dataset.path),
    split: c.split,
    models: GENERATE_ROLES.map((r) => {
      const m = roleConfig(c, r);
      const server = legacy ? legacy.baseUrls[r] : m.baseUrl && 'openai';
      return [r, server ?? 'embedded', m.model ?? m.modelFile ?? 'default'];
    }),
    maxTurns: c.maxTurns,
    format: c.format,
    ...(c.dialect === DEFAULT_DIALECT ? {} : { dialect: c.dialect }),
    ...(c.toolsFrom === 'maker' ? {} : { toolsFrom: c.toolsFrom }),
    ...(dataset.toolset === undefined ? {} : { toolset: dataset.toolset }),
    utilityTools: c.utilityTools,
    maxTools: c.maxTools,
    // only when set, so runs made before these options keep their keys
    ...(c.grounding.mode === 'none' ? {} : { grounding: c.grounding }),
    ...((c.coerce ?? 'strict') === 'strict' ? {} : { coerce: c.coerce }),
    ...(Object.keys(routing).length ? { routing, backend: c.index ?? (legacy ? legacy.retrievalUrl : 'retrieval-server') } : {}),
  };
  return `${dataset.name}-${sha256Hex(JSON.stringify(shape), 10)}`;
}

export const actorRouting = (c: GenerateConfig) => resolveRouting(c.toolRouting, c);

/** Settings zod cannot check alone: known utility tools, real routes that have a backend, what a dialect allows. */
export function checkGenerateConfig(c: GenerateConfig): void {
  // a worker that retried every failure would retry its own failures for ever
  if (c.worker && c.retryFailed) throw new MtrError('E_USAGE', '--retry-failed: expected without --worker (run it once without --worker first)');
  if (c.toolset !== undefined) {
    // the file's tools replace ToolMaker's; Search-R1's instruction offers search alone
    if (c.toolsFrom !== 'utility')
      throw new MtrError('E_USAGE', `--toolset: expected --tools-from utility (the file's tools replace ToolMaker's), got --tools-from ${c.toolsFrom}`);
    if (c.dialect === 'search-r1') throw new MtrError('E_USAGE', '--toolset: expected --dialect hermes (search-r1 offers only search), got search-r1');
  }
  if (c.dialect === 'search-r1') {
    // Search-R1's agent has one action, search: no native tool_calls, no other tools
    if (c.format !== 'text')
      throw new MtrError('E_USAGE', `--format: expected text with --dialect search-r1 (Search-R1 writes <search> in its text), got ${c.format}`);
    if (c.utilityTools.join(',') !== 'wiki_search')
      throw new MtrError(
        'E_USAGE',
        `--utility-tools: expected wiki_search with --dialect search-r1 (its one tool is search), got ${c.utilityTools.join(',') || 'none'}`,
      );
    if (c.toolsFrom === 'none')
      throw new MtrError('E_USAGE', '--tools-from: expected maker or utility with --dialect search-r1 (its instruction offers search), got none');
  }
  for (const name of c.utilityTools) {
    if (!UTILITY_TOOLS[name])
      throw new MtrError('E_USAGE', `--utility-tools: unknown tool "${name}": expected some of ${Object.keys(UTILITY_TOOLS).join(', ')} (or "none")`);
  }
  actorRouting(c);
  if (c.auditRate > 0 && c.index === undefined && c.retrievalUrl === undefined)
    throw new MtrError(
      'E_USAGE',
      `--audit-rate: expected a real backend to compare with (--index FILE or --retrieval-url URL), got --audit-rate ${c.auditRate} without one`,
    );
}
