import { z } from 'zod';

export const RoleSchema = z.enum(['maker', 'agent', 'actor', 'judge']);
export type Role = z.infer<typeof RoleSchema>;

/** Every model call is stored with what is needed to reproduce and cost it. */
export const ModelCallSchema = z.object({
  role: RoleSchema,
  model: z.string(),
  prompt_file: z.string(),
  prompt_hash: z.string(),
  params: z.record(z.string(), z.unknown()),
  tokens_in: z.number().int().nonnegative(),
  tokens_out: z.number().int().nonnegative(),
  latency_ms: z.number().nonnegative(),
  attempt: z.number().int().positive(),
  ok: z.boolean(),
  error: z.string().optional(),
  /** Raw model text, kept for failures so nothing is silently dropped. */
  raw: z.string().optional(),
  /** The server the request went to (one of a --base-url pool); absent for the embedded model and older stores. */
  server: z.string().optional(),
});
export type ModelCall = z.infer<typeof ModelCallSchema>;
