import Database from 'better-sqlite3';
import { MtrError } from '../schema/errors.js';
import type { ModelCall } from '../schema/model-call.js';
import type { Db } from './db.js';

/** accepted: usable; incomplete: needs `--complete` (missing response schema or types); rejected; duplicate. */
export const CARG_TOOL_STATUSES = ['accepted', 'incomplete', 'rejected', 'duplicate'] as const;
export type CargToolStatus = (typeof CARG_TOOL_STATUSES)[number];
export type CargSampleKind = 'single' | 'multi' | 'error';

export interface NewCargTool {
  name: string;
  field?: string | undefined;
  subfield?: string | undefined;
  source: string;
  template: unknown;
  status: CargToolStatus;
  reasons: string[];
  notes: string[];
  /** an id in the repository, or the index of an earlier tool of the same batch */
  duplicateOf?: { id: number } | { batch: number } | undefined;
  similarity?: number | undefined;
  calls?: ModelCall[] | undefined;
}

export interface CargToolRow {
  id: number;
  name: string;
  field: string | null;
  subfield: string | null;
  source: string;
  template: unknown;
  status: CargToolStatus;
  reasons: string[];
  notes: string[];
  duplicate_of: number | null;
  similarity: number | null;
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
const parse = <T>(s: string | null, fallback: T): T => (s === null ? fallback : (JSON.parse(s) as T));

/** Inserts a batch in one transaction; returns the ids in batch order. */
export function insertCargTools(db: Db, tools: readonly NewCargTool[]): number[] {
  const stmt = db.prepare(`INSERT INTO carg_tools (name, field, subfield, source, template, status, reasons, notes, duplicate_of, similarity, calls)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return db.transaction(() => {
    const ids: number[] = [];
    for (const t of tools) {
      const dup = t.duplicateOf === undefined ? null : 'id' in t.duplicateOf ? t.duplicateOf.id : ids[t.duplicateOf.batch]!;
      const info = stmt.run(t.name, t.field ?? null, t.subfield ?? null, t.source, JSON.stringify(t.template), t.status, json(t.reasons.length ? t.reasons : undefined), json(t.notes.length ? t.notes : undefined), dup, t.similarity ?? null, json(t.calls));
      ids.push(Number(info.lastInsertRowid));
    }
    return ids;
  })();
}

/** A tool completed by the model (or still failing): new template, status and reasons, the calls appended. */
export function updateCargTool(db: Db, id: number, patch: { template: unknown; status: CargToolStatus; reasons: string[]; notes: string[]; calls: ModelCall[] }): void {
  const row = db.prepare('SELECT calls FROM carg_tools WHERE id = ?').get(id) as { calls: string | null } | undefined;
  const calls = [...parse<ModelCall[]>(row?.calls ?? null, []), ...patch.calls];
  db.prepare('UPDATE carg_tools SET template = ?, status = ?, reasons = ?, notes = ?, calls = ? WHERE id = ?')
    .run(JSON.stringify(patch.template), patch.status, json(patch.reasons.length ? patch.reasons : undefined), json(patch.notes.length ? patch.notes : undefined), json(calls.length ? calls : undefined), id);
}

type RawRow = Omit<CargToolRow, 'template' | 'reasons' | 'notes'> & { template: string; reasons: string | null; notes: string | null };
const toRow = (r: RawRow): CargToolRow => ({ ...r, template: JSON.parse(r.template), reasons: parse(r.reasons, []), notes: parse(r.notes, []) });

export function listCargTools(db: Db, statuses: readonly CargToolStatus[] = CARG_TOOL_STATUSES): CargToolRow[] {
  const rows = db.prepare(`SELECT id, name, field, subfield, source, template, status, reasons, notes, duplicate_of, similarity FROM carg_tools
    WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY id`).all(...statuses) as RawRow[];
  return rows.map(toRow);
}

export interface NewSample {
  kind: CargSampleKind;
  /** the tool this sample calls, when not the job's tool (a multi-turn dialogue's earlier turns) */
  toolId?: number | undefined;
  errorType?: string | undefined;
  round: number;
  input: unknown;
  output: unknown;
  history?: unknown;
  context?: unknown;
  verdicts: unknown;
  accepted: boolean;
  calls?: ModelCall[] | undefined;
}

export interface SampleRow {
  id: number;
  tool_id: number;
  kind: CargSampleKind;
  job: string;
  error_type: string | null;
  round: number;
  input: unknown;
  output: unknown;
  history: unknown;
  context: unknown;
  verdicts: unknown;
  accepted: boolean;
}

/** Tools whose work for `job` is stored: what a resumed run skips. */
export function finishedJobTools(db: Db, job: string): Set<number> {
  return new Set((db.prepare('SELECT tool_id FROM carg_jobs WHERE job = ?').all(job) as { tool_id: number }[]).map((r) => r.tool_id));
}

/** One tool's samples and its job row in one transaction: a crash leaves the tool undone, never half done. */
export function saveJob(db: Db, job: string, toolId: number, stats: unknown, samples: readonly NewSample[]): void {
  const stmt = db.prepare(`INSERT INTO carg_samples (tool_id, kind, job, error_type, round, input, output, history, context, verdicts, accepted, calls)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (const s of samples) {
      stmt.run(s.toolId ?? toolId, s.kind, job, s.errorType ?? null, s.round, JSON.stringify(s.input), JSON.stringify(s.output), json(s.history), json(s.context), JSON.stringify(s.verdicts), s.accepted ? 1 : 0, json(s.calls));
    }
    db.prepare('INSERT INTO carg_jobs (job, tool_id, stats) VALUES (?, ?, ?)').run(job, toolId, JSON.stringify(stats));
    db.prepare('DELETE FROM carg_failures WHERE job = ? AND tool_id = ?').run(job, toolId);
  })();
}

