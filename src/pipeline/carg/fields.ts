import { z } from 'zod';
import { openAIEmbedder } from '../../carg/embed.js';
import type { Embedder } from '../../carg/dedup.js';
import type { Role } from '../../schema/model-call.js';
import { ModelFields, modelConfigOf, roleModelFields, serverPoolField } from '../fields/model.js';
import { type RoleModels, roleModels } from '../models.js';
import { storeDbField } from '../fields/store.js';

/** Tools in flight at once in every CARG stage, declared once (a role's model calls in flight are twice this). */
export const CARG_CONCURRENCY = 4;

/** `--db`: the CARG store. */
export const CargStoreFields = {
  db: storeDbField('Store holding the tool repository and the data'),
};

/** The model flags of every CARG stage that calls a model, with the attempts per structured output. */
export const CargModelFields = {
  ...ModelFields,
  concurrency: z.number().int().min(1).default(CARG_CONCURRENCY).meta({ placeholder: 'N', description: 'Tools in flight at once' }),
  maxAttempts: z.number().int().min(1).default(3).meta({ placeholder: 'N', description: 'Attempts per structured output' }),
};

/** `--judge-model`, `--judge-base-url`: the judge (also the audit's case writer) on its own model or server. */
const judge = roleModelFields(['judge']);
export const JudgeFields = {
  judgeModel: judge.judgeModel.meta({ placeholder: 'NAME', description: 'Judge model, also the audit case writer (default: --model)' }),
  judgeBaseUrl: judge.judgeBaseUrl,
};

/** What a per-tool stage (single, multi, errors, eval, audit) reads besides its own flags. */
export const StageFields = {
  ...CargStoreFields,
  job: z
    .string()
    .min(1)
    .optional()
    .meta({ placeholder: 'NAME', description: 'Job name; a re-run with the same name resumes (default: the subcommand, eval: eval:<model>)' }),
  limit: z.number().int().min(0).optional().meta({ placeholder: 'N', description: 'Most tools this run' }),
  ...CargModelFields,
  ...JudgeFields,
};

export const HoldoutField = {
  holdout: z
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .meta({ placeholder: 'FRACTION', description: 'Share of tools held out for eval (by name hash): export leaves them out, eval uses only them' }),
};

export const EmbedFields = {
  threshold: z
    .number()
    .min(0)
    .max(1)
    .default(0.8)
    .meta({ placeholder: 'COS', description: 'Name cosine similarity at or above which a tool is a near duplicate' }),
  embedBaseUrl: serverPoolField('OpenAI-compatible /v1/embeddings server, or comma-separated pool of servers, for dedup (unset: offline char n-gram TF-IDF)'),
  embedModel: z.string().min(1).default('text-embedding-3-small').meta({ placeholder: 'NAME', description: 'Embedding model name' }),
};

type ModelValues = z.output<z.ZodObject<typeof CargModelFields>> & { judgeModel?: string | undefined; judgeBaseUrl?: string | undefined };

/**
 * CARG's roles from the one role-model factory: `generator` is the maker role, `judge` the judge (its own
 * --judge-model / --judge-base-url), `actor` the simulator under evaluation. One lifetime: the caller closes them.
 */
export function cargModels<R extends 'maker' | 'judge' | 'actor'>(c: ModelValues, roles: readonly R[]): Promise<RoleModels<R>> {
  const spec = (role: Role) => ({
    config: modelConfigOf(c, role === 'judge' ? 'judge' : undefined),
    concurrency: c.concurrency * 2,
    maxAttempts: c.maxAttempts,
  });
  return roleModels(Object.fromEntries(roles.map((r) => [r, spec(r)])) as Record<R, ReturnType<typeof spec>>);
}

/** The dense embedder of `--embed-base-url` (one server or a pool), or undefined for the offline vectoriser. */
export const embedderOf = (c: { embedBaseUrl?: string | undefined; embedModel: string; apiKey?: string | undefined }): Embedder | undefined =>
  c.embedBaseUrl ? openAIEmbedder({ baseUrl: c.embedBaseUrl, model: c.embedModel, ...(c.apiKey ? { apiKey: c.apiKey } : {}) }) : undefined;
