import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type ErrorCode, isMtrError } from '../schema/errors.js';

/** The one place error codes become HTTP statuses (shared by every server of ours). */
const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  E_USAGE: 400,
  E_INPUT: 400,
  E_DATASET: 400,
  E_TOOL_SCHEMA: 400,
  E_EMPTY: 422, // a job that produced nothing: the request was understood, the result is empty
  E_DOWNLOAD: 502,
  E_MODEL_UNREACHABLE: 502,
  E_MODEL_OUTPUT: 502,
  E_MODEL: 502,
  E_STORE: 500,
  E_INTERNAL: 500,
};

export const statusOf = (code: ErrorCode): ContentfulStatusCode => STATUS[code];

/** A failure of ours, on stderr with its cause (an unexpected exception with its stack): the operator's only trace of it. */
export function logFailure(where: string, err: unknown): void {
  const cause = isMtrError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  process.stderr.write(`mtr serve: ${where}: ${cause}\n`);
}

/**
 * A failure answered inside a 200 (one entry of a batch, a StableToolBench reply): its code and message, and the
 * same stderr line a 5xx gets when it is ours (an unexpected exception, a model or store failure) rather than the caller's.
 */
export function failureOf(err: unknown, where: string): { code: ErrorCode; message: string } {
  const code = isMtrError(err) ? err.code : 'E_INTERNAL';
  if (statusOf(code) >= 500) logFailure(where, err);
  return { code, message: isMtrError(err) ? err.message : 'internal error' };
}

/**
 * app.onError of every server: known errors answer with their status and message; anything else is a 500,
 * never a crash. Every 5xx is logged to stderr with its cause.
 */
export function errorHandler(err: Error, c: Context): Response {
  const where = (status: number) => `${status} ${c.req.method} ${c.req.path}`;
  if (isMtrError(err)) {
    const status = statusOf(err.code);
    if (status >= 500) logFailure(where(status), err);
    return c.json({ error: err.message, code: err.code }, status);
  }
  if (err instanceof HTTPException) {
    if (err.status >= 500) logFailure(where(err.status), err);
    return c.json({ error: err.message || 'request rejected' }, err.status);
  }
  logFailure(where(500), err);
  return c.json({ error: 'internal error', code: 'E_INTERNAL' }, 500);
}
