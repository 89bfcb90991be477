import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { type FieldMeta, flagName, type Job, type JobHooks, parseConfig } from '../pipeline/job.js';
import { MtrError } from '../schema/errors.js';
import { didYouMean } from '../text/closest.js';

/**
 * Options are declared once — type, default, description, env fallback — and both parsing and `--help`
 * come from that declaration. Unknown flags are errors (node's strict parseArgs) naming the closest declared
 * ones, never ignored. Subcommands are data (`CommandGroup`): each leaf declares only the flags it reads, so a
 * flag it does not read is an unknown option, whatever its value.
 */
export interface OptionSpec {
  type: 'string' | 'number' | 'boolean';
  description: string;
  default?: string | number | boolean;
  /** environment variable used when the flag is absent */
  env?: string;
  /** value shown in help, e.g. FILE, URL, N */
  placeholder?: string;
  /** allowed values for string options */
  choices?: readonly string[];
  short?: string;
  required?: boolean;
  /** number options: whole numbers only, and their range */
  integer?: boolean;
  min?: number;
  max?: number;
}
export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'number' ? number : S['type'] extends 'boolean' ? boolean : string;
export type ParsedOptions<O extends OptionSpecs> = {
  [K in keyof O]: O[K] extends { default: unknown } | { required: true } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
};

/** Where a command writes: the process's streams, or a capture in tests (main(argv, io) runs in-process). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: progress redraws one line */
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
}

/** The real streams, looked up at each write (so a test that swaps process.stdout.write still sees the text). */
export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get isTTY() {
    return process.stderr.isTTY === true;
  },
  get env() {
    return process.env;
  },
};

export interface Command<O extends OptionSpecs = OptionSpecs> {
  name: string;
  summary: string;
  /** full invocations shown under "Examples" */
  examples: string[];
  options: O;
  /** what extra positional arguments mean, if any (e.g. "FILE…") */
  positionals?: string;
  run(options: ParsedOptions<O>, positionals: string[], io: Io): Promise<number | void>;
}

/** A command made of subcommands (`mtr carg single`, `mtr serve tools`): data, so each leaf has only its own flags. */
export interface CommandGroup {
  name: string;
  summary: string;
  subcommands: Record<string, Command<any> | CommandGroup>;
}

export const isGroup = (c: Command<any> | CommandGroup): c is CommandGroup => 'subcommands' in c;

export const defineCommand = <O extends OptionSpecs>(command: Command<O>): Command<O> => command;

/**
 * A job's config fields as flags: type, default, range, choices and description from zod, placeholder, env and
 * short from `.meta()` (see FieldMeta). `omit` leaves out fields the face fills itself (e.g. positionals).
 */
export function optionsFromSchema(schema: z.ZodObject, omit: readonly string[] = []): OptionSpecs {
  const out: OptionSpecs = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (omit.includes(key)) continue;
    out[key] = optionOf(key, field);
  }
  return out;
}

type ZodInternals = { _zod: { def: { type: string; innerType?: z.ZodType; defaultValue?: unknown } }; description?: string; minValue?: number; maxValue?: number; isInt?: boolean; options?: readonly string[] };

function optionOf(key: string, field: z.ZodType): OptionSpec {
  let meta: FieldMeta & { description?: string } = {};
  let optional = false;
  let def: unknown;
  let t = field as unknown as ZodInternals;
  for (;;) {
    meta = { ...(globalRegistryMeta(t) ?? {}), ...meta }; // the outermost meta wins
    const kind = t._zod.def.type;
    if (kind === 'optional') optional = true;
    else if (kind === 'default' || kind === 'prefault') def ??= t._zod.def.defaultValue;
    else break;
    t = t._zod.def.innerType as unknown as ZodInternals;
  }
  const kind = t._zod.def.type;
  const description = meta.description ?? t.description;
  if (!description) throw new MtrError('E_INTERNAL', `config field ${key}: no description (every flag is documented)`);
  const spec: OptionSpec = {
    type: kind === 'number' ? 'number' : kind === 'boolean' ? 'boolean' : 'string',
    description,
    ...(meta.placeholder ? { placeholder: meta.placeholder } : {}),
    ...(meta.env ? { env: meta.env } : {}),
    ...(meta.short ? { short: meta.short } : {}),
  };
  if (!['number', 'boolean', 'string', 'enum'].includes(kind)) throw new MtrError('E_INTERNAL', `config field ${key}: a ${kind} cannot be a flag (use a string, number, boolean or enum)`);
  if (kind === 'enum') spec.choices = t.options!;
  if (kind === 'number') {
    if (t.isInt) spec.integer = true;
    if (Number.isFinite(t.minValue) && Math.abs(t.minValue!) < Number.MAX_SAFE_INTEGER) spec.min = t.minValue!;
    if (Number.isFinite(t.maxValue) && Math.abs(t.maxValue!) < Number.MAX_SAFE_INTEGER) spec.max = t.maxValue!;
  }
  if (def !== undefined) spec.default = def as string | number | boolean;
  else if (!optional && kind !== 'boolean') spec.required = true;
  return spec;
}

