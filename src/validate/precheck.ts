import type { ErrorObject } from 'ajv';
import { validateJson } from '../schema/json-schema.js';
import { parametersJsonSchema } from '../schema/tool-convert.js';
import type { ToolTemplate } from '../schema/tool.js';
import type { ToolError } from '../schema/trace.js';
import { type CoercePolicy, type Coercion, coerceArguments } from './coerce.js';

export type { CoercePolicy, Coercion }; // the pre-check's policy, for the roles that call it

const describe = (v: unknown): string => {
  const kind = v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  const shown = JSON.stringify(v);
  return `${kind} ${shown && shown.length > 40 ? `${shown.slice(0, 37)}...` : shown}`;
};

const paramName = (e: ErrorObject): string => e.instancePath.split('/').filter(Boolean).join('.');

const valueAt = (args: Record<string, unknown>, path: string): unknown =>
  path
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), args);

/** ajv's errors mapped to GTM's kinds, most fixable first: missing, excess, type, then value constraints. */
function toToolError(tool: ToolTemplate, args: Record<string, unknown>, errors: readonly ErrorObject[]): ToolError {
  const known = Object.keys(tool.parameters).join(', ') || 'none';
  const missing = errors.find((e) => e.keyword === 'required');
  if (missing) {
    const name = [paramName(missing), String(missing.params.missingProperty)].filter(Boolean).join('.');
    return {
      type: 'missing_required',
      parameter: name,
      message: `missing required parameter "${name}" (${tool.parameters[name]?.description ?? 'see the tool schema'})`,
    };
  }
  const excess = errors.find((e) => e.keyword === 'additionalProperties');
  if (excess) {
    const name = [paramName(excess), String(excess.params.additionalProperty)].filter(Boolean).join('.');
    return { type: 'excess_parameter', parameter: name, message: `unknown parameter "${name}"; ${tool.api_name} accepts: ${known}` };
  }
  const typed = errors.find((e) => e.keyword === 'type');
  if (typed) {
    const name = paramName(typed);
    return { type: 'type_error', parameter: name, message: `parameter "${name}": expected ${String(typed.params.type)}, got ${describe(valueAt(args, name))}` };
  }
  const first = errors[0]!;
  const name = paramName(first);
  const allowed = first.keyword === 'enum' ? ` (allowed: ${(first.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')})` : '';
  return {
    type: 'invalid_value',
    parameter: name,
    message: `parameter "${name}": ${first.message ?? 'invalid value'}${allowed}, got ${describe(valueAt(args, name))}`,
  };
}

/**
 * Validates a call against the tool's schema before any model sees it. Type errors, missing required and
 * excess parameters (and enum/range/format constraints) are answered here, deterministically, for free.
 */
export function precheckCall(tool: ToolTemplate, args: unknown): ToolError | undefined {
  if (!args || typeof args !== 'object' || Array.isArray(args)) {
    return { type: 'malformed_call', message: `arguments: expected a JSON object, got ${describe(args)}` };
  }
  const result = validateJson(parametersJsonSchema(tool), args);
  return result.ok ? undefined : toToolError(tool, args as Record<string, unknown>, result.errors);
}

export interface Precheck {
  error?: ToolError;
  /** the arguments the call is answered with: as sent, or read under the coercion policy */
  arguments: unknown;
  coerced: Coercion[];
}

/** The pre-check under a coercion policy: arguments that still fail after coercion are rejected as under strict. */
export function precheckArguments(tool: ToolTemplate, args: unknown, policy: CoercePolicy = 'strict'): Precheck {
  const read = coerceArguments(parametersJsonSchema(tool), args, policy);
  const error = precheckCall(tool, read.arguments);
  return { ...(error ? { error } : {}), arguments: read.arguments, coerced: read.coerced };
}

export function unknownToolError(name: string, available: readonly string[]): ToolError {
  return { type: 'unknown_tool', parameter: 'name', message: `no tool named "${name}"; available tools: ${available.join(', ')}` };
}
