import type { FileTool } from '../schema/tool.js';
import type { Observation } from '../schema/trace.js';
import { badField, isObject, MAX_JSON_DEPTH, nestsDeeperThan, shown } from './middleware.js';
import { changeName, FUNCTION_NAME_MAX, standardize, toolbenchFunctionName } from '../pipeline/tool-service/names.js';

export { standardize } from '../pipeline/tool-service/names.js';

/**
 * StableToolBench's virtual API server (`POST /virtual`): `{category, tool_name, api_name, tool_input, strip,
 * toolbench_key}` → `{error, response}`. ToolBench names APIs `<api>_for_<tool>` in standardized form
 * (lower case, `_` for anything else), so the name is matched in those spellings too.
 */
export interface VirtualRequest {
  category: string;
  tool_name: string;
  api_name: string;
  /** parsed tool_input, or the text that would not parse */
  input: { ok: true; value: unknown } | { ok: false; text: string };
}

export interface VirtualResponse {
  error: string;
  response: string;
}

export function parseVirtualRequest(body: unknown): VirtualRequest {
  if (!isObject(body))
    throw badField('body', `expected {"category", "tool_name", "api_name", "tool_input", "strip"}, got ${Array.isArray(body) ? 'a list' : shown(body)}`);
  const b = body;
  for (const f of ['api_name', 'tool_name'])
    if (typeof b[f] !== 'string' || !(b[f] as string).trim()) throw badField(f, `expected a non-empty string, got ${shown(b[f])}`);
  for (const f of ['category', 'strip', 'toolbench_key'])
    if (b[f] !== undefined && typeof b[f] !== 'string') throw badField(f, `expected a string, got ${shown(b[f])}`);
  const raw = b.tool_input ?? '';
  let input: VirtualRequest['input'];
  if (typeof raw === 'string') {
    try {
      input = { ok: true, value: raw.trim() === '' ? {} : JSON.parse(raw) };
    } catch {
      input = { ok: false, text: raw };
    }
    // JSON text inside the body gets the body's depth limit (an object tool_input was checked with the body)
    if (input.ok && nestsDeeperThan(input.value, MAX_JSON_DEPTH))
      throw badField('tool_input', `expected JSON nested at most ${MAX_JSON_DEPTH} levels deep (the depth limit), got deeper`);
  } else input = { ok: true, value: raw };
  return { category: (b.category as string | undefined) ?? '', tool_name: b.tool_name as string, api_name: b.api_name as string, input };
}

/** The tool a `field` names: ToolBench's reader writes `Category/Tool` (or `Tool` without a category). */
const toolOfField = (field: string): string => field.slice(field.indexOf('/') + 1);

/**
 * The served tool a ToolBench request means: the exact name, the tool read from that very API (`source_name`
 * and the tool in `field`), `<api>_for_<tool>`, their standardized forms, ToolBench's `change_name` spelling
 * (`is_id` for `id`), or any of these cut to their last 64 characters as ToolBench cuts function names
 * (`name[-64:]`). A spelling several tools share goes to the one whose `field` names the request's tool; if that
 * does not single one out, none (the caller answers unknown_tool with the closest names).
 */
export function resolveVirtualName(
  names: readonly string[],
  toolName: string,
  apiName: string,
  toolOf: (name: string) => Pick<FileTool, 'field' | 'source_name'> | undefined = () => undefined,
): string | undefined {
  const tool = standardize(toolName);
  const bare = changeName(standardize(apiName)).split(`_for_${tool}`)[0]!;
  const exact = new Set(names);
  const found = [apiName, `${apiName}_for_${toolName}`].find((w) => exact.has(w));
  if (found) return found;
  const isTool = (n: string) => {
    const field = toolOf(n)?.field ?? '';
    return standardize(toolOfField(field)) === tool || standardize(field) === tool;
  };
  const sourced = names.filter((n) => toolOf(n)?.source_name === apiName && isTool(n));
  if (sourced.length === 1) return sourced[0];
  const byKey = new Map<string, Set<string>>();
  for (const n of names) {
    for (const key of [standardize(n), changeName(standardize(n)), toolbenchFunctionName(n, tool), standardize(n).slice(-FUNCTION_NAME_MAX)]) {
      const set = byKey.get(key) ?? new Set<string>();
      byKey.set(key, set.add(n));
    }
  }
  for (const w of [bare, `${bare}_for_${tool}`, standardize(apiName), `${bare}_for_${tool}`.slice(-FUNCTION_NAME_MAX)]) {
    const hits = [...(byKey.get(w) ?? [])];
    if (hits.length === 1) return hits[0];
    const own = hits.filter(isTool);
    if (own.length === 1) return own[0];
  }
  return undefined;
}

/** An observation in StableToolBench's shape: `error` empty on success, the response as JSON text. */
export function toVirtualResponse(o: Observation): VirtualResponse {
  const response = typeof o.content === 'string' ? o.content : JSON.stringify(o.content);
  return o.error ? { error: `${o.error.type}: ${o.error.message}`, response } : { error: '', response };
}

/** StableToolBench's own answer to tool_input that is not JSON. */
export const TOOL_INPUT_PARSE_ERROR: VirtualResponse = { error: 'Tool input parse error...\n', response: '' };

/** StableToolBench's error text for an API that is down (its client reports status 6). */
export const VIRTUAL_API_NOT_WORKING = 'API not working error...';
