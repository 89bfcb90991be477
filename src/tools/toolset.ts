import { existsSync, readFileSync } from 'node:fs';
import { MtrError } from '../schema/errors.js';
import { checkToolCandidate } from '../schema/tool-check.js';
import type { ToolTemplate } from '../schema/tool.js';
import { parseToolText } from '../schema/tool-file.js';
import { type RunRef, resolveRuns } from '../schema/run-ref.js';
import { isPostgresUrl, openStore, type Store, storeExists, storeName } from '../store/index.js';
import type { DatasetItem } from '../schema/item.js';

/**
 * A tool set to serve: any tool file `carg tools import` reads, or the tools a run's ToolMaker made. Real
 * files have quirks (the same name in two groups, an unknown type): such tools are skipped with the reason
 * and where they are, not fatal.
 */
export interface Toolset {
  source: string;
  tools: ToolTemplate[];
  skipped: { where: string; reasons: string[] }[];
  /** names changed to be callable (`getPM2.5Level` → `getPM2_5Level`), with where */
  renamed?: { where: string; note: string }[];
  /** the run's items, in run order (from --from-run): sessions can then be grounded by item id */
  items?: DatasetItem[];
}

/** Skipped tools shown one by one (the rest counted): enough to see why without flooding the terminal. */
const SKIPPED_SHOWN = 5;

/** Tells `notice` which tools were skipped and why, each line after `prefix` (e.g. the flag). */
export function reportSkipped(skipped: Toolset['skipped'], notice: (line: string) => void, prefix = ''): void {
  for (const s of skipped.slice(0, SKIPPED_SHOWN)) notice(`${prefix}skipped ${s.where}: ${s.reasons.join('; ')}`);
  if (skipped.length > SKIPPED_SHOWN) notice(`${prefix}… and ${skipped.length - SKIPPED_SHOWN} more tools skipped`);
}

/** A tool as found in a file (or a run), before it is checked. */
export interface ToolCandidate {
  /** `file:line` or `file#/tools/3/functions/1` */
  where: string;
  value: unknown;
}

/**
 * Checks candidates with the one tool check `carg tools import` uses (src/schema/tool-check.ts), so a file
 * gives the same usable tools and the same reasons in both; then merges by name: identical copies are one
 * tool, a different tool of a taken name is skipped. What the file leaves out is served as it is: no
 * responses → free-form answers, no type → any value, no description → none.
 */
export function buildToolset(source: string, candidates: readonly ToolCandidate[]): Toolset {
  const byName = new Map<string, { tool: ToolTemplate; where: string; text: string }>();
  const skipped: Toolset['skipped'] = [];
  const renamed: NonNullable<Toolset['renamed']> = [];
  for (const { where, value } of candidates) {
    const c = checkToolCandidate(value);
    if (!c.servable) {
      skipped.push({ where, reasons: c.refused });
      continue;
    }
    const tool = c.servable;
    const text = JSON.stringify(tool);
    const first = byName.get(tool.api_name);
    if (!first) byName.set(tool.api_name, { tool, where, text });
    else if (first.text !== text) {
      skipped.push({ where, reasons: [`api_name: "${tool.api_name}" is already taken by a different tool at ${first.where}`] });
      continue;
    }
    renamed.push(...c.notes.map((note) => ({ where, note })));
  }
  return { source, tools: [...byName.values()].map((v) => v.tool), skipped, renamed };
}

/** The candidates in a tool file, read by the one reader `carg tools import` uses too (every layout it knows). */
export function readToolFile(file: string): ToolCandidate[] {
  if (!existsSync(file)) throw new MtrError('E_USAGE', `--toolset: expected an existing tool file, got "${file}" (not found)`);
  const bytes = readFileSync(file);
  if (bytes.subarray(0, 16).toString('latin1') === 'SQLite format 3\0')
    throw new MtrError('E_USAGE', `--toolset: expected a tool file, got an SQLite store "${file}" (serve a run's tools with --from-run ${file})`);
  return parseToolText(bytes.toString('utf8'), file).candidates.map((c) => ({ where: c.source, value: c.raw }));
}

export const loadToolsetFile = (file: string): Toolset => buildToolset(file, readToolFile(file));

/** `DB[:RUN]` (`--from-run`) → the open store, its name (a path, or a URL without its password) and the run it names (RUN: key or id; optional when the store holds one run). */
export async function openRunSpec(spec: string): Promise<{ store: Store; path: string; run: RunRef }> {
  const at = /^(.*?)(?::([^:/\\]+))?$/.exec(spec)!;
  // a file may have a colon in its name; a URL's last `:NAME` (no slash after it) is always the run
  const [path, run] = !isPostgresUrl(spec) && existsSync(spec) ? [spec, undefined] : [at[1]!, at[2]];
  if (!path || !(await storeExists(path))) throw new MtrError('E_USAGE', `--from-run: expected DB[:RUN] naming an existing store file, got "${spec}"`);
  const store = await openStore(path);
  try {
    return { store, path: storeName(path), run: pickRun(await store.runs.list(), run) }; // a URL's password is never shown
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** `DB[:RUN]` → the accepted tools of the run's finished traces, and its items. */
export async function loadToolsetFromRun(spec: string): Promise<Toolset> {
  const { store, path, run: found } = await openRunSpec(spec);
  try {
    const tools = await store.runs.tools({ runId: found.id, finishedOnly: true });
    const set = buildToolset(
      `${path}:${found.key}`,
      tools.map((t) => ({ where: `${path}: run ${found.key}: trace ${t.trace_id} (${t.item_id})`, value: t.tool })),
    );
    return { ...set, items: await store.items.list(found.id) };
  } finally {
    await store.close();
  }
}

/** The run `RUN` names (key or id); with none named, the store's only run. */
function pickRun(runs: readonly RunRef[], run: string | undefined): RunRef {
  if (run !== undefined) return runs.find((r) => r.id === resolveRuns(runs, run, '--from-run')[0])!; // the one --run resolver
  const found = runs.length === 1 ? runs[0] : undefined;
  if (found) return found;
  if (!runs.length) throw new MtrError('E_USAGE', 'run: expected a store with a run, got a store with no runs');
  const known = runs.map((r) => `${r.id} (${r.key})`).join(', ');
  throw new MtrError(
    'E_USAGE',
    `run: expected ${run === undefined ? 'a run name (the store holds several)' : 'a run key or id in the store'}, got ${run === undefined ? 'none' : `"${run}"`}; runs: ${known}`,
  );
}
