import { z } from 'zod';
import { RoleSchema } from './model-call.js';
import { RunRefSchema } from './run-ref.js';

/** A stored run (table runs): its name (key), dataset and the config of its latest invocation. */
export const RunRecordSchema = RunRefSchema.extend({ dataset: z.string(), config: z.unknown() });
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** Per item of a run that failed and has no finished trace: how many times it failed, and the last error code. */
export const FailedAttemptsSchema = z.object({ attempts: z.number().int(), code: z.string().nullable() });
export type FailedAttempts = z.infer<typeof FailedAttemptsSchema>;

/** Which model and prompt file (with hash) made how many of a run's calls: what an export manifest records. */
export const ProvenanceSchema = z.object({ role: RoleSchema, model: z.string(), prompt_file: z.string(), prompt_hash: z.string(), calls: z.number().int() });
export type Provenance = z.infer<typeof ProvenanceSchema>;

/** A tool ToolMaker (or a utility) gave a run's trace, as stored (read by `carg tools import` and `serve tools --from-run`). */
export const RunToolRowSchema = z.object({
  /** the row id in the store's tools table */
  id: z.number().int(),
  run_id: z.number().int(),
  trace_id: z.number().int(),
  item_id: z.string(),
  name: z.string(),
  origin: z.string(),
  /** the template as stored: a candidate the tool checks read again */
  tool: z.unknown(),
});
export type RunToolRow = z.infer<typeof RunToolRowSchema>;

/** The actor cache's size: entries stored and calls answered from them. */
export const ActorCacheStatsSchema = z.object({ entries: z.number().int(), hits: z.number().int() });
export type ActorCacheStats = z.infer<typeof ActorCacheStatsSchema>;
