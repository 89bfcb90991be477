import { readFileSync } from 'node:fs';
import { inputError, MtrError } from '../schema/errors.js';
import { parseToolText, splitField, type ToolCandidate, type ToolFormat } from '../schema/tool-file.js';
import { isSqliteFile, openStore } from '../store/index.js';

export { splitField, TOOL_FORMATS, type ToolFormat } from '../schema/tool-file.js';
export type Candidate = ToolCandidate;

/** A tool file's candidates through the one reader `serve tools` uses too; an mtr run store is read here. */
export async function readToolFile(file: string): Promise<{ format: ToolFormat; candidates: Candidate[] }> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw inputError('E_INPUT', file, undefined, undefined, `cannot read tool file: ${(e as Error).message}`);
  }
  if (isSqliteFile(bytes)) {
    // the tools a ToolMaker run produced, so they can be audited and filtered like any tool file
    const tools = await runStoreTools(file);
    return {
      format: 'mtr-run',
      candidates: tools.map((t) => ({
        source: `${file}#tools/${t.id}`,
        format: 'mtr-run' as const,
        raw: t.tool,
        ...splitField((t.tool as { field?: unknown }).field),
      })),
    };
  }
  return parseToolText(bytes.toString('utf8'), file);
}

/** The tools ToolMaker wrote and the checks accepted in a run store, read through the store interface, read-only. */
async function runStoreTools(file: string) {
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    store = await openStore(file, { readonly: true });
    return await store.runs.tools({ origin: 'maker' });
  } catch (e) {
    throw new MtrError('E_INPUT', `${file}: expected an mtr run store with a tools table, got: ${(e as Error).message}`, undefined, { cause: e });
  } finally {
    await store?.close();
  }
}
