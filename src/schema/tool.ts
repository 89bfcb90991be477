import { z } from 'zod';

/**
 * The unified tool template (GTM / Seal-Tools): the one description of a tool that ToolMaker writes,
 * ToolActor is prompted with, and every export converts from.
 */
export const JSON_TYPES = ['string', 'integer', 'number', 'boolean', 'array', 'object', 'null'] as const;
export type JsonType = (typeof JSON_TYPES)[number];

/** Python-style and loose spellings seen in real tool files, mapped to JSON-Schema names. */
export const TYPE_ALIASES: Record<string, JsonType> = {
  str: 'string',
  string: 'string',
  text: 'string',
  date: 'string',
  datetime: 'string',
  int: 'integer',
  integer: 'integer',
  long: 'integer',
  float: 'number',
  double: 'number',
  number: 'number',
  decimal: 'number',
  bool: 'boolean',
  boolean: 'boolean',
  list: 'array',
  array: 'array',
  tuple: 'array',
  dict: 'object',
  object: 'object',
  map: 'object',
  json: 'object',
  null: 'null',
  none: 'null',
  nonetype: 'null',
  // ToolBench (RapidAPI) parameter types, sent as text: `ENUM`, `TIME (24-hour HH:MM)`, `GEOPOINT (latitude, longitude)`…
  enum: 'string',
  time: 'string',
  geopoint: 'string',
  credentials: 'string',
  file: 'string',
  binary: 'string', // an upload's content (StableToolBench G1_category: `imageData`)
  // BFCL's Java and JavaScript categories (`String`, `HashMap`, `ArrayList`, `char`…); its `any` is ANY_TYPE_NAME
  hashmap: 'object',
  arraylist: 'array',
  char: 'string',
  short: 'integer',
  byte: 'integer',
};

/** The type name that means any JSON value (BFCL): read as every JSON type, by the one tool check. */
export const ANY_TYPE_NAME = 'any';

// Recursive through getters (zod 4), so the type is inferred, not written twice.
// Extra JSON-Schema keywords pass through untouched (looseObject).
export const ParamSpecSchema = z.looseObject({
  type: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  description: z.string().optional(),
  enum: z.array(z.unknown()).optional(),
  get items() {
    return ParamSpecSchema.optional();
  },
  get properties() {
    return z.record(z.string(), ParamSpecSchema).optional();
  },
  required: z.array(z.string()).optional(),
  default: z.unknown().optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  format: z.string().optional(),
  pattern: z.string().optional(),
});
export type ParamSpec = z.infer<typeof ParamSpecSchema>;

export const ToolTemplateSchema = z.object({
  api_name: z.string().min(1),
  api_description: z.string(),
  field: z.string().optional(),
  parameters: z.record(z.string(), ParamSpecSchema),
  required: z.array(z.string()).default([]),
  responses: z.record(z.string(), ParamSpecSchema).default({}),
});
export type ToolTemplate = z.infer<typeof ToolTemplateSchema>;

/**
 * A tool read from a file (served, stored by carg): the template, and the name the file gives the tool when
 * `api_name` is derived from it — ToolBench's API name before `<api>_for_<tool>` (lower snake case, last 64
 * characters); its tool is in `field` (`Category/Tool`) — so a normalised or cut name maps back. Never asked of
 * ToolMaker (its schema stays ToolTemplateSchema).
 */
export const FileToolSchema = ToolTemplateSchema.extend({ source_name: z.string().min(1).optional() });
export type FileTool = z.infer<typeof FileToolSchema>;

/** How a tool in a run is answered. */
export const ToolOriginSchema = z.enum(['maker', 'utility', 'user']);
export type ToolOrigin = z.infer<typeof ToolOriginSchema>;

/** An OpenAI function-calling tool definition (chat completions `tools[]`). */
export const OpenAIFunctionSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type OpenAIFunction = z.infer<typeof OpenAIFunctionSchema>;
