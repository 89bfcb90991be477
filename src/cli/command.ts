import { parseArgs } from 'node:util';
import { flagName } from '../pipeline/job.js';
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
