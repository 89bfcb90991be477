import { z } from 'zod';
import { MtrError } from '../schema/errors.js';

/**
 * A job is the one place a piece of work is defined: `run(config, hooks) → summary`. Its config is a flat zod
 * object whose fields carry what a face needs — description, default, range, choices, and `.meta()` for the
 * placeholder, environment variable and short flag — so the CLI's flags, defaults and `--help` (and docs/) are
 * derived from it and never written twice. Faces (CLI, servers, the web UI) and library users call `run`.
 */
export interface Job<C extends z.ZodObject = z.ZodObject, S extends z.ZodType = z.ZodType, H = JobHooks> {
  /** as typed after `mtr`: "validate", "carg single", "serve reward" */
  name: string;
  /** one paragraph: what the job does and what it leaves behind */
  description: string;
  /** full command lines shown under "Examples" in help and docs/ */
  examples: readonly string[];
  config: C;
  summary: S;
  /** parses `input` with `config` (defaults filled, E_USAGE naming the field on a bad value), then runs */
  run(input: z.input<C>, hooks?: H): Promise<z.output<S>>;
}

/** What a face hands a running job: cancellation (a re-run resumes), progress and notices to show. */
export interface JobHooks<P = unknown> {
  signal?: AbortSignal;
  onProgress?: (progress: P) => void;
  /** a line the user should read before the summary (e.g. "resumed run X although its server moved") */
  onNotice?: (line: string) => void;
}

/** Presentation of a config field for faces: shown in help and docs beside its description. */
export interface FieldMeta {
  /** value shown in help, e.g. FILE, URL, N */
  placeholder?: string;
  /** environment variable used when the flag is absent */
  env?: string;
  short?: string;
  /** the face reads this field from positional arguments (e.g. `carg tools import FILE…`) */
  positional?: boolean;
}

export const defineJob = <C extends z.ZodObject, S extends z.ZodType, H = JobHooks>(job: Job<C, S, H>): Job<C, S, H> => job;

/** `maxTurns` → `--max-turns`: config keys are the flags' names, so errors name what the user typed. */
export const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** A job's config from its input: defaults filled, the first problem as E_USAGE naming the flag. */
export function parseConfig<C extends z.ZodType>(schema: C, input: unknown): z.output<C> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length ? issue.path.map(String).join('.') : undefined;
  throw new MtrError(
    'E_USAGE',
    `${field ? `${flagName(field.split('.')[0]!)}${field.includes('.') ? field.slice(field.indexOf('.')) : ''}: ` : ''}${issue.message}`,
    { field },
    { cause: parsed.error },
  );
}
