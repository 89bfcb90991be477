import { ChatOpenAICompletions, type ChatOpenAICompletionsCallOptions, type OpenAIClient } from '@langchain/openai';
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { MtrError } from '../schema/errors.js';
import type { ToolCall } from '../schema/index.js';
import { baseUrlList, type ModelConfig } from './config.js';
import { type Outcome, ServerPool } from './pool.js';
import { classifyError, HttpStatusError, httpStatus, isTransient, MalformedReplyError, withRetry } from './retry.js';
import type { ChatMessage, ChatModel, Completion, GenerateOptions } from './types.js';

type Format = 'json_schema' | 'json_object' | 'none';
const FALLBACK: Record<Format, Format[]> = { json_schema: ['json_schema', 'json_object', 'none'], json_object: ['json_object', 'none'], none: ['none'] };
const WAYS_OUT = 'start the server or pass --base-url, or use the embedded backend with --model-file';
const CONTEXT_OVERFLOW = /context[_ ]length|maximum context|context window|too many tokens|prompt is too long/i;

/**
 * ChatOpenAICompletions sends json_schema requests through the SDK's parse(), which throws on text that is
 * not JSON (and on finish_reason "length") before we see it; structured.ts needs that raw text to repair and
 * to record, so every request goes through plain create(). Retries are ours (retry.ts), so SDK errors pass
 * through unwrapped, keeping `status`, `headers` and the socket `cause` for classifyError.
 */
class RawCompletions extends ChatOpenAICompletions {
  override completionWithRetry(
    request: OpenAIClient.Chat.ChatCompletionCreateParamsStreaming,
    options?: OpenAIClient.RequestOptions,
  ): Promise<AsyncIterable<OpenAIClient.Chat.Completions.ChatCompletionChunk>>;
  override completionWithRetry(
    request: OpenAIClient.Chat.ChatCompletionCreateParamsNonStreaming,
    options?: OpenAIClient.RequestOptions,
  ): Promise<OpenAIClient.Chat.Completions.ChatCompletion>;
  override async completionWithRetry(request: OpenAIClient.Chat.ChatCompletionCreateParams, options?: OpenAIClient.RequestOptions): Promise<unknown> {
    const { maxRetries: _ours, ...sdkOptions } = options ?? {};
    const clientOptions = this._getClientOptions(sdkOptions); // also creates this.client on first use
    return this.client.chat.completions.create(request, clientOptions);
  }
}

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
  private readonly clients = new Map<string, RawCompletions>();

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
    const input = toLangChainMessages(messages);
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
              const reply = await this.client(server, temperature, maxTokens).invoke(input, callOptions(format, options));
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

  /** ChatOpenAI fixes server, temperature and max tokens per instance, so each distinct triple gets one (cached). */
  private client(baseURL: string, temperature: number, maxTokens: number): RawCompletions {
    const key = `${baseURL}|${temperature}|${maxTokens}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new RawCompletions({
        model: this.model,
        apiKey: this.config.apiKey || 'EMPTY', // local servers want no key, the SDK insists on one
        configuration: { baseURL, fetch: checkedFetch },
        temperature,
        maxTokens,
        timeout: this.config.timeoutMs,
        maxRetries: 0, // retry.ts owns retries
      });
      this.clients.set(key, client);
    }
    return client;
  }

  private completion(message: AIMessage, started: number, retries: number, server: string): Completion {
    const invalid = message.invalid_tool_calls?.[0];
    if (invalid) {
      throw new MtrError(
        'E_MODEL_OUTPUT',
        `model ${this.model}: tool call "${invalid.name ?? '?'}": expected JSON object arguments, got ${oneLine(String(invalid.args ?? ''), 200)}`,
        {
          raw: invalid.args,
          toolName: invalid.name,
          baseUrl: server,
        },
      );
    }
    const toolCalls: ToolCall[] = (message.tool_calls ?? []).map((tc) => {
      if (typeof tc.args !== 'object' || tc.args === null || Array.isArray(tc.args)) {
        throw new MtrError(
          'E_MODEL_OUTPUT',
          `model ${this.model}: tool call "${tc.name}": expected JSON object arguments, got ${oneLine(JSON.stringify(tc.args), 200)}`,
          { raw: tc.args, baseUrl: server },
        );
      }
      return { name: tc.name, arguments: tc.args as Record<string, unknown>, ...(tc.id ? { id: tc.id } : {}) };
    });
    const usage = message.usage_metadata;
    const reported = message.response_metadata?.model_name;
    return {
      text: message.text,
      toolCalls,
      tokensIn: usage?.input_tokens ?? 0,
      tokensOut: usage?.output_tokens ?? 0,
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
 * without it the SDK throws a bare SyntaxError, or LangChain a TypeError, and the text is lost.
 */
async function checkedFetch(url: string | URL | Request, init?: RequestInit): Promise<Response> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (res.ok && String(url).endsWith('/chat/completions')) {
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
  return new Response(res.status === 204 ? null : text, { status: res.status, statusText: res.statusText, headers: res.headers });
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

function callOptions(format: Format, options: GenerateOptions): ChatOpenAICompletionsCallOptions {
  const call: ChatOpenAICompletionsCallOptions = {};
  if (options.signal) call.signal = options.signal;
  if (options.stop?.length) call.stop = options.stop;
  if (options.tools?.length) {
    call.tools = options.tools;
    call.strict = false; // our tool schemas are not written for OpenAI strict mode
  }
  if (options.jsonSchema && format === 'json_schema') {
    // strict: false: our schemas use optional fields and free objects, which strict mode rejects
    const name = options.jsonSchema.name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'answer';
    call.response_format = { type: 'json_schema', json_schema: { name, schema: options.jsonSchema.schema, strict: false } };
  } else if (options.jsonSchema && format === 'json_object') {
    call.response_format = { type: 'json_object' };
  }
  return call;
}

/** Our messages → LangChain's. Tool messages without an id answer the preceding assistant's calls in order. */
export function toLangChainMessages(messages: ChatMessage[]): BaseMessage[] {
  let pending: string[] = [];
  return messages.map((m, i) => {
    switch (m.role) {
      case 'system':
        return new SystemMessage(m.content);
      case 'user':
        return new HumanMessage(m.content);
      case 'assistant': {
        const calls = (m.toolCalls ?? []).map((tc, j) => ({ id: tc.id ?? `call_${i}_${j}`, name: tc.name, args: tc.arguments, type: 'tool_call' as const }));
        pending = calls.map((c) => c.id);
        return new AIMessage({ content: m.content, ...(calls.length ? { tool_calls: calls } : {}) });
      }
      case 'tool': {
        const id = m.toolCallId ?? pending.shift();
        if (id === undefined) throw new MtrError('E_INPUT', `messages[${i}].toolCallId: expected the id of an earlier assistant tool call, got none`);
        if (m.toolCallId) pending = pending.filter((p) => p !== id);
        return new ToolMessage({ content: m.content, tool_call_id: id, ...(m.name ? { name: m.name } : {}) });
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
