import { z } from 'zod';
import { type ModelConfigInput, MODEL_DEFAULTS, STRUCTURED_MODES } from '../../llm/config.js';

/** One http(s) URL, or several comma-separated (a pool of servers serving the same model). */
const URL_LIST = /^\s*https?:\/\/[^\s/,]+[^\s,]*\s*(,\s*https?:\/\/[^\s/,]+[^\s,]*\s*)*$/;
const POOL_HELP =
  'several comma-separated URLs make a pool: each request goes to the one with the fewest in flight, and one failing repeatedly (5xx, timeouts, refused or reset connections) is taken out and probed again with backoff';
import type { Role } from '../../schema/model-call.js';

/**
 * The model fields of every job that calls a model (generate, eval, serve tools, the CARG stages), declared once:
 * the flags, their defaults and help come from here; `modelConfigOf` turns them into a model config.
 */
export const ModelFields = {
  baseUrl: z
    .string()
    .regex(URL_LIST, {
      error: (issue) => `expected an http(s) URL such as http://localhost:8000/v1, or several comma-separated, got ${JSON.stringify(issue.input)}`,
    })
    .optional()
    .meta({
      placeholder: 'URL[,URL…]',
      env: 'OPENAI_BASE_URL',
      description: `OpenAI-compatible server (vLLM, SGLang, LMDeploy, Ollama, llama.cpp server, OpenAI), e.g. http://localhost:8000/v1; ${POOL_HELP}; unset: the embedded llama.cpp model`,
    }),
  model: z.string().min(1).optional().meta({ placeholder: 'NAME', description: 'Model name on the server (default: the first one it lists)' }),
  apiKey: z.string().optional().meta({ placeholder: 'KEY', env: 'OPENAI_API_KEY', description: 'Bearer key for the server' }),
  modelFile: z
    .string()
    .min(1)
    .optional()
    .meta({ placeholder: 'GGUF', description: 'Local GGUF for the embedded backend (default: Qwen2.5-1.5B-Instruct Q4_K_M, downloaded once to the cache)' }),
  temperature: z.number().min(0).max(2).default(MODEL_DEFAULTS.temperature).meta({ description: 'Sampling temperature' }),
  maxTokens: z.number().int().min(1).default(MODEL_DEFAULTS.maxTokens).meta({ placeholder: 'N', description: 'Most tokens per model answer' }),
  timeout: z
    .number()
    .min(0.001)
    .default(MODEL_DEFAULTS.timeoutMs / 1000)
    .meta({ placeholder: 'SECONDS', description: 'Timeout of one model request (every role; a timed-out request is retried like a 5xx)' }),
  retries: z.number().int().min(0).default(MODEL_DEFAULTS.maxRetries).meta({
    placeholder: 'N',
    description:
      'Retries of one model request on transient failures (5xx, 429, 408, 409, timeouts, connection resets, malformed or truncated replies), with exponential backoff and Retry-After',
  }),
  structured: z.enum(STRUCTURED_MODES).default(MODEL_DEFAULTS.structured).meta({
    description: 'How JSON outputs are requested: response_format json_schema, json_object, or prompt only (auto falls back when the server refuses)',
  }),
};

type ModelValues = { [K in keyof typeof ModelFields]: z.output<(typeof ModelFields)[K]> };

const roleServerHelp = (role: string): string => `Server, or comma-separated pool of servers, for the ${role} role (default: --base-url)`;

/** A flag naming a server, or a comma-separated pool of servers (parsed and checked as --base-url), besides --base-url itself. */
export const serverPoolField = (description: string) => ModelFields.baseUrl.unwrap().optional().meta({ placeholder: 'URL[,URL…]', description });

/** `--ROLE-model` and `--ROLE-base-url` for each role a job runs (e.g. maker, agent, actor; judge). */
export function roleModelFields<R extends string>(roles: readonly R[]) {
  const fields: Record<string, z.ZodOptional<z.ZodString>> = {};
  for (const role of roles) {
    fields[`${role}Model`] = z
      .string()
      .min(1)
      .optional()
      .meta({ placeholder: 'NAME', description: `Model for the ${role} role (default: --model)` });
    fields[`${role}BaseUrl`] = serverPoolField(roleServerHelp(role));
  }
  return fields as { [K in `${R}Model` | `${R}BaseUrl`]: z.ZodOptional<z.ZodString> };
}

/** The model fields as a model config; `role` applies that role's `--ROLE-model` / `--ROLE-base-url` when set. */
export function modelConfigOf(values: Partial<ModelValues> & Record<string, unknown>, role?: Role): ModelConfigInput {
  const own = (suffix: 'Model' | 'BaseUrl') => (role ? (values[`${role}${suffix}`] as string | undefined) : undefined);
  const baseUrl = own('BaseUrl') || values.baseUrl;
  const model = own('Model') || values.model;
  return {
    ...(baseUrl ? { baseUrl } : {}),
    ...(model ? { model } : {}),
    ...(values.apiKey ? { apiKey: values.apiKey } : {}),
    ...(values.modelFile ? { modelFile: values.modelFile } : {}),
    temperature: values.temperature ?? MODEL_DEFAULTS.temperature,
    maxTokens: values.maxTokens ?? MODEL_DEFAULTS.maxTokens,
    timeoutMs: Math.round((values.timeout ?? MODEL_DEFAULTS.timeoutMs / 1000) * 1000),
    maxRetries: values.retries ?? MODEL_DEFAULTS.maxRetries,
    structured: values.structured ?? MODEL_DEFAULTS.structured,
  };
}
