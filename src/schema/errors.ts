/**
 * One error type for the whole project, thrown deep and reported once (CLI prints, server maps to a status).
 * `code` is stable for scripts and tests; the message says "expected X, got Y" and names file:line:field.
 */
export const ERROR_CODES = [
  'E_USAGE', // bad flag or argument
  'E_DATASET', // unknown dataset name, unreadable or malformed dataset file
  'E_DOWNLOAD', // a dataset or model could not be fetched
  'E_MODEL_UNREACHABLE', // the model server cannot be reached or refuses us (auth, unknown model)
  'E_MODEL_OUTPUT', // a model answered, but not in the required shape, after retries
  'E_MODEL', // any other model failure after retries
  'E_TOOL_SCHEMA', // a tool schema breaks the unified template
  'E_STORE', // database problems
  'E_INPUT', // other malformed input (rollouts, tool files)
  'E_EMPTY', // a job produced nothing (an export keeping 0 rows, no trace passing validation): the message says why
  'E_INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class MtrError extends Error {
  override readonly name = 'MtrError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** the error behind this one (a driver's, a parser's): kept for logs and `--verbose`, never shown as the message */
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isMtrError = (e: unknown): e is MtrError => e instanceof MtrError;

/** Any thrown value as an MtrError: one already is; anything else becomes `code` with its message and the original as `cause`. */
export const asMtrError = (e: unknown, code: ErrorCode, context?: string): MtrError =>
  isMtrError(e) ? e : new MtrError(code, `${context ? `${context}: ` : ''}${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });

/** `file:line: field: message` — the one shape for errors about input records. */
export function inputError(code: ErrorCode, file: string, line: number | undefined, field: string | undefined, message: string): MtrError {
  const where = [file, line === undefined ? undefined : String(line)].filter(Boolean).join(':');
  return new MtrError(code, `${where}: ${field ? `${field}: ` : ''}${message}`, { file, line, field });
}
