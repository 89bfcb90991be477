import { MtrError } from '../schema/errors.js';

export type ErrorClass = 'retry' | 'fatal_unreachable' | 'fatal';

/** Transient HTTP statuses: timeouts, conflicts, rate limits, server errors. */
const RETRY_STATUS = new Set([408, 409, 425, 429]);
/** The server refuses us for good: bad key, forbidden, unknown model or path. */
const UNREACHABLE_STATUS = new Set([401, 403, 404]);
/** Socket codes meaning "nobody there" (fail fast, the user must act). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ERR_INVALID_URL']);
/** Socket codes meaning "the connection broke" (worth another try). */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ESOCKETTIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/**
 * A 2xx reply whose body is not a chat completion (cut off, not JSON, no `choices`): the server or a proxy
 * broke the reply, so another try is worth it. `raw` keeps the text for the store.
 */
export class MalformedReplyError extends Error {
  override readonly name = 'MalformedReplyError';
  constructor(
    message: string,
    readonly raw: string,
  ) {
    super(message);
  }
}

/**
 * A non-2xx reply from a server mtr talks to over plain fetch (embeddings, a model listing): `status` is what
 * `classifyError` reads (5xx/429 retried, 401/403 unreachable). Internal like MalformedReplyError: callers
 * report it as an MtrError with this as its cause.
 */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type ErrorLike = { name?: unknown; code?: unknown; status?: unknown; cause?: unknown; error?: unknown; message?: unknown; headers?: unknown };

/** The openai SDK's errors keep the default `name`, so their class is told by constructor name. */
const className = (c: object): string | undefined => (c as { constructor?: { name?: string } }).constructor?.name;

/** The error and its `cause` chain (fetch hides the socket code two levels down). */
function chain(e: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let cur: unknown = e;
  while (cur && typeof cur === 'object' && out.length < 8) {
    out.push(cur as ErrorLike);
    cur = (cur as ErrorLike).cause;
  }
  return out;
}

export function httpStatus(e: unknown): number | undefined {
  for (const c of chain(e)) if (typeof c.status === 'number') return c.status;
  return undefined;
}

function socketCode(e: unknown): string | undefined {
  for (const c of chain(e)) if (typeof c.code === 'string' && (UNREACHABLE_CODES.has(c.code) || TRANSIENT_CODES.has(c.code))) return c.code;
  return undefined;
}

/** A 429 that no wait will fix (the account is out of quota). */
function isQuotaExhausted(e: unknown): boolean {
  return chain(e).some(
    (c) => c.code === 'insufficient_quota' || (typeof c.error === 'object' && c.error !== null && (c.error as ErrorLike).code === 'insufficient_quota'),
  );
}

/** A socket that found nobody listening (refused, no such host): final at start-up, transient once the server has answered. */
export const isConnectFailure = (e: unknown): boolean =>
  httpStatus(e) === undefined && UNREACHABLE_CODES.has(socketCode(e) ?? '') && socketCode(e) !== 'ERR_INVALID_URL';

/** Should this failure be retried, reported as "cannot reach the model", or reported as is? Pure. */
export function classifyError(e: unknown): ErrorClass {
  if (e instanceof MtrError) return e.code === 'E_MODEL_UNREACHABLE' ? 'fatal_unreachable' : 'fatal';
  const links = chain(e);
  if (links.some((c) => c.name === 'AbortError' || className(c) === 'APIUserAbortError')) return 'fatal'; // the caller cancelled
  // a cut-off or garbled 200 body: the fetch wrapper's MalformedReplyError, or a JSON parse error from the SDK
  if (links.some((c) => c.name === 'MalformedReplyError' || c instanceof SyntaxError)) return 'retry';
  const status = httpStatus(e);
  if (status !== undefined) {
    if (status === 429 && isQuotaExhausted(e)) return 'fatal';
    if (RETRY_STATUS.has(status) || status >= 500) return 'retry';
    if (UNREACHABLE_STATUS.has(status)) return 'fatal_unreachable';
    return 'fatal';
  }
  const code = socketCode(e);
  if (code) return UNREACHABLE_CODES.has(code) ? 'fatal_unreachable' : 'retry';
  // client timeouts (the openai SDK's, or AbortSignal.timeout's) and connection drops without a known code
  if (links.some((c) => c.name === 'TimeoutError' || className(c) === 'APIConnectionTimeoutError' || className(c) === 'APIConnectionError')) return 'retry';
  return 'fatal';
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const v = (headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/** The server's requested wait, from `retry-after-ms` or `Retry-After` (seconds or an HTTP date). */
export function retryAfterMs(e: unknown, now = Date.now()): number | undefined {
  for (const c of chain(e)) {
    const ms = Number(header(c.headers, 'retry-after-ms'));
    if (header(c.headers, 'retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
    const raw = header(c.headers, 'retry-after')?.trim();
    if (!raw) continue;
    const seconds = Number(raw);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(raw);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  return undefined;
}

/** Full jitter (AWS architecture blog): uniform in [0, min(maxMs, baseMs·2^attempt)], so clients spread out. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

export interface RetryInfo {
  /** 1 for the first retry */
  retry: number;
  delayMs: number;
  error: unknown;
}

export interface RetryOptions {
  maxRetries: number;
  baseMs: number;
  /** cap of one wait, Retry-After included (default 30 s) */
  maxMs?: number;
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
  /** injectable for tests */
  random?: () => number;
  /**
   * Also retry "nobody listening" (connection refused, host not found): right for a server that answered at
   * start-up and is restarting, wrong at start-up (the user must act, so that fails at once).
   */
  retryConnectFailures?: boolean;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Worth another try: what `withRetry` retries, and what a server pool counts against a server (pool.ts). */
export const isTransient = (e: unknown, connectFailures: boolean): boolean => classifyError(e) === 'retry' || (connectFailures && isConnectFailure(e));

/**
 * Runs `fn` until it succeeds, a failure is not retryable, or `maxRetries` retries are spent; then throws
 * the last error unchanged (the caller decides how to report it).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const maxMs = options.maxMs ?? 30_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const transient = isTransient(error, options.retryConnectFailures === true);
      if (attempt >= options.maxRetries || !transient || options.signal?.aborted) throw error;
      const hinted = retryAfterMs(error);
      const delayMs = hinted !== undefined ? Math.min(hinted, maxMs) : backoffMs(attempt, options.baseMs, maxMs, options.random);
      options.onRetry?.({ retry: attempt + 1, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}
