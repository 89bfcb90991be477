import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { DEFAULT_MAX_BODY_BYTES, tokenMatcher } from '../pipeline/serve-fields.js';
import { MtrError } from '../schema/errors.js';

export interface TokenOptions {
  /** headers that may carry the bare token too (StableToolBench sends `toolbench_key`) */
  headers?: readonly string[];
}

/**
 * The token a request presents: `Authorization: Bearer T`; `Authorization: Basic` with T as the password
 * (what python `requests` sends for a URL `http://user:T@host/…`, the only way OpenRLHF's remote reward
 * client, which sets no headers, can authenticate); or one of `options.headers`.
 */
function presentedToken(c: Context, options: TokenOptions): string {
  const header = c.req.header('authorization') ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1];
  if (bearer) return bearer;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header)?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  for (const name of options.headers ?? []) {
    const v = c.req.header(name);
    if (v) return v;
  }
  return '';
}

/** Optional token (see presentedToken); compared in constant time (hashes make the lengths equal). */
export function bearerToken(token: string | undefined, options: TokenOptions = {}): MiddlewareHandler {
  const matches = token ? tokenMatcher(token) : undefined;
  return async (c, next) => {
    if (matches) {
      const given = presentedToken(c, options);
      if (!matches(given)) {
        c.header('WWW-Authenticate', 'Bearer');
        const ways = ['"Authorization: Bearer <token>"', 'Basic auth with the token as password', ...(options.headers ?? []).map((h) => `a "${h}" header`)];
        return c.json({ error: `expected the token as ${ways.join(', or ')}, got ${given ? 'a wrong token' : 'none'}` }, 401);
      }
    }
    await next();
  };
}

/** The default of every server's body limit (declared with the server fields). */
export { DEFAULT_MAX_BODY_BYTES };

/**
 * Bodies over `maxBytes` answer 413. A declared Content-Length (what every client we serve sends) is checked
 * here from the header; only a streamed body (no length, or chunked) goes through Hono's bodyLimit, which counts
 * it as it arrives. Hono's asks `c.req.raw.body` first, and on a real socket that alone makes @hono/node-server
 * build a full web Request with a stream over the socket: a third of the server's time per tool call.
 */
export const limitBody = (maxBytes: number): MiddlewareHandler => {
  const tooBig = (c: Context) => c.json({ error: `body: expected at most ${maxBytes} bytes (the size limit, --max-body-bytes), got more` }, 413);
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooBig });
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next(); // no body (Hono's: `raw.body` is null)
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return streamed(c, next);
    return Number.parseInt(length, 10) > maxBytes ? tooBig(c) : next();
  };
};

/**
 * How deep JSON may nest in a request (arrays and objects; the outermost is level 1). JSON.parse copes with any
 * depth, but what reads the value next (JSON.stringify in messages, zod, ajv, canonical keys) recurses:
 * JSON.stringify overflows the stack between 3,000 and 5,000 levels. No client we serve nests past a dozen.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests deeper than `max`, found without recursion (a stack of pending containers). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: [object, number][] = typeof value === 'object' && value !== null ? [[value, 1]] : [];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [v, depth] = next;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
  }
  return false;
}

/** JSON text parsed for `field`, or E_INPUT (→ 400) saying what was wrong: invalid JSON, or nested past MAX_JSON_DEPTH. */
export function parseJson(text: string, field: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new MtrError('E_INPUT', `${field}: expected JSON, got invalid JSON (${(e as Error).message})`, { field });
  }
  if (nestsDeeperThan(value, MAX_JSON_DEPTH))
    throw new MtrError('E_INPUT', `${field}: expected JSON nested at most ${MAX_JSON_DEPTH} levels deep (the depth limit), got deeper`, {
      field,
      limit: MAX_JSON_DEPTH,
    });
  return value;
}

/** The request's JSON body (within the size limit, checked by limitBody, and the depth limit), or E_INPUT (→ 400). */
export async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') throw new MtrError('E_INPUT', 'body: expected a JSON object, got an empty body');
  return parseJson(text, 'body');
}

/** What a JSON value is, for "got …" in messages: null, a list, a string, a number, a boolean or an object. */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return typeof v === 'undefined' ? 'nothing' : `a ${typeof v}`;
}

/** A value as JSON text for a message, cut at 80 characters (a body may be megabytes). */
export function shown(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** A request field that is wrong: E_INPUT (→ 400) naming the field. */
export const badField = (field: string, message: string): MtrError => new MtrError('E_INPUT', `${field}: ${message}`, { field });

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
