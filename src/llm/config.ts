import { z } from 'zod';
import { MtrError } from '../schema/errors.js';
import { commaList } from '../text/list.js';

/** How JSON answers are requested from an OpenAI-compatible server; 'auto' starts strict and falls back on a 400. */
export const STRUCTURED_MODES = ['auto', 'json_schema', 'json_object', 'none'] as const;
export type StructuredMode = (typeof STRUCTURED_MODES)[number];

/** Defaults of the model settings: the one place they are defined (flags, configs and help read them here). */
export const MODEL_DEFAULTS = {
  temperature: 0.7,
  maxTokens: 1024,
  timeoutMs: 120_000,
  maxRetries: 4,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  structured: 'auto',
} as const;

/** `baseUrl` as its servers: one URL, or a pool's URLs comma-separated ("http://a:8000/v1,http://b:8000/v1"); a repeated one counts once. */
export const baseUrlList = (baseUrl: string): string[] => [...new Set(commaList(baseUrl))];

const URL_CHECK = z.url();

/** The settings without defaults: per-role overrides use this, so an unset field falls back to the run's value, not to a default. */
export const ModelFieldsSchema = z.object({
  /** OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1, or several serving the same model, comma-separated (a pool); set → the openai backend. */
  baseUrl: z.string().refine((v) => baseUrlList(v).length > 0 && baseUrlList(v).every((u) => URL_CHECK.safeParse(u).success), {
    error: (issue) => `expected a URL or comma-separated URLs, got ${JSON.stringify(issue.input)}`,
  }),
  /** Model name sent to the server; when absent, the first one the server lists. */
  model: z.string().min(1),
  /** Bearer key; local servers need none ("EMPTY" is sent). */
  apiKey: z.string(),
  /** GGUF file for the embedded backend; when absent (and no baseUrl), the default downloaded model. */
  modelFile: z.string().min(1),
  temperature: z.number().min(0).max(2),
  maxTokens: z.number().int().positive(),
  timeoutMs: z.number().int().positive(),
  maxRetries: z.number().int().nonnegative(),
  retryBaseMs: z.number().int().nonnegative(),
  /** Upper bound of one backoff wait, Retry-After included. */
  retryMaxMs: z.number().int().nonnegative(),
  structured: z.enum(STRUCTURED_MODES),
});
export const ModelOverridesSchema = ModelFieldsSchema.partial();

/** One model backend's settings: the one definition (CLI flags, run configs and the factory all use it). */
export const ModelConfigSchema = ModelFieldsSchema.extend({
  baseUrl: ModelFieldsSchema.shape.baseUrl.optional(),
  model: ModelFieldsSchema.shape.model.optional(),
  apiKey: ModelFieldsSchema.shape.apiKey.optional(),
  modelFile: ModelFieldsSchema.shape.modelFile.optional(),
  temperature: ModelFieldsSchema.shape.temperature.default(MODEL_DEFAULTS.temperature),
  maxTokens: ModelFieldsSchema.shape.maxTokens.default(MODEL_DEFAULTS.maxTokens),
  timeoutMs: ModelFieldsSchema.shape.timeoutMs.default(MODEL_DEFAULTS.timeoutMs),
  maxRetries: ModelFieldsSchema.shape.maxRetries.default(MODEL_DEFAULTS.maxRetries),
  retryBaseMs: ModelFieldsSchema.shape.retryBaseMs.default(MODEL_DEFAULTS.retryBaseMs),
  retryMaxMs: ModelFieldsSchema.shape.retryMaxMs.default(MODEL_DEFAULTS.retryMaxMs),
  structured: ModelFieldsSchema.shape.structured.default(MODEL_DEFAULTS.structured),
});
export type ModelConfig = z.infer<typeof ModelConfigSchema>;
/** What callers may pass before defaults are filled in. */
export type ModelConfigInput = z.input<typeof ModelConfigSchema>;

/** Validates and fills defaults; errors name the source and the field ("expected X, got Y"). */
export function parseModelConfig(input: unknown, source = 'model config'): ModelConfig {
  const parsed = ModelConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || '(root)';
  throw new MtrError('E_USAGE', `${source}: ${field}: ${issue?.message ?? 'invalid'}`, { field });
}
