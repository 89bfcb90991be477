import type PQueue from 'p-queue';
import { isMtrError } from '../schema/errors.js';
import type { ModelCall, Role } from '../schema/model-call.js';
import type { JsonSchema } from '../schema/tool-convert.js';
import type { Prompt } from '../prompts/index.js';
import { generateJson } from './structured.js';
import type { ChatMessage, ChatModel, Completion, FailedRequest, GenerateOptions } from './types.js';

/** A model serving one role, with that role's concurrency limit and sampling parameters. */
export interface RoleModel {
  role: Role;
  model: ChatModel;
  queue: PQueue;
  temperature: number;
  maxTokens: number;
  /** attempts for structured outputs before the output is recorded as a failure */
  maxAttempts: number;
}

/** Receives every model call, successful or not, so it can be stored with the trace. */
export type CallSink = (call: ModelCall) => void;

function record(
  rm: RoleModel,
  prompt: Prompt,
  sink: CallSink,
  attempt: number,
  c: Partial<Completion>,
  ok: boolean,
  error?: string,
  raw?: string,
  extra: Record<string, unknown> = {},
): void {
  sink({
    role: rm.role,
    model: c.model ?? rm.model.model,
    prompt_file: prompt.file,
    prompt_hash: prompt.hash,
    params: { temperature: rm.temperature, max_tokens: rm.maxTokens, backend: rm.model.backend, ...(c.retries ? { retries: c.retries } : {}), ...extra },
    tokens_in: c.tokensIn ?? 0,
    tokens_out: c.tokensOut ?? 0,
    latency_ms: c.latencyMs ?? 0,
    attempt,
    ok,
    ...(error === undefined ? {} : { error }),
    ...(raw === undefined ? {} : { raw }),
    ...(c.server === undefined ? {} : { server: c.server }),
  });
}

/** A request the backend retried: stored as a failed call (params.retry says which), with the server's raw text. */
const recordRetry = (rm: RoleModel, prompt: Prompt, sink: CallSink, attempt: number, f: FailedRequest): void =>
  record(rm, prompt, sink, attempt, { latencyMs: f.latencyMs, ...serverOf(f) }, false, `retried: ${f.error}`, f.raw, { retry: f.retry });

/** The server a failed request or call went to, when there was one (an MtrError names it as details.baseUrl). */
const serverOf = (f: unknown): { server?: string } => {
  const server = isMtrError(f) ? f.details?.baseUrl : (f as FailedRequest).server;
  return typeof server === 'string' ? { server } : {};
};

/** The raw text a failure carries (a garbled reply, an error body), if any. */
const rawOf = (e: unknown): string | undefined => {
  const raw = isMtrError(e) ? e.details?.raw : undefined;
  return typeof raw === 'string' ? raw : undefined;
};

/** A free-text call (the agent's turn). Failures are recorded, then rethrown. */
export async function textCall(rm: RoleModel, prompt: Prompt, messages: ChatMessage[], sink: CallSink, options: GenerateOptions = {}): Promise<Completion> {
  const started = performance.now();
  try {
    const onRetry = (f: FailedRequest) => recordRetry(rm, prompt, sink, 1, f);
    const completion = await rm.queue.add(() => rm.model.generate(messages, { temperature: rm.temperature, maxTokens: rm.maxTokens, onRetry, ...options }));
    record(rm, prompt, sink, 1, completion, true);
    return completion;
  } catch (e) {
    record(
      rm,
      prompt,
      sink,
      1,
      { latencyMs: performance.now() - started, ...serverOf(e) },
      false,
      isMtrError(e) ? `${e.code}: ${e.message}` : String(e),
      rawOf(e),
    );
    throw e;
  }
}

/** A JSON call constrained by `schema`: each attempt (bad JSON, schema errors, success) is recorded. */
export async function jsonCall(rm: RoleModel, prompt: Prompt, messages: ChatMessage[], name: string, schema: JsonSchema, sink: CallSink): Promise<unknown> {
  let attempts = 0;
  const started = performance.now();
  try {
    const result = await rm.queue.add(() =>
      generateJson(rm.model, messages, {
        name,
        schema,
        maxAttempts: rm.maxAttempts,
        temperature: rm.temperature,
        maxTokens: rm.maxTokens,
        onAttempt: (a) => {
          attempts = a.attempt;
          record(rm, prompt, sink, a.attempt, a.completion ?? {}, a.ok, a.error, a.ok ? undefined : a.raw);
        },
        onRetry: (f) => recordRetry(rm, prompt, sink, f.attempt, f),
      }),
    );
    return result.value;
  } catch (e) {
    // Output-shape failures were recorded attempt by attempt; a transport failure has no attempt yet.
    if (!(isMtrError(e) && e.code === 'E_MODEL_OUTPUT')) {
      record(
        rm,
        prompt,
        sink,
        attempts + 1,
        { latencyMs: performance.now() - started, ...serverOf(e) },
        false,
        isMtrError(e) ? `${e.code}: ${e.message}` : String(e),
        rawOf(e),
      );
    }
    throw e;
  }
}
