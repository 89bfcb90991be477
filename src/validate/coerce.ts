import { z } from 'zod';
import type { JsonSchema } from '../schema/tool-convert.js';

/**
 * How the pre-check treats numbers and booleans sent as strings (data that stores `"3"` for an integer).
 * strict: as sent (a type_error). strings: a string the schema could only mean as a number or boolean is read as one.
 */
export const COERCE_POLICIES = ['strict', 'strings'] as const;
export const CoercePolicySchema = z.enum(COERCE_POLICIES);
export type CoercePolicy = z.infer<typeof CoercePolicySchema>;

/**
 * The flag, declared once for generate, serve tools and validate/export. Optional rather than defaulted: an
 * absent policy is strict, and configs without it keep their run key and verdict hash.
 */
export const CoerceField = CoercePolicySchema.optional().meta({
  description:
    'How the pre-check treats numbers and booleans sent as strings: strict rejects them (type_error); strings reads "3" as 3 and "true" as true where the parameter cannot be a string. Default: strict (validate and export: the policy the run was generated with)',
});

export interface Coercion {
  /** where, as `a.b[0]` */
  parameter: string;
  from: 'string';
  to: 'integer' | 'number' | 'boolean';
}

// Exactly a JSON number literal: no surrounding spaces, no hex, no "NaN"/"Infinity", no leading zeros or "+".
// Untrimmed on purpose: data that stores numbers as strings writes them exact; " 7 " was not written as a number.
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

const typesOf = (schema: JsonSchema): readonly unknown[] | undefined =>
  schema.type === undefined ? undefined : Array.isArray(schema.type) ? schema.type : [schema.type];

/** The value a string stands for under this schema, or undefined when it stays a string. */
function fromString(value: string, schema: JsonSchema): { value: number | boolean; to: Coercion['to'] } | undefined {
  const types = typesOf(schema);
  if (!types || types.includes('string')) return undefined; // a string is allowed (or any type is): nothing to read into it
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return { value: value === 'true', to: 'boolean' };
  if (!JSON_NUMBER.test(value)) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) return undefined; // "1e400"
  if (types.includes('integer') && Number.isInteger(n)) return { value: n, to: 'integer' };
  if (types.includes('number')) return { value: n, to: 'number' };
  return undefined; // "2.5" where only an integer fits stays a string: the type_error names it
}

function walk(value: unknown, schema: JsonSchema | undefined, path: string, out: Coercion[]): unknown {
  if (!schema || typeof schema !== 'object') return value;
  if (typeof value === 'string') {
    const read = fromString(value, schema);
    if (!read) return value;
    out.push({ parameter: path, from: 'string', to: read.to });
    return read.value;
  }
  if (Array.isArray(value)) {
    const items = schema.items as JsonSchema | undefined;
    if (!items || Array.isArray(items)) return value;
    const next = value.map((v, i) => walk(v, items, `${path}[${i}]`, out));
    return next.some((v, i) => v !== value[i]) ? next : value;
  }
  if (value && typeof value === 'object') {
    const properties = schema.properties as Record<string, JsonSchema> | undefined;
    if (!properties) return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const next = entries.map(([k, v]) => [k, Object.hasOwn(properties, k) ? walk(v, properties[k], path ? `${path}.${k}` : k, out) : v] as const);
    return next.some(([, v], i) => v !== entries[i]![1]) ? Object.fromEntries(next) : value;
  }
  return value;
}

/**
 * Call arguments read under a policy, against the tool's parameter schema (properties of nested objects and array
 * items included). Pure: the input is never mutated (a changed object is a copy). Not ajv's `coerceTypes`: it
 * also turns numbers into strings, null into "" and wraps scalars into arrays, far looser than strings-as-numbers.
 */
export function coerceArguments(schema: JsonSchema, args: unknown, policy: CoercePolicy): { arguments: unknown; coerced: Coercion[] } {
  if (policy === 'strict') return { arguments: args, coerced: [] };
  const coerced: Coercion[] = [];
  return { arguments: walk(args, schema, '', coerced), coerced };
}