export interface JobFailure {
  tool_id: number;
  code: string;
  error: string;
}

/** A tool's failure in a stage (the last one kept); a re-run retries the tool, and finishing it clears the failure. */
export function saveJobFailure(db: Db, job: string, toolId: number, failure: { code: string; error: string }): void {
  db.prepare('INSERT OR REPLACE INTO carg_failures (job, tool_id, code, error) VALUES (?, ?, ?, ?)').run(job, toolId, failure.code, failure.error);
}

/** The stored failures of a stage's tools not finished since, in tool order. */
export function listJobFailures(db: Db, job: string): JobFailure[] {
  return db.prepare('SELECT tool_id, code, error FROM carg_failures WHERE job = ? ORDER BY tool_id').all(job) as JobFailure[];
}

export interface SampleFilter {
  kinds?: readonly CargSampleKind[];
  acceptedOnly?: boolean;
  /** only the samples that call this tool */
  toolId?: number;
}

/** The WHERE clause of a sample filter and its parameters (shared by list and count). */
function sampleWhere(filter: SampleFilter): { sql: string; params: (string | number)[] } {
  const kinds = filter.kinds ?? ['single', 'multi', 'error'];
  const sql = `kind IN (${kinds.map(() => '?').join(', ')})${filter.acceptedOnly ? ' AND accepted = 1' : ''}${filter.toolId === undefined ? '' : ' AND tool_id = ?'}`;
  return { sql, params: [...kinds, ...(filter.toolId === undefined ? [] : [filter.toolId])] };
}

export function countSamples(db: Db, filter: SampleFilter = {}): number {
  const { sql, params } = sampleWhere(filter);
  return (db.prepare(`SELECT COUNT(*) AS n FROM carg_samples WHERE ${sql}`).get(...params) as { n: number }).n;
}

export function listSamples(db: Db, filter: SampleFilter = {}): SampleRow[] {
  const { sql, params } = sampleWhere(filter);
  const rows = db.prepare(`SELECT id, tool_id, kind, job, error_type, round, input, output, history, context, verdicts, accepted FROM carg_samples
    WHERE ${sql} ORDER BY id`).all(...params) as Record<string, any>[];
  return rows.map((r) => ({
    ...r,
    input: JSON.parse(r.input),
    output: JSON.parse(r.output),
    history: parse(r.history, undefined),
    context: parse(r.context, undefined),
    verdicts: JSON.parse(r.verdicts),
    accepted: r.accepted === 1,
  })) as SampleRow[];
}

export interface EvalCase {
  scenario: string;
  input: unknown;
  output: unknown;
  scores: Record<string, number | null>;
  calls?: ModelCall[] | undefined;
}

