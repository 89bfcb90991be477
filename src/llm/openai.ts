import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { MtrError } from '../schema/errors.js';
import type { ToolCall } from '../schema/index.js';
import { baseUrlList, type ModelConfig } from './config.js';
import { httpFetch } from './http-fetch.js';
import { type Outcome, ServerPool } from './pool.js';
import { classifyError, HttpStatusError, httpStatus, isTransient, MalformedReplyError, withRetry } from './retry.js';
import type { ChatMessage, ChatModel, Completion, GenerateOptions } from './types.js';

type Format = 'json_schema' | 'json_object' | 'none';
const FALLBACK: Record<Format, Format[]> = { json_schema: ['json_schema', 'json_object', 'none'], json_object: ['json_object', 'none'], none: ['none'] };
const WAYS_OUT = 'start the server or pass --base-url, or use the embedded backend with --model-file';
const CONTEXT_OVERFLOW = /context[_ ]length|maximum context|context window|too many tokens|prompt is too long/i;

/**
 * A model behind any OpenAI-compatible chat-completions server (vLLM, llama.cpp server, SGLang, OpenAI), or
 * behind several serving the same model (`baseUrl` "A,B"): each request, retries included, goes to the server
 * the pool picks (pool.ts), and each completion and failed request names the server that answered.
 */
export class OpenAIChatModel implements ChatModel {
  readonly backend = 'openai' as const;
  readonly model: string;
  /** the server, or the pool's servers comma-separated, as configured */
  readonly baseUrl: string;
  private readonly pool: ServerPool;
  private format: Format;
  private readonly clients = new Map<string, OpenAI>();

  constructor(private readonly config: ModelConfig & { baseUrl: string }) {
    this.baseUrl = config.baseUrl;
    // a server is out for the retry policy's backoff, doubled per failed comeback
    this.pool = new ServerPool(baseUrlList(config.baseUrl), { backoffBaseMs: config.retryBaseMs, backoffMaxMs: config.retryMaxMs });
    this.model = config.model ?? 'default';
    this.format = config.structured === 'auto' ? 'json_schema' : config.structured;
  }

  /** Takes a server out of the pool until its backoff is over (it failed the health check at start-up). */
  markOut(url: string): void {
    this.pool.markOut(url);
  }

  /** The response_format this instance uses for JSON answers now ('auto' may have fallen back). */
  get structuredFormat(): Format {
    return this.format;
  }

  async generate(messages: ChatMessage[], options: GenerateOptions = {}): Promise<Completion> {
    const started = performance.now();
    const input = toOpenAIMessages(messages);
    const [temperature, maxTokens] = [options.temperature ?? this.config.temperature, options.maxTokens ?? this.config.maxTokens];
    const formats = options.jsonSchema ? FALLBACK[this.format] : (['none'] as Format[]);
    let retries = 0;
    let formatError: unknown;
    let server = this.pool.urls[0]!; // of the last request
    let failedOn: string | undefined; // a retry goes elsewhere when it can
    for (const format of formats) {
      const before = retries;
      let attemptStarted = performance.now();
      try {
        const message = await withRetry(
          async () => {
            attemptStarted = performance.now();
            server = this.pool.acquire(failedOn);
            let outcome: Outcome = 'other';
            try {
              const reply = await this.client(server).chat.completions.create(request(this.model, input, temperature, maxTokens, format, options), {
                ...(options.signal ? { signal: options.signal } : {}),
              });
              outcome = 'ok';
              return reply;
            } catch (e) {
              if (options.signal?.aborted) outcome = 'cancelled';
              else if (isTransient(e, true)) [outcome, failedOn] = ['server_failure', server];
              throw e;
            } finally {
              this.pool.release(server, outcome);
            }
          },
          {
            maxRetries: this.config.maxRetries,
            baseMs: this.config.retryBaseMs,
            maxMs: this.config.retryMaxMs,
            signal: options.signal,
            retryConnectFailures: true, // probed at start-up: "refused" now means restarting
            onRetry: ({ retry, error }) => {
              retries++;
              const raw = rawReply(error);
              options.onRetry?.({
                retry,
                error: describeCause(error, { model: this.model, timeoutMs: this.config.timeoutMs }),
                latencyMs: Math.round(performance.now() - attemptStarted),
                server,
                ...(raw === undefined ? {} : { raw }),
              });
            },
          },
        );
        if (options.jsonSchema && this.config.structured === 'auto') this.format = format; // remember the fallback
        return this.completion(message, started, retries, server);
      } catch (e) {
        if (options.signal?.aborted) throw e;
        const rejectedFormat =
          this.config.structured === 'auto' && format !== 'none' && httpStatus(e) === 400 && !CONTEXT_OVERFLOW.test(String((e as Error).message));
        if (!rejectedFormat) throw this.failure(e, retries - before + 1, server);
        formatError ??= e;
      }
    }
    throw this.failure(formatError, 1, server); // even without response_format the server said 400: not a format problem
  }

