/**
 * ToolBench's function-name rule (StableToolBench `server/utils.py`, `toolbench/utils.py`), in records so both
 * the tool-file reader and the tool server's `/virtual` use this one copy.
 */

/** ToolBench's `standardize`: non-word characters → `_`, runs of `_` collapsed, lower case, no edge `_`, `get_` before a digit. */
export function standardize(name: string): string {
  const s = name
    .replace(/[^\u4e00-\u9fa5a-zA-Z0-9_^]/g, '_')
    .replace(/_{2,}/g, '_')
    .toLowerCase()
    .replace(/^_+|_+$/g, '');
  return /^[0-9]/.test(s) ? `get_${s}` : s;
}

/** ToolBench's `change_name`: Python reserved words get an `is_` prefix (`from` → `is_from`, `id` → `is_id`). */
export const RESERVED_RENAMES = ['from', 'class', 'return', 'false', 'true', 'id', 'and'] as const;
export const changeName = (name: string): string => ((RESERVED_RENAMES as readonly string[]).includes(name) ? `is_${name}` : name);

/** ToolBench's function name: `change_name(standardize(api))_for_<tool>`, keeping the last 64 characters (`[-64:]`). */
export const FUNCTION_NAME_MAX = 64;
export const toolbenchFunctionName = (api: string, tool: string): string => `${changeName(standardize(api))}_for_${tool}`.slice(-FUNCTION_NAME_MAX);
