import {
  CARG_SAMPLE_KINDS,
  CARG_TOOL_STATUSES,
  type CargToolPatch,
  type CargToolRow,
  CargToolRowSchema,
  type CargToolStatus,
  type EvalCase,
  type EvalCaseRow,
  EvalCaseRowSchema,
  type EvalJob,
  EvalJobSchema,
  type FieldRow,
  FieldRowSchema,
  type JobFailure,
  JobFailureSchema,
  type JobStats,
  JobStatsSchema,
  type NewCargTool,
  type NewField,
  type NewSample,
  type SampleFilter,
  type SampleRow,
  SampleRowSchema,
  SampleVerdictsSchema,
} from '../schema/carg.js';
import { type ModelCall, ModelCallSchema } from '../schema/model-call.js';
import { z } from 'zod';
import { type Db, jsonColumn as json } from './db.js';
import { jsonOf, recordOf } from './rows.js';

export {
  CARG_TOOL_STATUSES,
  type CargSampleKind,
  type CargToolRow,
  type CargToolStatus,
  type EvalCase,
  type FieldRow,
  type JobFailure,
  type NewCargTool,
  type NewSample,
  type SampleFilter,
  type SampleRow,
} from '../schema/carg.js';

/** Inserts a batch in one transaction; returns the ids in batch order. */
export function insertCargTools(db: Db, tools: readonly NewCargTool[]): number[] {
  const stmt = db.prepare(`INSERT INTO carg_tools (name, field, subfield, source, template, status, reasons, notes, duplicate_of, similarity, calls)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return db.transaction(() => {
    const ids: number[] = [];
    for (const t of tools) ids.push(Number(stmt.run(...cargToolParams(t, ids)).lastInsertRowid));
    return ids;
  })();
}

/** A new tool's column values (name … calls); a duplicate of an earlier tool of the batch points at its id in `ids`. */
export const cargToolParams = (t: NewCargTool, ids: readonly number[]): (string | number | null)[] => [
  t.name,
  t.field ?? null,
  t.subfield ?? null,
  t.source,
  JSON.stringify(t.template),
  t.status,
  json(t.reasons.length ? t.reasons : undefined),
  json(t.notes.length ? t.notes : undefined),
  t.duplicateOf === undefined ? null : 'id' in t.duplicateOf ? t.duplicateOf.id : ids[t.duplicateOf.batch]!,
  t.similarity ?? null,
  json(t.calls),
];

const CallsSchema = z.array(ModelCallSchema);

/** A tool completed by the model (or still failing): new template, status and reasons, the calls appended. One transaction. */
export function updateCargTool(db: Db, id: number, patch: CargToolPatch): void {
  db.transaction(() => {
    const row = db.prepare('SELECT calls FROM carg_tools WHERE id = ?').get(id) as { calls: string | null } | undefined;
    db.prepare('UPDATE carg_tools SET template = ?, status = ?, reasons = ?, notes = ?, calls = ? WHERE id = ?').run(...cargPatchParams(id, row?.calls, patch));
  }).immediate(); // reads, then writes: take the write lock first, so another writer in between is waited for, not a SQLITE_BUSY
}

/** An update's column values (template, status, reasons, notes, calls, id): the patch's calls appended to the stored ones. */
export function cargPatchParams(id: number, storedCalls: string | null | undefined, patch: CargToolPatch): (string | number | null)[] {
  const stored = storedCalls ? recordOf(CallsSchema, 'carg_tools', id, jsonOf('carg_tools', id, 'calls', storedCalls)) : [];
  const calls = [...stored, ...patch.calls];
  return [
    JSON.stringify(patch.template),
    patch.status,
    json(patch.reasons.length ? patch.reasons : undefined),
    json(patch.notes.length ? patch.notes : undefined),
    json(calls.length ? calls : undefined),
    id,
  ];
}

export type RawTool = Omit<CargToolRow, 'template' | 'reasons' | 'notes'> & { template: string; reasons: string | null; notes: string | null };
export const toolOf = (r: RawTool): CargToolRow =>
  recordOf(CargToolRowSchema, 'carg_tools', r.id, {
    ...r,
    template: jsonOf('carg_tools', r.id, 'template', r.template),
    reasons: jsonOf('carg_tools', r.id, 'reasons', r.reasons) ?? [],
    notes: jsonOf('carg_tools', r.id, 'notes', r.notes) ?? [],
  });

export function listCargTools(db: Db, statuses: readonly CargToolStatus[] = CARG_TOOL_STATUSES): CargToolRow[] {
  const rows = db
    .prepare(`SELECT id, name, field, subfield, source, template, status, reasons, notes, duplicate_of, similarity FROM carg_tools
    WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY id`)
    .all(...statuses) as RawTool[];
  return rows.map(toolOf);
}

/** Tools whose work for `job` is stored: what a resumed run skips. */
export function finishedJobTools(db: Db, job: string): Set<number> {
  return new Set((db.prepare('SELECT tool_id FROM carg_jobs WHERE job = ?').all(job) as { tool_id: number }[]).map((r) => r.tool_id));
}

/** One tool's samples and its job row in one transaction: a crash leaves the tool undone, never half done. */
export function saveJob(db: Db, job: string, toolId: number, stats: JobStats, samples: readonly NewSample[]): void {
  const stmt = db.prepare(`INSERT INTO carg_samples (tool_id, kind, job, error_type, round, input, output, history, context, verdicts, accepted, calls)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (const s of samples) stmt.run(...sampleParams(job, toolId, s));
    db.prepare('INSERT INTO carg_jobs (job, tool_id, stats) VALUES (?, ?, ?)').run(job, toolId, JSON.stringify(stats));
    db.prepare('DELETE FROM carg_failures WHERE job = ? AND tool_id = ?').run(job, toolId);
  })();
}

