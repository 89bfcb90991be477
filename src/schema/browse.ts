import { z } from 'zod';
import { RoleSchema } from './model-call.js';
import { TraceStatusSchema } from './trace.js';

/**
 * Records the store answers for browsing a run (`mtr view`): one page of traces under filters, and the small
 * aggregates its plots draw. Queries the store runs in SQL (LIMIT/OFFSET, GROUP BY), so a page of 100k traces
 * is never read whole.
 */

/** Which traces a page holds; every filter is optional and they combine with AND. */
export interface TracePageQuery {
  runId?: number;
  traceId?: number;
  dataset?: string;
  status?: z.infer<typeof TraceStatusSchema>;
  /** a verdict reason (e.g. slot_disagreement) a trace failed under `configHash` */
  reason?: string;
  /** a check (its name, e.g. `slots`) a trace failed under `configHash` */
  check?: string;
  /** the pre-check's error type of an `invalid_arguments` verdict under `configHash` (`unknown` when it names none) */
  errorType?: string;
  /** judged under `configHash` at all (`validated`), passing every check, or failing at least one */
  verdict?: TraceVerdict;
  /** the check config whose verdicts give `reason` and each row's `reasons` (none: no reasons) */
  configHash?: string;
  /** text the question contains (case-insensitive for ASCII) */
  q?: string;
  offset: number;
  limit: number;
}

/** The report's headline counts a trace list can be narrowed to (each a count of the validation report). */
export const TRACE_VERDICTS = ['validated', 'passed', 'failed'] as const;
export type TraceVerdict = (typeof TRACE_VERDICTS)[number];

/** One trace in a list: what a row shows, with its item's question and gold answers. */
export const TraceRowSchema = z.object({
  trace_id: z.number().int(),
  run_id: z.number().int(),
  item_id: z.string(),
  dataset: z.string(),
  question: z.string(),
  gold: z.array(z.string()),
  status: TraceStatusSchema,
  answer: z.string().nullable(),
  error_code: z.string().nullable(),
  /** reasons of the checks it failed under the page's check config, sorted */
  reasons: z.array(z.string()),
});
export type TraceRow = z.infer<typeof TraceRowSchema>;

export const TracePageSchema = z.object({ total: z.number().int(), items: z.array(TraceRowSchema) });
export type TracePage = z.infer<typeof TracePageSchema>;

/** How many traces of a status have this many steps and tool calls (turns and calls per trace). */
export const TraceShapeSchema = z.object({
  status: TraceStatusSchema,
  steps: z.number().int(),
  tool_calls: z.number().int(),
  traces: z.number().int(),
});
export type TraceShape = z.infer<typeof TraceShapeSchema>;

/** Traces that ended in one minute (UTC, `YYYY-MM-DDTHH:MM`), by how. */
export const TraceMinuteSchema = z.object({ minute: z.string(), finished: z.number().int(), failed: z.number().int() });
export type TraceMinute = z.infer<typeof TraceMinuteSchema>;

/** A role's model calls in one minute: count, failures, tokens and mean latency. */
export const CallMinuteSchema = z.object({
  minute: z.string(),
  role: RoleSchema,
  calls: z.number().int(),
  failed: z.number().int(),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  mean_latency_ms: z.number(),
});
export type CallMinute = z.infer<typeof CallMinuteSchema>;

/** A check config that has verdicts in a run: how many traces it judged and when it last did. */
export const VerdictConfigSchema = z.object({ config_hash: z.string(), traces: z.number().int(), last_at: z.string() });
export type VerdictConfig = z.infer<typeof VerdictConfigSchema>;
