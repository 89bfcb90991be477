import type { z } from 'zod';
import { MtrError } from '../schema/errors.js';

/**
 * Reading rows back: every JSON column is parsed here and every record checked by its zod schema, so a row
 * that does not fit is one E_STORE error naming the table, the row and the field — never a bad value that
 * travels on, and never a bare SyntaxError or ZodError.
 */

const storeError = (table: string, row: string | number, field: string, message: string, cause?: unknown): MtrError =>
  new MtrError('E_STORE', `${table} row ${row}: ${field}: ${message}`, { table, row, field }, { cause });

/** A JSON column's value (NULL → undefined). */
export function jsonOf(table: string, row: string | number, field: string, text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw storeError(table, row, field, `expected JSON, got ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)} (${(e as Error).message})`, e);
  }
}

/** A record parsed by its schema; the first issue names the field. */
export function recordOf<S extends z.ZodType>(schema: S, table: string, row: string | number, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.length ? issue.path.map(String).join('.') : '(row)';
  throw storeError(table, row, field, issue.message, r.error);
}
