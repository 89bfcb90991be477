import type { ModelConfigInput } from '../llm/config.js';
import type { OptionSpecs, ParsedOptions } from './command.js';
import { GENERATE_ROLES } from '../pipeline/config.js';
import { MODEL_DEFAULTS, STRUCTURED_MODES } from '../llm/config.js';

/** Model flags shared by every command that calls a model (generate now; serve tools and carg later). */
export const MODEL_OPTIONS = {
  baseUrl: { type: 'string', env: 'OPENAI_BASE_URL', placeholder: 'URL', description: 'OpenAI-compatible server (vLLM, SGLang, LMDeploy, Ollama, llama.cpp server, OpenAI), e.g. http://localhost:8000/v1; unset: the embedded llama.cpp model' },
  model: { type: 'string', placeholder: 'NAME', description: 'Model name on the server (default: the first one it lists)' },
  apiKey: { type: 'string', env: 'OPENAI_API_KEY', placeholder: 'KEY', description: 'Bearer key for the server' },
  modelFile: { type: 'string', placeholder: 'GGUF', description: 'Local GGUF for the embedded backend (default: Qwen2.5-1.5B-Instruct Q4_K_M, downloaded once to the cache)' },
  temperature: { type: 'number', min: 0, max: 2, default: MODEL_DEFAULTS.temperature, description: 'Sampling temperature' },
  maxTokens: { type: 'number', integer: true, min: 1, default: MODEL_DEFAULTS.maxTokens, placeholder: 'N', description: 'Most tokens per model answer' },
  timeout: { type: 'number', min: 0.001, default: MODEL_DEFAULTS.timeoutMs / 1000, placeholder: 'SECONDS', description: 'Timeout of one model request (every role; a timed-out request is retried like a 5xx)' },
  retries: { type: 'number', integer: true, min: 0, default: MODEL_DEFAULTS.maxRetries, placeholder: 'N', description: 'Retries of one model request on transient failures (5xx, 429, 408, 409, timeouts, connection resets, malformed or truncated replies), with exponential backoff and Retry-After' },
  structured: { type: 'string', default: MODEL_DEFAULTS.structured, choices: STRUCTURED_MODES, description: 'How JSON outputs are requested: response_format json_schema, json_object, or prompt only (auto falls back when the server refuses)' },
  ...Object.fromEntries(GENERATE_ROLES.flatMap((role) => [
    [`${role}Model`, { type: 'string', placeholder: 'NAME', description: `Model for the ${role} role (default: --model)` }],
    [`${role}BaseUrl`, { type: 'string', placeholder: 'URL', description: `Server for the ${role} role (default: --base-url)` }],
  ])),
} as const satisfies OptionSpecs;

type ModelFlags = ParsedOptions<typeof MODEL_OPTIONS>;

/** The model flags as a model config; `role` applies that role's --ROLE-model / --ROLE-base-url overrides. */
export function modelConfigInput(o: ModelFlags, role?: (typeof GENERATE_ROLES)[number]): ModelConfigInput {
  const perRole = o as unknown as Record<string, string | undefined>; // per-role flags are declared by a loop
  const baseUrl = (role && perRole[`${role}BaseUrl`]) || o.baseUrl;
  const model = (role && perRole[`${role}Model`]) || o.model;
  return {
    ...(baseUrl ? { baseUrl } : {}),
    ...(model ? { model } : {}),
    ...(o.apiKey ? { apiKey: o.apiKey } : {}),
    ...(o.modelFile ? { modelFile: o.modelFile } : {}),
    temperature: o.temperature,
    maxTokens: o.maxTokens,
    timeoutMs: Math.round(o.timeout * 1000),
    maxRetries: o.retries,
    structured: o.structured as ModelConfigInput['structured'],
  };
}
