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
  E_DOWNLOAD: 502,
  E_MODEL_UNREACHABLE: 502,
  E_MODEL_OUTPUT: 502,
  E_MODEL: 502,
  E_EMPTY: 422,
  E_STORE: 500,
  E_INTERNAL: 500,
};

export const statusOf = (code: ErrorCode): ContentfulStatusCode => STATUS[code];

/** app.onError: known errors answer with their status and message; anything else is a 500, never a crash. */
export function errorHandler(err: Error, c: Context): Response {
  if (isMtrError(err)) return c.json({ error: err.message, code: err.code }, statusOf(err.code));
  if (err instanceof HTTPException) return c.json({ error: err.message || 'request rejected' }, err.status);
  return c.json({ error: 'internal error', code: 'E_INTERNAL' }, 500);
}
