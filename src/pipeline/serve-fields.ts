import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { sha256Digest } from '../text/hash.js';

/** The default of every server's body limit. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
export const DEFAULT_REWARD_PORT = 8787;
export const DEFAULT_TOOLS_PORT = 8788;
/** Tools per MCP tools/list page (MCP pagination: `nextCursor` until the last page); 0 lists every tool in one page. */
export const DEFAULT_MCP_PAGE_SIZE = 100;

/** Whether a presented token is the server's, compared in constant time (hashes make the lengths equal). */
export function tokenMatcher(token: string): (given: string) => boolean {
  const expected = sha256Digest(token);
  return (given) => given !== '' && timingSafeEqual(sha256Digest(given), expected);
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export const isLoopback = (host: string): boolean => LOOPBACK.has(host);

/**
 * Where a server listens and whom it answers, declared once for `serve reward` and `serve tools` (each with its
 * own default port); `guarded` says which routes the token guards.
 */
export function serverFields(defaultPort: number, guarded: string) {
  return {
    host: z.string().min(1).default('127.0.0.1').meta({ placeholder: 'HOST', description: 'interface to bind (loopback unless told otherwise)' }),
    port: z.number().int().min(0).max(65535).default(defaultPort).meta({ placeholder: 'N', description: 'port (0 = any free port)' }),
    token: z
      .string()
      .optional()
      .meta({ placeholder: 'T', env: 'MTR_SERVE_TOKEN', description: `require "Authorization: Bearer T" (${guarded})` }),
    maxBodyBytes: z.number().int().min(1).default(DEFAULT_MAX_BODY_BYTES).meta({ placeholder: 'N', description: 'largest request body accepted (413 above)' }),
  };
}

/** How a face binds a service: the server fields as the job parsed them. */
export interface Listen {
  host: string;
  port: number;
  token?: string;
  maxBodyBytes: number;
}

export const listenOf = (c: { host: string; port: number; token?: string | undefined; maxBodyBytes: number }): Listen => ({
  host: c.host,
  port: c.port,
  maxBodyBytes: c.maxBodyBytes,
  ...(c.token ? { token: c.token } : {}),
});
