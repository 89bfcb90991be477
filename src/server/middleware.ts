import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
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
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  const expected = token ? digest(token) : undefined;
  return async (c, next) => {
    if (expected) {
      const given = presentedToken(c, options);
      if (!given || !timingSafeEqual(digest(given), expected)) {
        c.header('WWW-Authenticate', 'Bearer');
        const ways = ['"Authorization: Bearer <token>"', 'Basic auth with the token as password', ...(options.headers ?? []).map((h) => `a "${h}" header`)];
        return c.json({ error: `expected the token as ${ways.join(', or ')}, got ${given ? 'a wrong token' : 'none'}` }, 401);
      }
    }
    await next();
  };
}

/** The default of every server's body limit. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

export const limitBody = (maxBytes: number): MiddlewareHandler =>
  bodyLimit({ maxSize: maxBytes, onError: (c) => c.json({ error: `expected a body of at most ${maxBytes} bytes, got more` }, 413) });

/** The request's JSON body, or E_INPUT (→ 400) with what was wrong. */
export async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') throw new MtrError('E_INPUT', 'body: expected a JSON object, got an empty body');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MtrError('E_INPUT', `body: expected JSON, got invalid JSON (${(e as Error).message})`);
  }
}

/** A request field that is wrong: E_INPUT (→ 400) naming the field. */
export const badField = (field: string, message: string): MtrError => new MtrError('E_INPUT', `${field}: ${message}`, { field });

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
