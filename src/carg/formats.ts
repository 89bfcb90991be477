import { readFileSync } from 'node:fs';
import { inputError } from '../schema/errors.js';
import { parseToolText, splitField, type ToolCandidate, type ToolFormat } from '../schema/tool-file.js';
import { isSqliteFile, readRunTools } from '../store/carg.js';

export { splitField, TOOL_FORMATS, type ToolFormat } from '../schema/tool-file.js';
export type Candidate = ToolCandidate;

/** A tool file's candidates through the one reader `serve tools` uses too; an mtr run store is read here. */
export function readToolFile(file: string): { format: ToolFormat; candidates: Candidate[] } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw inputError('E_INPUT', file, undefined, undefined, `cannot read tool file: ${(e as Error).message}`);
  }
  if (isSqliteFile(bytes)) {
    // the tools a ToolMaker run produced, so they can be audited and filtered like any tool file
    return { format: 'mtr-run', candidates: readRunTools(file).map((t) => ({ source: `${file}#tools/${t.id}`, format: 'mtr-run' as const, raw: t.schema, ...splitField((t.schema as { field?: unknown }).field) })) };
  }
  return parseToolText(bytes.toString('utf8'), file);
}