/** A sample's column values (tool_id … calls). */
export const sampleParams = (job: string, toolId: number, s: NewSample): (string | number | null)[] => [
  s.toolId ?? toolId,
  s.kind,
  job,
  s.errorType ?? null,
  s.round,
  JSON.stringify(s.input),
  JSON.stringify(s.output),
  json(s.history),
  json(s.context),
  JSON.stringify(SampleVerdictsSchema.parse(s.verdicts)),
  s.accepted ? 1 : 0,
  json(s.calls),
];

/** A tool's failure in a stage (the last one kept); a re-run retries the tool, and finishing it clears the failure. */
export function saveJobFailure(db: Db, job: string, toolId: number, failure: { code: string; error: string }): void {
  db.prepare('INSERT OR REPLACE INTO carg_failures (job, tool_id, code, error) VALUES (?, ?, ?, ?)').run(job, toolId, failure.code, failure.error);
}

/** The stored failures of a stage's tools not finished since, in tool order. */
export function listJobFailures(db: Db, job: string): JobFailure[] {
  return (db.prepare('SELECT tool_id, code, error FROM carg_failures WHERE job = ? ORDER BY tool_id').all(job) as JobFailure[]).map((r) => failureOf(job, r));
}

export const failureOf = (job: string, r: JobFailure): JobFailure => recordOf(JobFailureSchema, 'carg_failures', `${job}/${r.tool_id}`, r);

/** The WHERE clause of a sample filter and its parameters (shared by list and count). */
export function sampleWhere(filter: SampleFilter): { sql: string; params: (string | number)[] } {
  const kinds = filter.kinds ?? CARG_SAMPLE_KINDS;
  const sql = `kind IN (${kinds.map(() => '?').join(', ')})${filter.acceptedOnly ? ' AND accepted = 1' : ''}${filter.toolId === undefined ? '' : ' AND tool_id = ?'}`;
  return { sql, params: [...kinds, ...(filter.toolId === undefined ? [] : [filter.toolId])] };
}

export function countSamples(db: Db, filter: SampleFilter = {}): number {
  const { sql, params } = sampleWhere(filter);
  return (db.prepare(`SELECT COUNT(*) AS n FROM carg_samples WHERE ${sql}`).get(...params) as { n: number }).n;
}

export type RawSample = Record<keyof SampleRow, unknown> & {
  id: number;
  input: string;
  output: string;
  history: string | null;
  context: string | null;
  verdicts: string;
  accepted: number;
};

export function listSamples(db: Db, filter: SampleFilter = {}): SampleRow[] {
  const { sql, params } = sampleWhere(filter);
  const rows = db
    .prepare(`SELECT id, tool_id, kind, job, error_type, round, input, output, history, context, verdicts, accepted FROM carg_samples
    WHERE ${sql} ORDER BY id`)
    .all(...params) as RawSample[];
  return rows.map(sampleOf);
}

export const sampleOf = (r: RawSample): SampleRow => {
  const col = (field: 'input' | 'output' | 'history' | 'context' | 'verdicts') => jsonOf('carg_samples', r.id, field, r[field]);
  return recordOf(SampleRowSchema, 'carg_samples', r.id, {
    ...r,
    input: col('input'),
    output: col('output'),
    history: col('history'),
    context: col('context'),
    verdicts: col('verdicts'),
    accepted: r.accepted === 1,
  });
};

