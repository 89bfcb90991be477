import { parseArgs } from 'node:util';
import { MtrError } from '../schema/errors.js';
import { didYouMean } from '../text/closest.js';

/**
 * Options are declared once — type, default, description, env fallback — and both parsing and `--help`
 * come from that declaration. Unknown flags are errors (node's strict parseArgs) naming the closest declared
 * ones, never ignored. A command with subcommands tags the options only some of them read (`subcommands`); a
 * flag given on the command line to a subcommand that does not read it is an error, whatever its value.
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
  /** the subcommands that read this option (absent: every subcommand); help is tagged with them */
  subcommands?: readonly string[];
}
export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'number' ? number : S['type'] extends 'boolean' ? boolean : string;
export type ParsedOptions<O extends OptionSpecs> = {
  [K in keyof O]: O[K] extends { default: unknown } | { required: true } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
};

export interface Command<O extends OptionSpecs = OptionSpecs> {
  name: string;
  summary: string;
  /** full invocations shown under "Examples" */
  examples: string[];
  options: O;
  /** what extra positional arguments mean, if any (e.g. "FILE…") */
  positionals?: string;
  /** the subcommand the positionals name (e.g. "tools import"), or undefined when they name none (run reports it) */
  subcommandOf?(positionals: string[]): string | undefined;
  run(options: ParsedOptions<O>, positionals: string[]): Promise<number | void>;
}

export const defineCommand = <O extends OptionSpecs>(command: Command<O>): Command<O> => command;

/**
 * Tags each option with the subcommands that read it, from one table (subcommand → option keys); options read by
 * every subcommand, and the `common` ones, stay untagged.
 */
export function forSubcommands<O extends OptionSpecs>(options: O, reads: Record<string, readonly (keyof O)[]>, common: readonly (keyof O)[] = []): O {
  const subs = Object.keys(reads);
  return Object.fromEntries(
    Object.entries(options).map(([key, spec]) => {
      const by = subs.filter((sub) => reads[sub]!.includes(key));
      return [key, common.includes(key) || by.length === subs.length ? spec : { ...spec, subcommands: by }];
    }),
  ) as O;
}

/** kebab-case flag names as written on the command line */
const flagOf = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Flags into typed options. `given` holds the keys written on the command line (not those from a default or the
 * environment): a flag a subcommand does not read is refused by whether it was given, never by its value.
 */
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
  const sub = command.positionals !== undefined ? command.subcommandOf?.(parsed.positionals) : undefined;
  if (sub !== undefined) {
    for (const key of given) {
      const subs = command.options[key]!.subcommands;
      if (subs && !subs.includes(sub)) throw new MtrError('E_USAGE', `--${flagOf(key)} does not apply to ${command.name} ${sub} (it is read by: ${subs.join(', ') || 'none'})`);
    }
  }
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
    const tag = spec.subcommands ? `[${spec.subcommands.join(', ')}] ` : '';
    return { left, right: `${tag}${spec.description}${extras.length ? ` (${extras.join('; ')})` : ''}` };
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
