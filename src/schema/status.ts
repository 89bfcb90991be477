import { z } from 'zod';

/** `mtr status --json`: scripts rely on these keys; add, never rename. */
export const RunStatusSchema = z.object({
  runs: z.number().int(),
  items_total: z.number().int(),
  items_pending: z.number().int(),
  traces_finished: z.number().int(),
  traces_failed: z.number().int(),
  traces_running: z.number().int(),
  /** items with more than one finished trace; the store's unique index keeps it 0 */
  duplicates: z.number().int(),
  steps: z.number().int(),
  tool_calls: z.number().int(),
  answers: z.number().int(),
  stopped_at_max_turns: z.number().int(),
  model_calls: z.number().int(),
  model_calls_failed: z.number().int(),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  tools_accepted: z.number().int(),
  tools_rejected: z.number().int(),
  by_role: z.record(z.string(), z.object({ calls: z.number().int(), tokens_in: z.number().int(), tokens_out: z.number().int(), mean_latency_ms: z.number() })),
  /** model calls per server that took them (a --base-url pool's members); failed requests that were retried count as errors */
  by_server: z.record(z.string(), z.object({ calls: z.number().int(), errors: z.number().int(), mean_latency_ms: z.number(), p95_latency_ms: z.number() })),
});
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** `mtr status`: the totals, plus why items failed (keys added, never renamed). */
export const RunStatusWithFailuresSchema = RunStatusSchema.extend({
  /** items left failed, by the error code of their last failed trace, with the traces they took */
  failures_by_code: z.record(z.string(), z.object({ items: z.number().int(), attempts: z.number().int() })),
  /** items finished after one or more failed traces (a resume retried them) */
  items_retried: z.number().int(),
});
export type RunStatusWithFailures = z.infer<typeof RunStatusWithFailuresSchema>;