/** One tool's eval (or audit) cases and its job row with `stats`, in one transaction. */
export function saveEvalCases(db: Db, job: string, model: string, toolId: number, cases: readonly EvalCase[], stats: JobStats = { cases: cases.length }): void {
  const stmt = db.prepare('INSERT INTO carg_evals (job, model, tool_id, scenario, input, output, scores, calls) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const c of cases) stmt.run(...evalCaseParams(job, model, toolId, c));
    db.prepare('INSERT INTO carg_jobs (job, tool_id, stats) VALUES (?, ?, ?)').run(job, toolId, JSON.stringify(stats));
    db.prepare('DELETE FROM carg_failures WHERE job = ? AND tool_id = ?').run(job, toolId);
  })();
}

export function listEvalCases(db: Db, job: string): EvalCaseRow[] {
  return (db.prepare('SELECT id, tool_id, scenario, input, output, scores FROM carg_evals WHERE job = ? ORDER BY id').all(job) as RawEvalCase[]).map(
    evalCaseOf,
  );
}

/** The jobs with cases stored, by name then model. */
export function listEvalJobs(db: Db): EvalJob[] {
  return (db.prepare(EVAL_JOBS).all() as EvalJob[]).map(evalJobOf);
}

export const EVAL_JOBS = 'SELECT job, model, COUNT(*) AS cases FROM carg_evals GROUP BY job, model ORDER BY job, model';
export const evalJobOf = (r: EvalJob): EvalJob => recordOf(EvalJobSchema, 'carg_evals', `${r.job}/${r.model}`, { ...r, cases: Number(r.cases) });

export type RawEvalCase = { id: number; tool_id: number; scenario: string; input: string; output: string; scores: string };
export const evalCaseOf = (r: RawEvalCase): EvalCaseRow =>
  recordOf(EvalCaseRowSchema, 'carg_evals', r.id, {
    tool_id: r.tool_id,
    scenario: r.scenario,
    input: jsonOf('carg_evals', r.id, 'input', r.input),
    output: jsonOf('carg_evals', r.id, 'output', r.output),
    scores: jsonOf('carg_evals', r.id, 'scores', r.scores),
  });

/** An eval case's column values (job … calls). */
export const evalCaseParams = (job: string, model: string, toolId: number, c: EvalCase): (string | number | null)[] => [
  job,
  model,
  toolId,
  c.scenario,
  JSON.stringify(c.input),
  JSON.stringify(c.output),
  JSON.stringify(c.scores),
  json(c.calls),
];

/** Per-tool stats of a job (e.g. an audit's reliability), by tool id. */
export function jobStats(db: Db, job: string): Map<number, JobStats> {
  const rows = db.prepare('SELECT tool_id, stats FROM carg_jobs WHERE job = ?').all(job) as { tool_id: number; stats: string }[];
  return jobStatsOf(job, rows);
}

export const jobStatsOf = (job: string, rows: readonly { tool_id: number; stats: string }[]): Map<number, JobStats> =>
  new Map(
    rows.map((r) => [r.tool_id, recordOf(JobStatsSchema, 'carg_jobs', `${job}/${r.tool_id}`, jsonOf('carg_jobs', `${job}/${r.tool_id}`, 'stats', r.stats))]),
  );

/** Adds taxonomy rows, skipping ones already there (case-sensitive key); returns how many were new. */
export function addFields(db: Db, rows: readonly NewField[], calls?: readonly ModelCall[]): number {
  const stmt = db.prepare('INSERT OR IGNORE INTO carg_fields (field, subfield, origin, calls) VALUES (?, ?, ?, ?)');
  return db.transaction(() =>
    rows.reduce((n, r, i) => n + stmt.run(r.field, r.subfield ?? '', r.origin, i === 0 ? json(calls?.length ? calls : undefined) : null).changes, 0),
  )();
}

export function listFields(db: Db): FieldRow[] {
  const rows = db.prepare('SELECT field, subfield, origin, tools_done FROM carg_fields ORDER BY rowid').all() as (Omit<FieldRow, 'tools_done'> & {
    tools_done: number;
  })[];
  return rows.map(fieldOf);
}

export const fieldOf = (r: Omit<FieldRow, 'tools_done'> & { tools_done: number }): FieldRow =>
  recordOf(FieldRowSchema, 'carg_fields', `${r.field}/${r.subfield}`, { ...r, tools_done: r.tools_done === 1 });

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

export { isSqliteFile } from './db.js';