/** One tool's eval (or audit) cases and its job row with `stats`, in one transaction. */
export function saveEvalCases(db: Db, job: string, model: string, toolId: number, cases: readonly EvalCase[], stats: unknown = { cases: cases.length }): void {
  const stmt = db.prepare('INSERT INTO carg_evals (job, model, tool_id, scenario, input, output, scores, calls) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const c of cases) stmt.run(job, model, toolId, c.scenario, JSON.stringify(c.input), JSON.stringify(c.output), JSON.stringify(c.scores), json(c.calls));
    db.prepare('INSERT INTO carg_jobs (job, tool_id, stats) VALUES (?, ?, ?)').run(job, toolId, JSON.stringify(stats));
    db.prepare('DELETE FROM carg_failures WHERE job = ? AND tool_id = ?').run(job, toolId);
  })();
}

export function listEvalCases(db: Db, job: string): (EvalCase & { tool_id: number })[] {
  return (db.prepare('SELECT tool_id, scenario, input, output, scores FROM carg_evals WHERE job = ? ORDER BY id').all(job) as Record<string, any>[]).map((r) => ({
    tool_id: r.tool_id,
    scenario: r.scenario,
    input: JSON.parse(r.input),
    output: JSON.parse(r.output),
    scores: JSON.parse(r.scores),
  }));
}

/** Per-tool stats of a job (e.g. an audit's reliability), by tool id. */
export function jobStats(db: Db, job: string): Map<number, Record<string, unknown>> {
  return new Map((db.prepare('SELECT tool_id, stats FROM carg_jobs WHERE job = ?').all(job) as { tool_id: number; stats: string }[]).map((r) => [r.tool_id, JSON.parse(r.stats)]));
}

export interface FieldRow {
  field: string;
  /** '' for the field itself */
  subfield: string;
  origin: 'seed' | 'model';
  tools_done: boolean;
}

/** Adds taxonomy rows, skipping ones already there (case-sensitive key); returns how many were new. */
export function addFields(db: Db, rows: readonly { field: string; subfield?: string; origin: 'seed' | 'model' }[], calls?: readonly ModelCall[]): number {
  const stmt = db.prepare('INSERT OR IGNORE INTO carg_fields (field, subfield, origin, calls) VALUES (?, ?, ?, ?)');
  return db.transaction(() => rows.reduce((n, r, i) => n + stmt.run(r.field, r.subfield ?? '', r.origin, i === 0 ? json(calls?.length ? calls : undefined) : null).changes, 0))();
}

export function listFields(db: Db): FieldRow[] {
  return (db.prepare('SELECT field, subfield, origin, tools_done FROM carg_fields ORDER BY rowid').all() as (Omit<FieldRow, 'tools_done'> & { tools_done: number })[]).map((r) => ({ ...r, tools_done: r.tools_done === 1 }));
}

/** A (field, subfield)'s generated tools and its done flag, in one transaction: what a resumed expansion skips. */
export function saveFieldTools(db: Db, field: string, subfield: string, tools: readonly NewCargTool[]): number[] {
  return db.transaction(() => {
    const ids = insertCargTools(db, tools);
    db.prepare('UPDATE carg_fields SET tools_done = 1 WHERE field = ? AND subfield = ?').run(field, subfield);
    return ids;
  })();
}

/** Field-proposal rounds already stored (each round's first new field carries its model calls). */
export function countFieldRounds(db: Db): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM carg_fields WHERE origin = 'model' AND subfield = '' AND calls IS NOT NULL`).get() as { n: number }).n;
}

/** An mtr run store (`mtr generate --db`)? Recognised by the SQLite header, so any file name works. */
export function isSqliteFile(head: Buffer): boolean {
  return head.subarray(0, 16).toString('latin1') === 'SQLite format 3\u0000';
}

/** The tools ToolMaker wrote and the checks accepted in a run store, read-only (the store is not migrated or locked). */
export function readRunTools(path: string): { id: number; name: string; schema: unknown }[] {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    return (db.prepare(`SELECT id, name, schema FROM tools WHERE origin = 'maker' AND accepted = 1 ORDER BY id`).all() as { id: number; name: string; schema: string }[]).map((r) => ({ ...r, schema: JSON.parse(r.schema) }));
  } catch (e) {
    throw new MtrError('E_INPUT', `${path}: expected an mtr run store with a tools table, got: ${(e as Error).message}`);
  } finally {
    db?.close();
  }
}
