import { type Observation, type ToolCall, ToolErrorSchema } from '../schema/trace.js';
import { type GrammarError, grammarError } from './errors.js';
import { jsonErrorOffset } from './json-offset.js';

type Parsed<T> = { ok: true; value: T } | { ok: false; error: GrammarError };

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON text → value, or bad_json at the offending character (offset = where `text` starts). */
export function parseJsonAt(text: string, offset: number, what: string, messageIndex?: number): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const at = jsonErrorOffset(text);
    const got = at >= text.length ? 'end of text' : JSON.stringify(text.slice(at, at + 12));
    return { ok: false, error: grammarError('bad_json', offset + Math.max(at, 0), `${what}: expected JSON, got ${got}`, messageIndex) };
  }
}

/** The body of `<tool_call>`: `{"name": string, "arguments": {…}}`. */
export function parseCallBody(body: string, offset: number, messageIndex?: number): Parsed<ToolCall> {
  const parsed = parseJsonAt(body, offset, 'tool_call', messageIndex);
  if (!parsed.ok) return parsed;
  const v = parsed.value;
  const bad = (detail: string): Parsed<ToolCall> => ({ ok: false, error: grammarError('bad_call', offset, detail, messageIndex) });
  if (!isPlainObject(v)) return bad(`tool_call: expected an object {"name","arguments"}, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  if (typeof v.name !== 'string' || v.name === '') return bad(`tool_call.name: expected a non-empty string, got ${JSON.stringify(v.name) ?? 'nothing'}`);
  if (!isPlainObject(v.arguments))
    return bad(`tool_call.arguments: expected an object, got ${v.arguments === undefined ? 'nothing' : JSON.stringify(v.arguments)}`);
  return { ok: true, value: { name: v.name, arguments: v.arguments } };
}

/** OpenAI `function.arguments`: a JSON string (the API's form) or an already-parsed object. */
export function parseArguments(args: unknown, name: string, field: string, messageIndex?: number): Parsed<ToolCall> {
  const bad = (detail: string): Parsed<ToolCall> => ({ ok: false, error: grammarError('bad_call', 0, detail, messageIndex) });
  if (name === '') return bad(`${field}.name: expected a non-empty string, got ""`);
  let value: unknown = args;
  if (typeof args === 'string') {
    const parsed = parseJsonAt(args.trim() === '' ? '{}' : args, 0, `${field}.arguments`, messageIndex);
    if (!parsed.ok) return parsed;
    value = parsed.value;
  }
  if (!isPlainObject(value)) return bad(`${field}.arguments: expected an object, got ${JSON.stringify(value)}`);
  return { ok: true, value: { name, arguments: value } };
}

/**
 * A tool response as an Observation: JSON when it is JSON, else the trimmed text. `{"error": {type,…}}`
 * in the one ToolError shape becomes `observation.error` (the efficiency reward counts those).
 */
export function parseObservation(body: string, source: Observation['source']): Observation {
  const text = body.trim();
  let content: unknown = text;
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      content = JSON.parse(text);
    } catch {
      content = text;
    }
  }
  const error = isPlainObject(content) ? ToolErrorSchema.safeParse(content.error) : undefined;
  return error?.success ? { content, error: error.data, source } : { content, source };
}

export { renderCall } from '../schema/trace-text.js';

export function renderObservation(observation: Observation): string {
  const content = observation.content !== undefined ? observation.content : observation.error ? { error: observation.error } : '';
  return typeof content === 'string' ? content : JSON.stringify(content);
}

/**
 * The one definition of "the same call", shared by ToolActor (replay within a trace, the run's actor cache key),
 * the `repeated_call` check and the efficiency reward. Two calls are the same when they name the same tool
 * (exactly) and their arguments have the same canonical form: object keys sorted (at any depth); strings
 * NFKC-normalised, trimmed, inner whitespace collapsed to one space and lower-cased; numbers, booleans, null
 * and array order kept as they are, so `1` and `"1"` stay two calls. `{"query": " Paris "}` and
 * `{"query": "paris"}` are one call: the actor answers the second from the first, so the second taught the
 * agent nothing and the check and the reward count it as a repeat.
 */
export function canonicalValue(value: unknown): unknown {
  if (typeof value === 'string') return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonicalValue((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** JSON of the canonical form (the actor cache stores arguments, and keys tools, in this form). */
export const canonicalJson = (value: unknown): string => JSON.stringify(canonicalValue(value));

/** A call's identity as a string: equal for the same call (see canonicalValue), different otherwise. */
export const callKey = (call: { name: string; arguments: unknown }): string => JSON.stringify([call.name, canonicalValue(call.arguments)]);

/** Same tool, same canonical arguments. */
export const sameCall = (a: { name: string; arguments: unknown }, b: { name: string; arguments: unknown }): boolean => callKey(a) === callKey(b);