const globalRegistryMeta = (t: unknown): (FieldMeta & { description?: string }) | undefined =>
  (t as { meta?: () => (FieldMeta & { description?: string }) | undefined }).meta?.();

/** How a job command presents itself: which field the positionals fill, face-only flags, and how the summary prints. */
export interface JobFace<C extends z.ZodObject, S extends z.ZodType, F extends OptionSpecs> {
  /** the config field the positional arguments fill (a string, or an array of strings) */
  positionals?: { key: keyof z.input<C> & string; placeholder: string };
  /** flags of the face itself (e.g. --json, --port), not part of the job's config */
  faceOptions?: F;
  /** flags → the job's input, when a flag's shape differs from the field (default: the flags as they are) */
  input?(options: Record<string, unknown>, positionals: string[]): z.input<C>;
  /** hooks for the running job (progress on stderr, Ctrl-C) */
  hooks?(io: Io, face: ParsedOptions<F>): JobHooks & { dispose?: () => void };
  /** prints the summary (text, or JSON with --json) and returns the exit code */
  print(summary: z.output<S>, io: Io, face: ParsedOptions<F>, config: z.input<C>): number | void;
}

/** A job as a CLI command: options from its config (plus the face's own), one job call, one print. */
export function jobCommand<C extends z.ZodObject, S extends z.ZodType, H extends JobHooks, F extends OptionSpecs = {}>(job: Job<C, S, H>, face: JobFace<C, S, F>): Command<any> {
  const positionalKey = face.positionals?.key;
  const options = { ...optionsFromSchema(job.config, positionalKey ? [positionalKey] : []), ...(face.faceOptions ?? {}) };
  return defineCommand({
    name: job.name,
    summary: job.description,
    examples: [...job.examples],
    options,
    ...(face.positionals ? { positionals: face.positionals.placeholder } : {}),
    async run(o, positionals, io) {
      const flags = o as Record<string, unknown>;
      const faceFlags = Object.fromEntries(Object.keys(face.faceOptions ?? {}).map((k) => [k, flags[k]])) as ParsedOptions<F>;
      const fields = Object.fromEntries(Object.entries(flags).filter(([k, v]) => !(k in (face.faceOptions ?? {})) && v !== undefined));
      if (positionalKey) fields[positionalKey] = isArrayField(job.config, positionalKey) ? positionals : positionals[0];
      else if (positionals.length) throw new MtrError('E_USAGE', `unexpected argument "${positionals[0]}"`);
      const input = face.input ? face.input(fields, positionals) : (fields as z.input<C>);
      parseConfig(job.config, input); // flag errors before any work, named by flag
      const hooks = face.hooks?.(io, faceFlags);
      let disposed = false;
      const dispose = () => {
        if (!disposed) (disposed = true), hooks?.dispose?.();
      };
      try {
        const summary = await job.run(input, hooks as H);
        dispose(); // the face's progress line ends (and its Ctrl-C handler goes) before the summary prints
        return face.print(summary, io, faceFlags, input) ?? 0;
      } finally {
        dispose();
      }
    },
  });
}

const isArrayField = (schema: z.ZodObject, key: string): boolean => {
  let t = (schema.shape as Record<string, unknown>)[key] as ZodInternals;
  while (['optional', 'default', 'prefault'].includes(t._zod.def.type)) t = t._zod.def.innerType as unknown as ZodInternals;
  return t._zod.def.type === 'array';
};

