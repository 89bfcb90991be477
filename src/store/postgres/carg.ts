import {
  CARG_TOOL_STATUSES,
  type CargToolPatch,
  type CargToolRow,
  type CargToolStatus,
  type EvalCase,
  type EvalCaseRow,
  type EvalJob,
  type FieldRow,
  type JobFailure,
  type JobStats,
  type NewCargTool,
  type NewField,
  type NewSample,
  type SampleFilter,
  type SampleRow,
} from '../../schema/carg.js';
import type { ModelCall } from '../../schema/model-call.js';
import {
  cargPatchParams,
  cargToolParams,
  EVAL_JOBS,
  evalCaseOf,
  evalCaseParams,
  evalJobOf,
  failureOf,
  fieldOf,
  jobStatsOf,
  type RawEvalCase,
  type RawSample,
  type RawTool,
  sampleOf,
  sampleParams,
  sampleWhere,
  toolOf,
} from '../carg.js';
import { jsonColumn as json } from '../db.js';
import { insertMany, type PgDb, type Q } from './db.js';

/** The CARG tables on PostgreSQL: the SQL of src/store/carg.ts, rows read and written through the same functions. */

const TOOL_INSERT = `INSERT INTO carg_tools (name, field, subfield, source, template, status, reasons, notes, duplicate_of, similarity, calls)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`;

/** One at a time: a duplicate points at the id an earlier tool of the batch was given. */
async function insertTools(q: Q, tools: readonly NewCargTool[]): Promise<number[]> {
  const ids: number[] = [];
  for (const t of tools) ids.push((await q.one<{ id: number }>(TOOL_INSERT, cargToolParams(t, ids)))!.id);
  return ids;
}

export const insertCargTools = (db: PgDb, tools: readonly NewCargTool[]): Promise<number[]> => db.tx((q) => insertTools(q, tools));

export async function updateCargTool(db: PgDb, id: number, patch: CargToolPatch): Promise<void> {
  await db.tx(async (q) => {
    const row = await q.one<{ calls: string | null }>('SELECT calls FROM carg_tools WHERE id = ? FOR UPDATE', [id]);
    await q.run('UPDATE carg_tools SET template = ?, status = ?, reasons = ?, notes = ?, calls = ? WHERE id = ?', cargPatchParams(id, row?.calls, patch));
  });
}

export async function listCargTools(q: Q, statuses: readonly CargToolStatus[] = CARG_TOOL_STATUSES): Promise<CargToolRow[]> {
  const rows = await q.all<RawTool>(
    `SELECT id, name, field, subfield, source, template, status, reasons, notes, duplicate_of, similarity FROM carg_tools
    WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY id`,
    statuses,
  );
  return rows.map(toolOf);
}

export async function finishedJobTools(q: Q, job: string): Promise<Set<number>> {
  return new Set((await q.all<{ tool_id: number }>('SELECT tool_id FROM carg_jobs WHERE job = ?', [job])).map((r) => r.tool_id));
}

/** The job row and the cleared failure that go with a tool's stored work (in its transaction). */
async function doneJob(q: Q, job: string, toolId: number, stats: JobStats): Promise<void> {
  await q.run('INSERT INTO carg_jobs (job, tool_id, stats) VALUES (?, ?, ?)', [job, toolId, JSON.stringify(stats)]);
  await q.run('DELETE FROM carg_failures WHERE job = ? AND tool_id = ?', [job, toolId]);
}

