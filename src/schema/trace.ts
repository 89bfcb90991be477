import { z } from 'zod';
import { ToolOriginSchema, ToolTemplateSchema } from './tool.js';

export const ToolCallSchema = z.object({
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()),
  /** Native tool-calling ids; text-format calls get one assigned so both map to the same messages. */
  id: z.string().optional(),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

/** GTM's error kinds plus what can go wrong before a call reaches a tool. */
export const ToolErrorTypeSchema = z.enum(['type_error', 'missing_required', 'excess_parameter', 'invalid_value', 'unknown_tool', 'malformed_call']);
export type ToolErrorType = z.infer<typeof ToolErrorTypeSchema>;

export const ToolErrorSchema = z.object({
  type: ToolErrorTypeSchema,
  parameter: z.string().optional(),
  message: z.string(),
});
export type ToolError = z.infer<typeof ToolErrorSchema>;

/** How much of an item's gold material the simulator may see (ZeroSearch-style grounding). */
export const GroundingModeSchema = z.enum(['none', 'gold', 'noisy']);
export type GroundingMode = z.infer<typeof GroundingModeSchema>;

/** The grounding one simulated observation was made under, recorded so a run's noise curve can be audited. */
export const ObservationGroundingSchema = z.object({
  mode: GroundingModeSchema,
  /** true: told to return results consistent with the gold material; false: told to return noisy ones */
  useful: z.boolean(),
  /** the scheduled probability of a noisy observation at this point of the run (noisy mode) */
  p_noisy: z.number().min(0).max(1).optional(),
  /** hash of the item material shown to the actor */
  material: z.string().optional(),
});
export type ObservationGrounding = z.infer<typeof ObservationGroundingSchema>;

/** What a tool answered: a response object, or `{error}` in the one error shape. */
export const ObservationSchema = z.object({
  content: z.unknown(),
  error: ToolErrorSchema.optional(),
  /**
   * precheck: answered by schema validation, no model call; simulated: by ToolActor; real: by a real tool;
   * cache: replayed from an identical earlier call (this trace or the run's actor cache), no model call.
   */
  source: z.enum(['precheck', 'simulated', 'real', 'cache']),
  grounding: ObservationGroundingSchema.optional(),
  /** the actor-cache key the observation was stored or replayed under */
  cache_key: z.string().optional(),
});
export type Observation = z.infer<typeof ObservationSchema>;

/** One row of the run-level actor cache: an observation and what it was made from. */
export const ActorCacheEntrySchema = z.object({
  key: z.string(),
  tool: z.string(),
  /** canonical arguments (sorted keys, normalised strings) as JSON */
  arguments: z.string(),
  /** grounding mode, useful/noisy and material hash, as a short description */
  grounding: z.string(),
  observation: ObservationSchema,
  model: z.string(),
  prompt_hash: z.string(),
});
export type ActorCacheEntry = z.infer<typeof ActorCacheEntrySchema>;

/** One think → act → observe turn, or the final think → answer turn. */
export const StepSchema = z.object({
  index: z.number().int().nonnegative(),
  think: z.string(),
  call: ToolCallSchema.optional(),
  observation: ObservationSchema.optional(),
  answer: z.string().optional(),
  /** The agent's text exactly as the model wrote it (text format) or a rendering of its native tool call. */
  raw: z.string(),
});
export type Step = z.infer<typeof StepSchema>;

export const ClassificationSchema = z.object({
  domain: z.string().min(1),
  reasoning_type: z.string().min(1),
  hops: z.number().int().positive().optional(),
});
export type Classification = z.infer<typeof ClassificationSchema>;

/**
 * Where a trace's tools come from: ToolMaker's (with the utility tools), the utility tools alone (no ToolMaker
 * call), or none (the agent answers from its own knowledge) — MTR's tools-on / tools-off ablation.
 */
export const TOOLS_FROM = ['maker', 'utility', 'none'] as const;
export type ToolsFrom = (typeof TOOLS_FROM)[number];

export const RunToolSchema = z.object({ origin: ToolOriginSchema, tool: ToolTemplateSchema });
export type RunTool = z.infer<typeof RunToolSchema>;

export const RejectedToolSchema = z.object({ tool: z.unknown(), reasons: z.array(z.string()), attempt: z.number().int() });
export type RejectedTool = z.infer<typeof RejectedToolSchema>;

export const TraceStatusSchema = z.enum(['running', 'finished', 'failed']);
export const StopReasonSchema = z.enum(['answer', 'max_turns']);
export type StopReason = z.infer<typeof StopReasonSchema>;

/** A whole stored trace as readers (validation, export, tests) see it. */
export const TraceRecordSchema = z.object({
  id: z.number().int(),
  run_id: z.number().int(),
  item_id: z.string(),
  status: TraceStatusSchema,
  stop_reason: StopReasonSchema.nullable(),
  answer: z.string().nullable(),
  classification: ClassificationSchema.nullable(),
  error: z.string().nullable(),
  tools: z.array(RunToolSchema),
  rejected_tools: z.array(RejectedToolSchema),
  steps: z.array(StepSchema),
});
export type TraceRecord = z.infer<typeof TraceRecordSchema>;