export { flagName };

/** kebab-case flag names as written on the command line */
const flagOf = (key: string): string => flagName(key).slice(2);

/** Flags into typed options. `given` holds the keys written on the command line (not those from a default or the environment). */
export function parseCommandArgs<O extends OptionSpecs>(
  command: Command<O>,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): { options: ParsedOptions<O>; positionals: string[]; given: ReadonlySet<string> } {
  const nodeOptions: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [key, spec] of Object.entries(command.options)) {
    nodeOptions[flagOf(key)] = { type: spec.type === 'boolean' ? 'boolean' : 'string', ...(spec.short ? { short: spec.short } : {}) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: nodeOptions, strict: true, allowPositionals: command.positionals !== undefined });
  } catch (e) {
    throw new MtrError('E_USAGE', unknownFlagMessage(e as Error & { code?: string }, Object.keys(nodeOptions)));
  }
  const given = new Set(Object.keys(command.options).filter((key) => parsed.values[flagOf(key)] !== undefined));
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(command.options)) {
    const flag = flagOf(key);
    const raw = parsed.values[flag] ?? (spec.env ? env[spec.env] || undefined : undefined);
    if (raw === undefined) {
      if (spec.required) throw new MtrError('E_USAGE', `missing required option --${flag}`);
      out[key] = spec.default;
      continue;
    }
    out[key] = coerce(flag, spec, raw as string | boolean);
  }
  return { options: out as ParsedOptions<O>, positionals: parsed.positionals, given };
}

/** node's first line; for an unknown --flag, the declared flags closest to it instead of node's hint about `--`. */
function unknownFlagMessage(e: Error & { code?: string }, flags: string[]): string {
  const first = e.message.split('\n')[0]!;
  const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /^Unknown option '--([^'=]+)'/.exec(first)?.[1] : undefined;
  if (unknown === undefined) return first;
  const hint = didYouMean(unknown, flags, (f) => `--${f}`);
  return hint ? `Unknown option '--${unknown}'${hint}` : first;
}

function coerce(flag: string, spec: OptionSpec, raw: string | boolean): string | number | boolean {
  if (spec.type === 'boolean') return raw === true || raw === 'true' || raw === '1';
  const value = String(raw);
  if (spec.type === 'number') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new MtrError('E_USAGE', `--${flag}: expected a number, got "${value}"`);
    if (spec.integer && !Number.isInteger(n)) throw new MtrError('E_USAGE', `--${flag}: expected a whole number, got ${value}`);
    if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
      throw new MtrError('E_USAGE', `--${flag}: expected ${rangeText(spec)}, got ${value}`);
    }
    return n;
  }
  if (spec.choices && !spec.choices.includes(value)) {
    throw new MtrError('E_USAGE', `--${flag}: expected one of ${spec.choices.join('|')}, got "${value}"`);
  }
  return value;
}

const rangeText = (spec: OptionSpec): string =>
  spec.min !== undefined && spec.max !== undefined ? `${spec.min} to ${spec.max}` : spec.min !== undefined ? `at least ${spec.min}` : `at most ${spec.max}`;

export function renderHelp(command: Command, program = 'mtr'): string {
  const rows = Object.entries(command.options).map(([key, spec]) => {
    const left = `  --${flagOf(key)}${spec.type === 'boolean' ? '' : ` ${spec.placeholder ?? spec.type.toUpperCase()}`}`;
    const extras = [
      spec.choices ? `one of ${spec.choices.join('|')}` : '',
      spec.default !== undefined && spec.default !== false ? `default ${JSON.stringify(spec.default)}` : '',
      spec.env ? `env ${spec.env}` : '',
      spec.required ? 'required' : '',
    ].filter(Boolean);
    return { left, right: `${spec.description}${extras.length ? ` (${extras.join('; ')})` : ''}` };
  });
  const width = Math.max(...rows.map((r) => r.left.length), 10) + 2;
  return [
    `${program} ${command.name}${command.positionals ? ` ${command.positionals}` : ''} [options]`,
    '',
    command.summary,
    '',
    'Options:',
    ...rows.map((r) => r.left.padEnd(width) + r.right),
    `  --help${' '.repeat(Math.max(2, width - 8))}Show this help`,
    '',
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}
