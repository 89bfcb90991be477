import type { ToolError } from '../../schema/trace.js';
import { editDistance } from '../../text/closest.js';

/**
 * Tool-name rules shared by the tool server's faces: ToolBench's spellings (StableToolBench `server/utils.py`,
 * `toolbench/utils.py`, `rapidapi.py`) and the "did you mean" list of an unknown name.
 */

import { changeName, standardize } from '../../schema/toolbench-name.js';

export { changeName, FUNCTION_NAME_MAX, RESERVED_RENAMES, standardize, toolbenchFunctionName } from '../../schema/toolbench-name.js';

/**
 * Arguments as the tool declares them: a key ToolBench renamed (`change_name(standardize(p))`, e.g. `is_from`)
 * goes back to the tool's parameter `p` when the tool has no parameter of that name itself.
 */
export function undoArgumentRenames(args: unknown, parameters: readonly string[]): unknown {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return args;
  const own = new Set(parameters);
  const back = new Map<string, string>();
  for (const p of parameters) {
    const renamed = changeName(standardize(p));
    if (!own.has(renamed) && !back.has(renamed)) back.set(renamed, p);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    const p = own.has(k) ? k : back.get(k);
    out[p !== undefined && !(p in out) ? p : k] = v;
  }
  return out;
}

/** At most this many names in an unknown-tool error: a hint, not the catalogue (that is GET /v1/tools). */
export const MAX_SUGGESTIONS = 10;

/** The served names closest to `name` (edit distance on standardized forms; containing it counts as close). */
export function closeNames(name: string, names: readonly string[], n = MAX_SUGGESTIONS): string[] {
  const want = standardize(name);
  const scored = names.map((candidate) => {
    const s = standardize(candidate);
    const d = want && (s.includes(want) || want.includes(s)) ? Math.abs(s.length - want.length) / 4 : editDistance(want, s);
    return { candidate, d };
  });
  return scored
    .sort((a, b) => a.d - b.d || a.candidate.localeCompare(b.candidate))
    .slice(0, n)
    .map((s) => s.candidate);
}

/** The unknown-tool error of a server with many tools: the closest names only, and where to find the rest. */
export function unknownToolWithSuggestions(name: string, names: readonly string[]): ToolError {
  const close = closeNames(name, names);
  const more = names.length > close.length ? ` (closest ${close.length} of ${names.length}; GET /v1/tools lists every tool)` : '';
  return { type: 'unknown_tool', parameter: 'name', message: `no tool named "${name}"; available tools: ${close.join(', ')}${more}` };
}
