import type { z } from 'zod';
import type { Job, JobHooks } from '../pipeline/job.js';
import { MtrError } from '../schema/errors.js';
import { type Command, defineCommand, type Io, type OptionSpecs, type ParsedOptions } from './command.js';
import { isArrayField, optionsFromSchema } from './schema-options.js';

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
export function jobCommand<C extends z.ZodObject, S extends z.ZodType, H extends JobHooks, F extends OptionSpecs = {}>(
  job: Job<C, S, H>,
  face: JobFace<C, S, F>,
): Command<any> {
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

/** `--json`, the face flag of every command with a summary: `what` says what the one JSON object holds. */
export const jsonOption = (what = 'the summary') =>
  ({ json: { type: 'boolean', description: `Print ${what} as one JSON object on stdout` } }) as const satisfies OptionSpecs;
