import { z } from 'zod';
import { GroundingModeSchema } from './trace.js';

const share01 = z.number().min(0).max(1);

/** One call's figures, simulated vs real (src/reward/fidelity.ts callFidelity computes them; a line of calls.jsonl and a stored audit carry them). */
export const CallFidelitySchema = z.object({
  /** the simulated observation validates against the tool's responses schema (an error answer or no answer does not) */
  schema_valid: z.boolean(),
  support_real: z.boolean(),
  support_simulated: z.boolean(),
  /** share of the real observation's titles the simulated one also returns; null when the real one has none */
  title_overlap: share01.nullable(),
  /** official token F1 between the two observations' texts */
  token_f1: share01,
  agree: z.boolean(),
  /** the real tool's answer supports the gold and the simulated one does not: the simulation hides or replaces the evidence */
  contradiction: z.boolean(),
  /** the simulated answer supports the gold and the real one does not: the simulation hands over what a real search would not */
  leak: z.boolean(),
});
export type CallFidelity = z.infer<typeof CallFidelitySchema>;

/**
 * One simulated call of a run also sent to the real backend (`mtr generate --audit-rate`): stored with its trace,
 * in the transaction that ends it. The trace keeps the simulated observation; this row only measures it.
 */
export const CallAuditSchema = z.object({
  /** the step of the trace whose call was audited */
  step: z.number().int().nonnegative(),
  tool: z.string(),
  /** the grounding the simulation had */
  mode: GroundingModeSchema,
  /** simulated now, or replayed from the actor cache (then its simulated latency is 0) */
  source: z.enum(['simulated', 'cache']),
  arguments: z.record(z.string(), z.unknown()),
  /** the real backend's answer; null when it failed (then `error` says why) */
  real: z.unknown(),
  simulated: z.unknown(),
  error: z.string().optional(),
  /** the real call failed: its figures are those of no real answer (unsupported, disagreeing) */
  failed: z.boolean(),
  latency_ms_real: z.number().nonnegative(),
  /** the actor model calls that made the simulated answer, summed */
  latency_ms_simulated: z.number().nonnegative(),
  metrics: CallFidelitySchema,
});
export type CallAudit = z.infer<typeof CallAuditSchema>;

/** A stored audit row, with the trace and item it belongs to. */
export const CallAuditRecordSchema = CallAuditSchema.extend({ trace_id: z.number().int(), item_id: z.string() });
export type CallAuditRecord = z.infer<typeof CallAuditRecordSchema>;
