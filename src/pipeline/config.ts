import { sha256Hex } from '../text/hash.js';
import { resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { GroundingConfigSchema } from '../actor/grounding.js';
import { resolveRouting, ToolRouteSchema } from '../actor/routing.js';
import { DatasetLimitsSchema } from '../data/limits.js';
import { DEFAULT_DIALECT, DIALECTS } from '../grammar/tags.js';
import { type ModelConfig, ModelConfigSchema, ModelOverridesSchema } from '../llm/config.js';
import { MtrError } from '../schema/errors.js';
import type { Role } from '../schema/model-call.js';
import { UTILITY_TOOLS } from '../tools/utility.js';

export const GENERATE_ROLES = ['maker', 'agent', 'actor'] as const satisfies readonly Role[];

export const GenerateConfigSchema = z.object({
  dataset: z.string().min(1),
  split: z.string().optional(),
  limit: z.number().int().nonnegative().optional(),
  offset: z.number().int().nonnegative().default(0),
  db: z.string().min(1),
  /** names the run; default: derived from the dataset and the settings that shape traces */
  run: z.string().min(1).optional(),
  /** traces in flight at once */
  concurrency: z.number().int().positive().default(8),
  /** model calls in flight per role; default: `concurrency` */
  roleConcurrency: z.number().int().positive().optional(),
  maxTurns: z.number().int().positive().default(8),
  format: z.enum(['text', 'native']).default('text'),
  /** the agent's text: Qwen/Hermes tool tags, or Search-R1's `<search>`/`<information>` (one wiki_search tool, no ToolMaker) */
  dialect: z.enum(DIALECTS).default(DEFAULT_DIALECT),
  utilityTools: z.array(z.string()).default(['wiki_search']),
  maxTools: z.number().int().min(1).max(8).default(4),
  maxRepairs: z.number().int().nonnegative().default(2),
  /** attempts per structured output before it is recorded as a failure */
  maxAttempts: z.number().int().positive().default(3),
  /** traces per item, across resumes, before a transiently failed item is left failed (not part of the run key) */
  maxItemAttempts: z.number().int().positive().default(3),
  /** a resume retries every failed item, whatever its failure (not part of the run key) */
  retryFailed: z.boolean().default(false),
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
  /** replay identical actor calls from the store's actor cache */
  actorCache: z.boolean().default(true),
  /** maxQuestionChars, maxRecordBytes, skipBad: the dataset limits (not part of the run key) */
  ...DatasetLimitsSchema.shape,
});
export type GenerateConfig = z.infer<typeof GenerateConfigSchema>;
export type GenerateConfigInput = z.input<typeof GenerateConfigSchema>;

export const roleConfig = (c: GenerateConfig, role: Role): ModelConfig => ModelConfigSchema.parse({ ...c.model, ...(c.roles[role as (typeof GENERATE_ROLES)[number]] ?? {}) });

/** Where each role's server listens, and the retrieval server: transport, which never names a run. */
export interface Transport {
  baseUrls: Record<(typeof GENERATE_ROLES)[number], string | undefined>;
  retrievalUrl: string | undefined;
}

export const transportOf = (c: GenerateConfig): Transport => ({
  baseUrls: Object.fromEntries(GENERATE_ROLES.map((r) => [r, roleConfig(c, r).baseUrl])) as Transport['baseUrls'],
  retrievalUrl: c.retrievalUrl,
});

/**
 * What shapes a trace: the same command maps to the same key, so re-running it resumes the run. Server
 * addresses and keys are transport, not identity: a server restarted on another port resumes the same run.
 * `legacy` gives the key of stores made before that (it held the addresses), so they are found and resumed.
 */
export function runKey(c: GenerateConfig, dataset: { name: string; path: string }, legacy?: Transport): string {
  if (c.run) return c.run;
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
    utilityTools: c.utilityTools,
    maxTools: c.maxTools,
    // only when set, so runs made before these options keep their keys
    ...(c.grounding.mode === 'none' ? {} : { grounding: c.grounding }),
    ...(Object.keys(routing).length ? { routing, backend: c.index ?? (legacy ? legacy.retrievalUrl : 'retrieval-server') } : {}),
  };
  return `${dataset.name}-${sha256Hex(JSON.stringify(shape), 10)}`;
}

export const actorRouting = (c: GenerateConfig) => resolveRouting(c.toolRouting, c);

/** Settings zod cannot check alone: known utility tools, real routes that have a backend, what a dialect allows. */
export function checkGenerateConfig(c: GenerateConfig): void {
  if (c.dialect === 'search-r1') {
    // Search-R1's agent has one action, search: no native tool_calls, no other tools
    if (c.format !== 'text') throw new MtrError('E_USAGE', `--format: expected text with --dialect search-r1 (Search-R1 writes <search> in its text), got ${c.format}`);
    if (c.utilityTools.join(',') !== 'wiki_search') throw new MtrError('E_USAGE', `--utility-tools: expected wiki_search with --dialect search-r1 (its one tool is search), got ${c.utilityTools.join(',') || 'none'}`);
  }
  for (const name of c.utilityTools) {
    if (!UTILITY_TOOLS[name]) throw new MtrError('E_USAGE', `--utility-tools: unknown tool "${name}": expected some of ${Object.keys(UTILITY_TOOLS).join(', ')} (or "none")`);
  }
  actorRouting(c);
}