  async close(): Promise<void> {
    this.clients.clear(); // fetch keeps no per-client sockets; nothing else to release
  }

  /** The openai SDK's client for a server (cached): sampling parameters go with each request. */
  private client(baseURL: string): OpenAI {
    let client = this.clients.get(baseURL);
    if (!client) {
      client = new OpenAI({
        apiKey: this.config.apiKey || 'EMPTY', // local servers want no key, the SDK insists on one
        baseURL,
        fetch: checkedFetch,
        timeout: this.config.timeoutMs,
        maxRetries: 0, // retry.ts owns retries
      });
      this.clients.set(baseURL, client);
    }
    return client;
  }

  private completion(reply: ChatCompletion, started: number, retries: number, server: string): Completion {
    const message = reply.choices[0]!.message; // checkedFetch refused a reply without one
    // what LangChain's ChatOpenAI read from a reply before (text, tool calls, usage, model): stored output stays byte-identical
    const assistant = message.role === 'assistant';
    const raw = ((assistant && message.tool_calls) || []).flatMap((tc) => (tc.type === 'function' && tc.function ? [{ id: tc.id, ...tc.function }] : []));
    const parsed = raw.map((tc) => {
      try {
        return { ...tc, args: JSON.parse(tc.arguments) as unknown };
      } catch {
        return { ...tc, invalid: true as const };
      }
    });
    const invalid = parsed.find((tc) => 'invalid' in tc);
    if (invalid) {
      throw new MtrError(
        'E_MODEL_OUTPUT',
        `model ${this.model}: tool call "${invalid.name ?? '?'}": expected JSON object arguments, got ${oneLine(String(invalid.arguments ?? ''), 200)}`,
        { raw: invalid.arguments, toolName: invalid.name, baseUrl: server },
      );
    }
    const toolCalls: ToolCall[] = parsed.map((tc) => {
      const args = 'args' in tc ? tc.args : undefined;
      if (typeof args !== 'object' || args === null || Array.isArray(args)) {
        throw new MtrError(
          'E_MODEL_OUTPUT',
          `model ${this.model}: tool call "${tc.name}": expected JSON object arguments, got ${oneLine(JSON.stringify(args), 200)}`,
          { raw: args, baseUrl: server },
        );
      }
      return { name: tc.name, arguments: args as Record<string, unknown>, ...(tc.id ? { id: tc.id } : {}) };
    });
    const usage = assistant ? reply.usage : undefined;
    const reported = assistant ? reply.model : undefined;
    return {
      text: contentText(message.content),
      toolCalls,
      tokensIn: usage?.prompt_tokens || 0,
      tokensOut: usage?.completion_tokens || 0,
      latencyMs: Math.round(performance.now() - started),
      model: typeof reported === 'string' && reported ? reported : this.model,
      retries,
      server,
    };
  }

