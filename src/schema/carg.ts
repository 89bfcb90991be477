import { z } from 'zod';
import { ModelCallSchema } from './model-call.js';

/**
 * CARG's stored records (tool repository, simulator samples, per-stage job rows and failures, eval and audit
 * cases, the field taxonomy). The store parses every row it reads with these; types come from them.
 */

/** accepted: usable; incomplete: needs `--complete` (missing response schema or types); rejected; duplicate. */
export const CARG_TOOL_STATUSES = ['accepted', 'incomplete', 'rejected', 'duplicate'] as const;
export const CargToolStatusSchema = z.enum(CARG_TOOL_STATUSES);
export type CargToolStatus = z.infer<typeof CargToolStatusSchema>;

export const CARG_SAMPLE_KINDS = ['single', 'multi', 'error'] as const;
export const CargSampleKindSchema = z.enum(CARG_SAMPLE_KINDS);
export type CargSampleKind = z.infer<typeof CargSampleKindSchema>;

/** A JSON object as written by a tool file or a model (tool templates, arguments): keys kept as they are. */
const JsonObjectSchema = z.record(z.string(), z.unknown());

/** A judge's pass/fail with its reason, as stored in a sample's verdicts (the carg judges' answer shape). */
export const JudgeVerdictSchema = z.object({ pass: z.boolean(), reason: z.string() });
export type JudgeVerdict = z.infer<typeof JudgeVerdictSchema>;

/** A sample's verdicts by check name (format, logic, sem, coherence, existence, message…); null: not asked. */
export const SampleVerdictsSchema = z.record(z.string(), JudgeVerdictSchema.nullable());
export type SampleVerdicts = z.infer<typeof SampleVerdictsSchema>;

/** A tool to insert: `duplicateOf` is an id in the repository, or the index of an earlier tool of the same batch. */
export const NewCargToolSchema = z.object({
  name: z.string(),
  field: z.string().optional(),
  subfield: z.string().optional(),
  source: z.string(),
  template: JsonObjectSchema,
  status: CargToolStatusSchema,
  reasons: z.array(z.string()),
  notes: z.array(z.string()),
  duplicateOf: z.union([z.object({ id: z.number().int() }), z.object({ batch: z.number().int() })]).optional(),
  similarity: z.number().optional(),
  calls: z.array(ModelCallSchema).optional(),
});
export type NewCargTool = z.input<typeof NewCargToolSchema>;

/** A stored tool of the repository (table carg_tools). */
export const CargToolRowSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  field: z.string().nullable(),
  subfield: z.string().nullable(),
  source: z.string(),
  template: JsonObjectSchema,
  status: CargToolStatusSchema,
  reasons: z.array(z.string()),
  notes: z.array(z.string()),
  duplicate_of: z.number().int().nullable(),
  similarity: z.number().nullable(),
});
export type CargToolRow = z.infer<typeof CargToolRowSchema>;

/** A tool completed by the model (or still failing): new template, status and reasons; the calls are appended. */
export interface CargToolPatch {
  template: Record<string, unknown>;
  status: CargToolStatus;
  reasons: string[];
  notes: string[];
  calls: z.infer<typeof ModelCallSchema>[];
}

/** A simulator training sample to store with its tool's job row. */
export interface NewSample {
  kind: CargSampleKind;
  /** the tool this sample calls, when not the job's tool (a multi-turn dialogue's earlier turns) */
  toolId?: number | undefined;
  errorType?: string | undefined;
  round: number;
  /** the call's arguments, and what the tool answered (any JSON a response schema allows) */
  input: unknown;
  output: unknown;
  history?: unknown;
  context?: unknown;
  /** by check name, each a JudgeVerdict or null (SampleVerdictsSchema: checked when stored and when read) */
  verdicts: object;
  accepted: boolean;
  calls?: z.infer<typeof ModelCallSchema>[] | undefined;
}

/** A stored sample (table carg_samples). Arguments and answers are any JSON: a tool's own shape, checked when made. */
export const SampleRowSchema = z.object({
  id: z.number().int(),
  tool_id: z.number().int(),
  kind: CargSampleKindSchema,
  job: z.string(),
  error_type: z.string().nullable(),
  round: z.number().int(),
  input: z.unknown(),
  output: z.unknown(),
  history: z.unknown(),
  context: z.unknown(),
  verdicts: SampleVerdictsSchema,
  accepted: z.boolean(),
});
export type SampleRow = z.infer<typeof SampleRowSchema>;

export interface SampleFilter {
  kinds?: readonly CargSampleKind[];
  acceptedOnly?: boolean;
  /** only the samples that call this tool */
  toolId?: number;
}

/** Scores of one eval or audit case by metric; null: not applicable. */
export const EvalScoresSchema = z.record(z.string(), z.number().nullable());

/** One eval (or audit) case: a scenario, the call and the simulator's answer, and its scores. */
export const EvalCaseSchema = z.object({
  scenario: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  scores: EvalScoresSchema,
  calls: z.array(ModelCallSchema).optional(),
});
export type EvalCase = z.infer<typeof EvalCaseSchema>;

/** A job with eval (or audit) cases stored (table carg_evals): its name, the model it evaluated, its case count. */
export const EvalJobSchema = z.object({ job: z.string(), model: z.string(), cases: z.number().int() });
export type EvalJob = z.infer<typeof EvalJobSchema>;

/** A stored case with the tool it is about (table carg_evals). */
export const EvalCaseRowSchema = EvalCaseSchema.omit({ calls: true }).extend({ tool_id: z.number().int() });
export type EvalCaseRow = z.infer<typeof EvalCaseRowSchema>;

/**
 * What a stage stored about one finished tool (table carg_jobs): single {rounds, pass_rates}, multi {turns,
 * coherence}, error {samples}, eval {cases}, audit {reliability, cases}. Keys added, never renamed.
 */
export const JobStatsSchema = z.looseObject({
  rounds: z.number().int().optional(),
  pass_rates: z.array(z.number()).optional(),
  turns: z.number().int().optional(),
  coherence: z.unknown().optional(),
  samples: z.number().int().optional(),
  cases: z.number().int().optional(),
  reliability: z.number().optional(),
});
export type JobStats = z.infer<typeof JobStatsSchema>;

/** A tool's last failure in a stage (table carg_failures); finishing the tool clears it. */
export const JobFailureSchema = z.object({ tool_id: z.number().int(), code: z.string(), error: z.string() });
export type JobFailure = z.infer<typeof JobFailureSchema>;

export const FieldOriginSchema = z.enum(['seed', 'model']);

/** A row of the field taxonomy (table carg_fields); subfield '' is the field itself. */
export const FieldRowSchema = z.object({
  field: z.string(),
  subfield: z.string(),
  origin: FieldOriginSchema,
  tools_done: z.boolean(),
});
export type FieldRow = z.infer<typeof FieldRowSchema>;
export type NewField = { field: string; subfield?: string; origin: z.infer<typeof FieldOriginSchema> };
