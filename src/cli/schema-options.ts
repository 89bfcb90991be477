import type { z } from 'zod';
import type { FieldMeta } from '../pipeline/job.js';
import { MtrError } from '../schema/errors.js';
import type { OptionSpec, OptionSpecs } from './command.js';

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

type ZodInternals = {
  _zod: { def: { type: string; innerType?: z.ZodType; defaultValue?: unknown } };
  description?: string;
  minValue?: number;
  maxValue?: number;
  isInt?: boolean;
  options?: readonly string[];
};

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
  if (!['number', 'boolean', 'string', 'enum'].includes(kind))
    throw new MtrError('E_INTERNAL', `config field ${key}: a ${kind} cannot be a flag (use a string, number, boolean or enum)`);
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

/** The field is a list (positional arguments fill it whole), not one value. */
export const isArrayField = (schema: z.ZodObject, key: string): boolean => {
  let t = (schema.shape as Record<string, unknown>)[key] as ZodInternals;
  while (['optional', 'default', 'prefault'].includes(t._zod.def.type)) t = t._zod.def.innerType as unknown as ZodInternals;
  return t._zod.def.type === 'array';
};
