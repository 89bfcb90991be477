import { MtrError } from '../schema/errors.js';
import type { ToolTemplate } from '../schema/tool.js';
import { sha256Hex } from '../text/hash.js';
import { loadToolsetFile, reportSkipped } from '../tools/toolset.js';

/** A run's fixed tool set (`--toolset FILE`): the usable tools, and their hash for the run key. */
export interface RunToolset {
  file: string;
  tools: ToolTemplate[];
  /** of the checked tools, not the file's bytes: a reformatted file with the same tools is the same run */
  sha256: string;
}

/**
 * Reads `--toolset FILE` with serve tools' reader; tools failing the tool check, or named like one of the
 * run's utility tools (the agent would see two of that name), are reported through `notice` and skipped.
 * E_USAGE when none is left.
 */
export function loadRunToolset(file: string, utilityTools: readonly string[], notice: (line: string) => void): RunToolset {
  const set = loadToolsetFile(file);
  const skipped = [...set.skipped];
  const tools = set.tools.filter((t) => {
    if (!utilityTools.includes(t.api_name)) return true;
    skipped.push({ where: `${file}: ${t.api_name}`, reasons: [`api_name: "${t.api_name}" is a utility tool of the run (--utility-tools)`] });
    return false;
  });
  reportSkipped(skipped, notice, '--toolset: ');
  if (!tools.length)
    throw new MtrError('E_USAGE', `--toolset: expected at least one usable tool in ${file}, got none (${skipped.length} skipped)`, { field: 'toolset' });
  return { file, tools, sha256: sha256Hex(JSON.stringify(tools)) };
}