  /** The call's error; `server` is the one its last request went to (details.baseUrl: the model call stores it). */
  private failure(e: unknown, attempts: number, server: string): unknown {
    if (e instanceof MtrError) return e;
    const cause = describeCause(e, { model: this.model, timeoutMs: this.config.timeoutMs });
    if (classifyError(e) === 'fatal_unreachable') return unreachableError(server, cause);
    const raw = rawReply(e);
    return new MtrError('E_MODEL', `model ${this.model} at ${server} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${cause}`, {
      baseUrl: server,
      status: httpStatus(e),
      attempts,
      ...(raw === undefined ? {} : { raw }),
    });
  }
}

/**
 * fetch for the SDK that reads the whole body inside the request's timeout and refuses a 2xx body that is no
 * chat completion (cut off, not JSON, no choices) with a retryable MalformedReplyError keeping the text;
 * without it the SDK throws a bare SyntaxError and the text is lost.
 */
function checkedFetch(url: string | URL | Request, init?: RequestInit): Promise<Response> {
  return httpFetch(url, init, String(url).endsWith('/chat/completions') ? checkCompletion : undefined);
}

/** A 2xx chat-completions body must be JSON with `choices[0].message`; else a MalformedReplyError keeping the text. */
function checkCompletion(status: number, text: string): void {
  if (status < 200 || status > 299) return;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new MalformedReplyError(`the server answered with malformed JSON (${text.length} chars): ${(e as Error).message}`, text);
  }
  const choices = (body as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices) || !choices.length || typeof choices[0]?.message !== 'object' || choices[0].message === null) {
    throw new MalformedReplyError(`the server answered 200 without a chat completion (expected {choices: [{message}]}, got ${oneLine(text, 80)})`, text);
  }
}

/** The text the server sent with a failure, when it sent one (a garbled body, or an HTTP error's body). */
function rawReply(e: unknown): string | undefined {
  for (let cur: unknown = e; cur && typeof cur === 'object'; cur = (cur as { cause?: unknown }).cause) {
    if (cur instanceof MalformedReplyError) return cur.raw;
    const body = (cur as { error?: unknown }).error;
    if (httpStatus(cur) !== undefined && body !== undefined) return typeof body === 'string' ? body : JSON.stringify(body);
  }
  return undefined;
}

/** A reply's text: its string content, or the text parts of a content array. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p: { type?: unknown; text?: unknown }) => (p?.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('');
}

/** The chat-completions request, with the fields in the order ChatOpenAI sent them (a server sees the same bytes). */
function request(
  model: string,
  messages: ChatCompletionMessageParam[],
  temperature: number,
  maxTokens: number,
  format: Format,
  options: GenerateOptions,
): ChatCompletionCreateParamsNonStreaming {
  const body: Record<string, unknown> = { model, temperature };
  if (options.stop?.length) body.stop = options.stop;
  body.stream = false;
  // strict: false: our tool schemas are not written for OpenAI strict mode
  if (options.tools?.length) body.tools = options.tools.map((t) => ({ ...t, function: { ...t.function, strict: false } }));
  if (options.jsonSchema && format === 'json_schema') {
    // strict: false: our schemas use optional fields and free objects, which strict mode rejects
    const name = options.jsonSchema.name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'answer';
    body.response_format = { type: 'json_schema', json_schema: { name, schema: options.jsonSchema.schema, strict: false } };
  } else if (options.jsonSchema && format === 'json_object') {
    body.response_format = { type: 'json_object' };
  }
  body.max_tokens = maxTokens === -1 ? undefined : maxTokens;
  body.messages = messages;
  return body as unknown as ChatCompletionCreateParamsNonStreaming;
}

