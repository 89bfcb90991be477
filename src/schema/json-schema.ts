import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { RE2JS } from 're2js';
import { asMtrError, MtrError } from './errors.js';
import type { JsonSchema } from './tool-convert.js';

/**
 * `pattern`s come from model-written and user-given tool schemas: JavaScript's backtracking RegExp hangs on
 * `^(a+)+$` against 'aaaa…!', so they are compiled with RE2 (linear time). What RE2 cannot do (lookaround,
 * backreferences) is refused with the reason instead of run.
 */
export function compilePattern(pattern: string): { test: (s: string) => boolean } {
  try {
    return RE2JS.compile(pattern);
  } catch (e) {
    const shown = JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 77)}...` : pattern);
    throw new MtrError(
      'E_TOOL_SCHEMA',
      `pattern ${shown}: expected a regular expression a linear-time engine (RE2) accepts, got ${(e as Error).message}`,
      { pattern },
      { cause: e },
    );
  }
}
const regExp = Object.assign((pattern: string) => compilePattern(pattern), { code: 'compilePattern' });

/** Every `pattern` in a schema (properties, items, nested), with the reason each one is refused. */
export function patternErrors(schema: unknown, path = ''): string[] {
  if (!schema || typeof schema !== 'object') return [];
  if (Array.isArray(schema)) return schema.flatMap((v, i) => patternErrors(v, `${path}/${i}`));
  return Object.entries(schema).flatMap(([k, v]) => {
    if (k === 'pattern' && typeof v === 'string') {
      try {
        compilePattern(v);
        return [];
      } catch (e) {
        return [`${path || '/'}: ${(e as Error).message}`];
      }
    }
    return k === 'enum' || k === 'const' || k === 'default' || k === 'examples' ? [] : patternErrors(v, `${path}/${k}`);
  });
}

/**
 * The one ajv instance (JSON Schema 2020-12, what zod 4 emits). Compiled validators are cached by schema
 * text, so validating the same tool's calls a million times compiles once.
 */
const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false, code: { regExp } });
const byText = new Map<string, ValidateFunction>();
const byObject = new WeakMap<JsonSchema, ValidateFunction>(); // skips the stringify for schemas seen before

export function compileSchema(schema: JsonSchema): ValidateFunction {
  let fn = byObject.get(schema);
  if (fn) return fn;
  const key = JSON.stringify(schema);
  fn = byText.get(key);
  if (!fn) {
    try {
      fn = ajv.compile(schema);
    } catch (e) {
      throw asMtrError(e, 'E_TOOL_SCHEMA'); // ajv's own errors (an unresolvable $ref…) keep their message, the original as cause
    }
    byText.set(key, fn);
  }
  byObject.set(schema, fn);
  return fn;
}

/**
 * Is this a valid JSON Schema at all? Returns the meta-schema errors, or [] when valid. `compile: false` skips
 * the trial compile (10× the cost; a server with thousands of tools compiles each at its first call instead).
 */
export function metaSchemaErrors(schema: unknown, options: { compile?: boolean } = {}): string[] {
  const valid = ajv.validateSchema(schema as object);
  if (valid && options.compile === false) return patternErrors(schema);
  if (valid) {
    try {
      compileSchema(schema as JsonSchema); // catches bad regexes and unresolvable refs too
      return [];
    } catch (e) {
      return [(e as Error).message];
    }
  }
  return formatErrors(ajv.errors ?? []);
}

/** `/path: message` lines, the path in JSON Pointer form so it names the field. */
export function formatErrors(errors: readonly ErrorObject[]): string[] {
  return errors.map(
    (e) =>
      `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
  );
}

export function validateJson(schema: JsonSchema, value: unknown): { ok: true } | { ok: false; errors: readonly ErrorObject[] } {
  const fn = compileSchema(schema);
  return fn(value) ? { ok: true } : { ok: false, errors: fn.errors ?? [] };
}