export async function saveJob(db: PgDb, job: string, toolId: number, stats: JobStats, samples: readonly NewSample[]): Promise<void> {
  await db.tx(async (q) => {
    await insertMany(
      q,
      `INSERT INTO carg_samples (tool_id, kind, job, error_type, round, input, output, history, context, verdicts, accepted, calls)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      samples.map((s) => sampleParams(job, toolId, s)),
    );
    await doneJob(q, job, toolId, stats);
  });
}

export async function saveJobFailure(q: Q, job: string, toolId: number, failure: { code: string; error: string }): Promise<void> {
  await q.run(
    `INSERT INTO carg_failures (job, tool_id, code, error) VALUES (?, ?, ?, ?)
    ON CONFLICT (job, tool_id) DO UPDATE SET code = excluded.code, error = excluded.error, created_at = excluded.created_at`,
    [job, toolId, failure.code, failure.error],
  );
}

export async function listJobFailures(q: Q, job: string): Promise<JobFailure[]> {
  return (await q.all<JobFailure>('SELECT tool_id, code, error FROM carg_failures WHERE job = ? ORDER BY tool_id', [job])).map((r) => failureOf(job, r));
}

export async function countSamples(q: Q, filter: SampleFilter = {}): Promise<number> {
  const { sql, params } = sampleWhere(filter);
  return (await q.one<{ n: number }>(`SELECT COUNT(*) AS n FROM carg_samples WHERE ${sql}`, params))!.n;
}

export async function listSamples(q: Q, filter: SampleFilter = {}): Promise<SampleRow[]> {
  const { sql, params } = sampleWhere(filter);
  const rows = await q.all<RawSample>(
    `SELECT id, tool_id, kind, job, error_type, round, input, output, history, context, verdicts, accepted FROM carg_samples WHERE ${sql} ORDER BY id`,
    params,
  );
  return rows.map(sampleOf);
}

export async function saveEvalCases(
  db: PgDb,
  job: string,
  model: string,
  toolId: number,
  cases: readonly EvalCase[],
  stats: JobStats = { cases: cases.length },
): Promise<void> {
  await db.tx(async (q) => {
    await insertMany(
      q,
      'INSERT INTO carg_evals (job, model, tool_id, scenario, input, output, scores, calls) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      cases.map((c) => evalCaseParams(job, model, toolId, c)),
    );
    await doneJob(q, job, toolId, stats);
  });
}

export async function listEvalCases(q: Q, job: string): Promise<EvalCaseRow[]> {
  return (await q.all<RawEvalCase>('SELECT id, tool_id, scenario, input, output, scores FROM carg_evals WHERE job = ? ORDER BY id', [job])).map(evalCaseOf);
}

export async function listEvalJobs(q: Q): Promise<EvalJob[]> {
  return (await q.all<EvalJob>(EVAL_JOBS, [])).map(evalJobOf);
}

export async function jobStats(q: Q, job: string): Promise<Map<number, JobStats>> {
  return jobStatsOf(job, await q.all<{ tool_id: number; stats: string }>('SELECT tool_id, stats FROM carg_jobs WHERE job = ?', [job]));
}

/** Adds taxonomy rows, skipping ones already there; the first row carries the round's calls. Returns how many were new. */
export async function addFields(db: PgDb, rows: readonly NewField[], calls?: readonly ModelCall[]): Promise<number> {
  return db.tx(async (q) => {
    let added = 0;
    for (const [i, r] of rows.entries())
      added += await q.run('INSERT INTO carg_fields (field, subfield, origin, calls) VALUES (?, ?, ?, ?) ON CONFLICT (field, subfield) DO NOTHING', [
        r.field,
        r.subfield ?? '',
        r.origin,
        i === 0 ? json(calls?.length ? calls : undefined) : null,
      ]);
    return added;
  });
}

export async function listFields(q: Q): Promise<FieldRow[]> {
  return (await q.all<Omit<FieldRow, 'tools_done'> & { tools_done: number }>('SELECT field, subfield, origin, tools_done FROM carg_fields ORDER BY ord')).map(
    fieldOf,
  );
}

export async function saveFieldTools(db: PgDb, field: string, subfield: string, tools: readonly NewCargTool[]): Promise<number[]> {
  return db.tx(async (q) => {
    const ids = await insertTools(q, tools);
    await q.run('UPDATE carg_fields SET tools_done = 1 WHERE field = ? AND subfield = ?', [field, subfield]);
    return ids;
  });
}

export async function countFieldRounds(q: Q): Promise<number> {
  return (await q.one<{ n: number }>(`SELECT COUNT(*) AS n FROM carg_fields WHERE origin = 'model' AND subfield = '' AND calls IS NOT NULL`))!.n;
}
