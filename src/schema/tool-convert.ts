import { JSON_TYPES, TYPE_ALIASES, type JsonType, type OpenAIFunction, type ParamSpec, type ToolTemplate } from './tool.js';

export type JsonSchema = Record<string, unknown>;

/** `str` → `string`, `List[str]` → `array`, unknown spellings → undefined (the caller decides). */
export function normalizeType(type: string): JsonType | undefined {
  const t = type
    .trim()
    .toLowerCase()
    .replace(/\s*\(.*\)$/, ''); // `DATE (YYYY-MM-DD)` → `date`
  if ((JSON_TYPES as readonly string[]).includes(t)) return t as JsonType;
  if (TYPE_ALIASES[t]) return TYPE_ALIASES[t];
  const generic = /^(\w+)\s*\[/.exec(t); // List[str], Dict[str, int], Optional[int]
  if (generic?.[1]) {
    if (generic[1] === 'optional') return normalizeType(t.slice(t.indexOf('[') + 1, t.lastIndexOf(']')));
    return TYPE_ALIASES[generic[1]];
  }
  return undefined;
}

/**
 * Keywords carried from a parameter spec into its JSON Schema. Tool files put other things beside them
 * (Seal-Tools writes `"examples": "e.g. …"` as a string, which is not JSON Schema): those stay in the
 * template for the prompt but are left out of what ajv validates against.
 */
const SCHEMA_KEYWORDS = [
  'description',
  'enum',
  'const',
  'default',
  'format',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
] as const;

/** One parameter spec as JSON Schema; unknown type names are left unconstrained rather than guessed. */
export function paramToJsonSchema(spec: ParamSpec): JsonSchema {
  const { type, items, properties, required } = spec;
  const out: JsonSchema = {};
  for (const k of SCHEMA_KEYWORDS) if (spec[k] !== undefined) out[k] = spec[k];
  if (Array.isArray(spec.examples)) out.examples = spec.examples;
  const types = (Array.isArray(type) ? type : [type]).map(normalizeType).filter((t): t is JsonType => t !== undefined);
  if (types.length === 1) out.type = types[0];
  else if (types.length > 1) out.type = [...new Set(types)];
  if (items) out.items = paramToJsonSchema(items);
  if (properties) out.properties = objectProperties(properties);
  if (required) out.required = required;
  return enumOnElements(out);
}

/**
 * `enum` on an array parameter (BFCL writes `{type: 'array', items: {type: 'string'}, enum: ['a', 'b']}`) means
 * each element is one of the values: it moves onto `items`. Only values that are arrays themselves keep the
 * whole-array meaning. Here, once, so import, serve and the pre-check agree.
 */
function enumOnElements(out: JsonSchema): JsonSchema {
  if (out.type !== 'array' || !Array.isArray(out.enum) || out.enum.every(Array.isArray)) return out;
  const { enum: values, ...rest } = out;
  const items = (out.items ?? {}) as JsonSchema;
  return { ...rest, items: { ...items, enum: items.enum ?? values } };
}

function objectProperties(params: Record<string, ParamSpec>): Record<string, JsonSchema> {
  return Object.fromEntries(Object.entries(params).map(([name, spec]) => [name, paramToJsonSchema(spec)]));
}

/** Derived schemas per tool object: validation runs on every call, the conversion once. */
const memo = <T extends object>(fn: (tool: T) => JsonSchema): ((tool: T) => JsonSchema) => {
  const cache = new WeakMap<T, JsonSchema>();
  return (tool) => {
    let schema = cache.get(tool);
    if (!schema) cache.set(tool, (schema = fn(tool)));
    return schema;
  };
};

/** The JSON Schema a call's arguments must satisfy. Unknown parameters are errors (GTM "excess parameter"). */
export const parametersJsonSchema = memo((tool: ToolTemplate): JsonSchema => {
  return {
    type: 'object',
    properties: objectProperties(tool.parameters),
    required: tool.required,
    additionalProperties: false,
  };
});

/** The JSON Schema a simulated observation must satisfy: every declared response field, nothing else required. */
export const responsesJsonSchema = memo((tool: ToolTemplate): JsonSchema => {
  const names = Object.keys(tool.responses);
  return {
    type: 'object',
    properties: objectProperties(tool.responses),
    required: names,
    additionalProperties: names.length === 0,
  };
});

export function toOpenAIFunction(tool: ToolTemplate): OpenAIFunction {
  return {
    type: 'function',
    function: { name: tool.api_name, description: tool.api_description, parameters: parametersJsonSchema(tool) },
  };
}

/** OpenAI function → unified template; responses are unknown in that format and stay empty. */
export function fromOpenAIFunction(fn: OpenAIFunction, field?: string): ToolTemplate {
  const params = (fn.function.parameters ?? {}) as { properties?: Record<string, ParamSpec>; required?: string[] };
  return {
    api_name: fn.function.name,
    api_description: fn.function.description ?? '',
    ...(field === undefined ? {} : { field }),
    parameters: params.properties ?? {},
    required: params.required ?? [],
    responses: {},
  };
}
