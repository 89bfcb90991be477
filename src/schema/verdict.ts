import { z } from 'zod';

/** Why a trace fails a check. Stable codes: verdicts, reports and filters key on them. */
export const REASON_CODES = [
  'not_finished', // the trace failed or is still running
  'malformed', // breaks the trace grammar (MTR "Malformed %")
  'unknown_tool', // a call names no tool of the trace
  'invalid_arguments', // a call breaks its tool's parameter schema
  'slot_disagreement', // an argument is not grounded in the question or earlier observations (MTR "Slot disagreement %")
  'repeated_call', // the same call (name + arguments) twice
  'invalid_observation', // a response breaks its tool's response schema, or a call got none
  'missing_answer',
  'wrong_answer',
  'too_many_turns',
  'too_long',
  'no_task_tool', // ToolMaker made tools for the item, but the trace called none of them (e.g. all were rejected)
] as const;
export const ReasonCodeSchema = z.enum(REASON_CODES);
export type ReasonCode = z.infer<typeof ReasonCodeSchema>;

export const CheckResultSchema = z.discriminatedUnion('pass', [
  z.object({ pass: z.literal(true) }),
  z.object({ pass: z.literal(false), reason: ReasonCodeSchema, details: z.record(z.string(), z.unknown()) }),
]);
export type CheckResult = z.infer<typeof CheckResultSchema>;

/** One check's outcome for one trace, as stored. */
export const VerdictSchema = z.object({
  trace_id: z.number().int(),
  check: z.string(),
  result: CheckResultSchema,
});
export type Verdict = z.infer<typeof VerdictSchema>;
