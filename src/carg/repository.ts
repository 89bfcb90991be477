import type { RoleModel } from '../llm/role.js';
import type { CargToolStatus, NewCargTool } from '../schema/carg.js';
import type { CargRepository } from '../store/index.js';
import { MtrError } from '../schema/errors.js';
import { checkToolCandidate } from '../schema/tool-check.js';
import { checkTool } from '../validate/tool-schema.js';
import { completeTool } from './complete.js';
import { type Embedder, findDuplicates } from './dedup.js';
import { type Candidate, readToolFile, type ToolFormat } from './formats.js';
import { normalizeCandidate } from './normalize.js';

export interface ImportOptions {
  /** cosine similarity of names at or above which a tool is a near duplicate (default 0.8) */
  threshold?: number;
  /** dense embeddings for dedup; absent → the offline character n-gram TF-IDF vectoriser */
  embedder?: Embedder;
  /** the model that fills missing response schemas and types (`--complete`); absent → such tools stay `incomplete` */
  completer?: RoleModel;
  onProgress?: (p: { stage: 'complete'; done: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface ImportSummary {
  files: { file: string; format: ToolFormat; tools: number }[];
  /** files that could not be read, each with why; the others are imported all the same */
  failed: { file: string; error: string }[];
  /** tools already in the repository from the same place, left as they are (re-importing changes nothing) */
  unchanged: number;
  /** accepted into the repository (after completion) */
  imported: number;
  /** kept, but unusable until `--complete` fills what the file left out */
  incomplete: number;
  rejected: number;
  duplicates: number;
  /** tools the model completed in this run (earlier incomplete ones included) */
  completed: number;
  /** each rejected, incomplete or duplicate tool counted once per kind of reason */
  by_reason: Record<string, number>;
  /** names changed to be callable, with the original kept in the tool's notes */
  renamed: number;
  problems: { name: string; source: string; status: CargToolStatus; reasons: string[] }[];
}

/** A reason's kind, for counting: the message names the field, the kind groups like problems. */
export function reasonKind(reason: string): string {
  if (reason.startsWith('duplicate_name')) return 'duplicate_name';
  if (reason.startsWith('near_duplicate')) return 'near_duplicate';
  if (/^responses: missing/.test(reason)) return 'missing_responses';
  if (/\.type: missing/.test(reason)) return 'missing_type';
  if (/^api_name: expected/.test(reason)) return 'invalid_name';
  if (/description: (expected a non-empty|missing)/.test(reason)) return 'missing_description';
  if (/unknown type/.test(reason)) return 'unknown_type';
  if (/^required: /.test(reason)) return 'required_not_a_parameter';
  if (/invalid JSON Schema/.test(reason)) return 'invalid_json_schema';
  if (/already taken/.test(reason)) return 'duplicate_name';
  return 'malformed';
}

const missingReason = (path: string): string =>
  path === 'responses'
    ? 'responses: missing in the source file (run with --complete to have the model write them)'
    : /(^|\.)(api_)?description$/.test(path)
      ? `${path}: missing in the source file (write one there and import again; --complete does not invent descriptions)`
      : `${path}: missing in the source file (run with --complete to have the model fill it)`;
/** What `--complete` can fill: response schemas and parameter types, not descriptions. */
const fillable = (path: string): boolean => path === 'responses' || path.endsWith('.type');

interface Classified {
  candidate: Candidate;
  name: string;
  template: Record<string, unknown>;
  status: CargToolStatus;
  reasons: string[];
  notes: string[];
}

/** The shared tool check (the one `serve tools` uses): refused → rejected, gaps → incomplete, else accepted. Pure. */
export function classifyCandidate(candidate: Candidate): Classified {
  const c = checkToolCandidate(candidate.raw);
  const withField = (t: Record<string, unknown>) =>
    candidate.field && t.field === undefined ? { ...t, field: [candidate.field, candidate.subfield].filter(Boolean).join('/') } : t;
  if (c.refused.length)
    return { candidate, name: c.name, template: c.tool, status: 'rejected', reasons: [...c.refused, ...c.missing.map(missingReason)], notes: c.notes };
  if (c.missing.length)
    return { candidate, name: c.name, template: withField(c.tool), status: 'incomplete', reasons: c.missing.map(missingReason), notes: c.notes };
  return { candidate, name: c.name, template: withField(c.servable!), status: 'accepted', reasons: [], notes: c.notes };
}

/** The readable tool files with their candidates, and each unreadable one with why. */
export interface ToolFiles {
  read: { file: string; format: ToolFormat; candidates: Candidate[] }[];
  failed: ImportSummary['failed'];
}

/** Every file read before anything is written: the readable ones, and each unreadable one with why. */
export async function readToolFiles(files: readonly string[]): Promise<ToolFiles> {
  const read: ToolFiles['read'] = [];
  const failed: ToolFiles['failed'] = [];
  for (const file of files) {
    try {
      read.push({ file, ...(await readToolFile(file)) });
    } catch (e) {
      if (!(e instanceof MtrError)) throw e;
      failed.push({ file, error: e.message });
    }
  }
  return { read, failed };
}

/**
 * `mtr carg tools import`: every tool of every readable file into the repository (SQLite) with its status
 * and reasons; unreadable files are listed in `failed`. A tool already imported from the same place (same
 * name, same template) is left as it is, so importing the same files again changes nothing.
 */
export async function importTools(repo: CargRepository, files: readonly string[] | ToolFiles, opts: ImportOptions = {}): Promise<ImportSummary> {
  const { read, failed } = Array.isArray(files) ? await readToolFiles(files as readonly string[]) : (files as ToolFiles);
  const known = await importedKeys(repo);
  const fresh = read
    .flatMap((r) => r.candidates)
    .map(classifyCandidate)
    .filter((c) => !known.has(c.candidate.source, c.name, c.template));
  const unchanged = read.reduce((n, r) => n + r.candidates.length, 0) - fresh.length;
  const rows = await rowsOf(repo, fresh, opts);
  const ids = await repo.insertTools(rows);
  const completed = opts.completer ? await completeIncomplete(repo, opts.completer, opts) : 0;
  return {
    files: read.map((r) => ({ file: r.file, format: r.format, tools: r.candidates.length })),
    failed,
    unchanged,
    completed,
    ...(await summarize(repo, ids)),
  };
}

const importKey = (source: string, name: string, template: unknown): string => JSON.stringify([source, name, template]);

/** Is this tool already stored from the same place? Same name and template, or the model completed the stored one. */
async function importedKeys(repo: CargRepository): Promise<{ has: (source: string, name: string, template: unknown) => boolean }> {
  const exact = new Set<string>();
  const completed = new Set<string>();
  for (const t of await repo.listTools()) {
    exact.add(importKey(t.source, t.name, t.template));
    if (t.notes.some((n) => n.startsWith('completed by model'))) completed.add(importKey(t.source, t.name, null));
  }
  return { has: (source, name, template) => exact.has(importKey(source, name, template)) || completed.has(importKey(source, name, null)) };
}

/**
 * Candidates → repository rows: normalised, checked, and deduplicated against the live tools and each
 * other (a duplicate points at what it repeats). Nothing is written; the caller inserts the rows.
 */
export function prepareRows(
  repo: CargRepository,
  candidates: readonly Candidate[],
  opts: Pick<ImportOptions, 'threshold' | 'embedder'> = {},
): Promise<NewCargTool[]> {
  return rowsOf(repo, candidates.map(classifyCandidate), opts);
}

async function rowsOf(repo: CargRepository, classified: readonly Classified[], opts: Pick<ImportOptions, 'threshold' | 'embedder'>): Promise<NewCargTool[]> {
  const threshold = opts.threshold ?? 0.8;
  const live = await repo.listTools(['accepted', 'incomplete']);
  const usable = classified.map((c, i) => ({ c, i })).filter(({ c }) => c.status !== 'rejected');
  const hits = await findDuplicates(
    live.map((t) => t.name),
    usable.map(({ c }) => c.name),
    threshold,
    opts.embedder,
  );
  const rows: NewCargTool[] = classified.map((c) => ({
    name: c.name,
    field: c.candidate.field,
    subfield: c.candidate.subfield,
    source: c.candidate.source,
    template: c.template,
    status: c.status,
    reasons: c.reasons,
    notes: c.notes,
  }));
  const batchIndex = (combined: number): number => usable[combined - live.length]!.i;
  usable.forEach(({ i }, u) => {
    const hit = hits[u];
    if (!hit) return;
    const ofName = hit.of < live.length ? live[hit.of]!.name : classified[batchIndex(hit.of)]!.name;
    const row = rows[i]!;
    row.status = 'duplicate';
    row.reasons = [
      hit.similarity >= 1 && ofName === row.name
        ? `duplicate_name: "${row.name}" is already in the repository or earlier in the input`
        : `near_duplicate: name similarity ${hit.similarity.toFixed(3)} ≥ ${threshold} with "${ofName}"`,
      ...row.reasons,
    ];
    row.duplicateOf = hit.of < live.length ? { id: live[hit.of]!.id } : { batch: batchIndex(hit.of) };
    row.similarity = hit.similarity;
  });
  return rows;
}

/** Counts of what became of the tools with these ids (after any completion). */
export async function summarize(repo: CargRepository, ids: readonly number[]): Promise<Omit<ImportSummary, 'files' | 'failed' | 'unchanged' | 'completed'>> {
  const byId = new Map((await repo.listTools()).map((t) => [t.id, t]));
  const out: Omit<ImportSummary, 'files' | 'failed' | 'unchanged' | 'completed'> = {
    imported: 0,
    incomplete: 0,
    rejected: 0,
    duplicates: 0,
    by_reason: {},
    renamed: 0,
    problems: [],
  };
  for (const id of ids) {
    const t = byId.get(id)!;
    if (t.status === 'accepted') out.imported++;
    else if (t.status === 'incomplete') out.incomplete++;
    else if (t.status === 'rejected') out.rejected++;
    else out.duplicates++;
    if (t.notes.some((n) => n.startsWith('api_name: renamed'))) out.renamed++;
    if (t.status !== 'accepted') {
      for (const kind of new Set(t.reasons.map(reasonKind))) out.by_reason[kind] = (out.by_reason[kind] ?? 0) + 1;
      out.problems.push({ name: t.name, source: t.source, status: t.status, reasons: t.reasons });
    }
  }
  return out;
}

/** Completes every incomplete tool in the repository, one stored update each, so an interrupted run resumes. */
async function completeIncomplete(repo: CargRepository, model: RoleModel, opts: ImportOptions): Promise<number> {
  // a tool lacking only what the model may not write (a description) is not sent
  const todo = (await repo.listTools(['incomplete'])).filter((row) => normalizeCandidate(row.template as Record<string, unknown>).missing.some(fillable));
  let done = 0;
  let completed = 0;
  await Promise.all(
    todo.map(async (row) => {
      if (opts.signal?.aborted) return;
      const template = row.template as Record<string, unknown>;
      const { missing } = normalizeCandidate(template);
      const result = await completeTool(model, template, missing);
      const check = checkTool(result.tool, { nameStyle: 'function' });
      const still = normalizeCandidate(result.tool).missing;
      if (check.ok) {
        completed++;
        await repo.updateTool(row.id, {
          template: check.tool,
          status: 'accepted',
          reasons: [],
          notes: [...row.notes, `completed by model ${result.calls.at(-1)?.model ?? model.model.model}: ${result.filled.join(', ')}`],
          calls: result.calls,
        });
      } else {
        const reasons = still.length ? still.map(missingReason) : check.reasons;
        await repo.updateTool(row.id, {
          template: result.tool,
          status: still.length ? 'incomplete' : 'rejected',
          reasons,
          notes: row.notes,
          calls: result.calls,
        });
      }
      opts.onProgress?.({ stage: 'complete', done: ++done, total: todo.length });
    }),
  );
  return completed;
}