/** Our messages → OpenAI's. Tool messages without an id answer the preceding assistant's calls in order. */
export function toOpenAIMessages(messages: ChatMessage[]): ChatCompletionMessageParam[] {
  let pending: string[] = [];
  return messages.map((m, i): ChatCompletionMessageParam => {
    switch (m.role) {
      case 'system':
        return { role: 'system', content: m.content };
      case 'user':
        return { role: 'user', content: m.content };
      case 'assistant': {
        const calls = (m.toolCalls ?? []).map((tc, j) => ({
          id: tc.id ?? `call_${i}_${j}`,
          type: 'function' as const,
          function: { name: tc.name, arguments: JSON.stringify(tc.arguments) },
        }));
        pending = calls.map((c) => c.id);
        return { role: 'assistant', content: m.content, ...(calls.length ? { tool_calls: calls } : {}) };
      }
      case 'tool': {
        const id = m.toolCallId ?? pending.shift();
        if (id === undefined) throw new MtrError('E_INPUT', `messages[${i}].toolCallId: expected the id of an earlier assistant tool call, got none`);
        if (m.toolCallId) pending = pending.filter((p) => p !== id);
        return { role: 'tool', content: m.content, ...(m.name ? { name: m.name } : {}), tool_call_id: id } as ChatCompletionMessageParam;
      }
    }
  });
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection closed mid-reply',
};

function oneLine(s: string, max = 300): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** A short, single-line reason: HTTP status and server message, socket code, or timeout. */
export function describeCause(e: unknown, context: { model?: string; timeoutMs?: number } = {}): string {
  const status = httpStatus(e);
  let message = e instanceof Error ? e.message : String(e);
  if (status !== undefined) {
    message = message.replace(new RegExp(`^${status}\\s*`), '');
    if (status === 401 || status === 403) return oneLine(`HTTP ${status}, the server refused the API key (pass --api-key): ${message}`);
    if (status === 404) return oneLine(`HTTP 404, unknown model "${context.model ?? '?'}" or not an OpenAI-compatible path: ${message}`);
    return oneLine(`HTTP ${status}: ${message}`);
  }
  for (let cur: unknown = e; cur && typeof cur === 'object'; cur = (cur as { cause?: unknown }).cause) {
    const { code, name } = cur as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && /^E[A-Z_]+$|^UND_ERR/.test(code)) return `${REASONS[code] ?? 'connection failed'} (${code})`;
    if (name === 'TimeoutError' || (cur as object).constructor?.name === 'APIConnectionTimeoutError') return `no answer within ${context.timeoutMs ?? '?'} ms`;
  }
  for (let cur: unknown = e; cur && typeof cur === 'object'; cur = (cur as { cause?: unknown }).cause) {
    if (cur instanceof MalformedReplyError) return oneLine(cur.message);
  }
  if (e instanceof SyntaxError) return oneLine(`the server answered with malformed JSON: ${message}`);
  return oneLine(message);
}

export function unreachableError(baseUrl: string, cause: string): MtrError {
  return new MtrError('E_MODEL_UNREACHABLE', `cannot use the model server at ${baseUrl}: ${cause}; ${WAYS_OUT}`, { baseUrl });
}

/**
 * GET {baseUrl}/models: the ids it lists ([] when it has no such route, a 404 is fine). Throws
 * E_MODEL_UNREACHABLE only when nothing answers, or the server refuses our key.
 */
export async function probeServer(baseUrl: string, apiKey?: string, timeoutMs = 10_000): Promise<{ models: string[] }> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl.replace(/\/+$/, '')}/models`, {
      headers: { authorization: `Bearer ${apiKey || 'EMPTY'}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw unreachableError(baseUrl, describeCause(e, { timeoutMs }));
  }
  if (res.status === 401 || res.status === 403)
    throw unreachableError(baseUrl, describeCause(new HttpStatusError(res.status, await res.text().catch(() => ''))));
  if (!res.ok) {
    await res.body?.cancel();
    return { models: [] };
  }
  const body = (await res.json().catch(() => undefined)) as { data?: { id?: unknown }[] } | undefined;
  const models = Array.isArray(body?.data) ? body.data.map((d) => d?.id).filter((id): id is string => typeof id === 'string') : [];
  return { models };
}
