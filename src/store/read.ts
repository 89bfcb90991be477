import { type RunToolRow, RunToolRowSchema } from '../schema/run.js';
import { ClassificationSchema, RejectedToolSchema, RunToolSchema, StepSchema, type TraceRecord, TraceRecordSchema } from '../schema/trace.js';
import type { Db } from './db.js';
import { jsonOf, recordOf } from './rows.js';

export type StoredTrace = TraceRecord;

/** Traces of a run with their tools and steps, in item order; `status` narrows (e.g. only finished). */
export function readTraces(db: Db, runId: number, status?: TraceRecord['status']): StoredTrace[] {
  const rows = db
    .prepare(`SELECT t.id FROM traces t JOIN items i ON i.run_id = t.run_id AND i.item_id = t.item_id
      WHERE t.run_id = ? ${status ? 'AND t.status = ?' : ''} ORDER BY i.ord, t.id`)
    .all(...(status ? [runId, status] : [runId])) as { id: number }[];
  const read = traceReader(db); // statements prepared once for the whole run, not three per trace
  return rows.map((r) => read(r.id)!);
}

export const readTrace = (db: Db, traceId: number): StoredTrace | undefined => traceReader(db)(traceId);

export type TraceRow = {
  id: number;
  run_id: number;
  item_id: string;
  status: string;
  stop_reason: string | null;
  answer: string | null;
  classification: string | null;
  error: string | null;
};
export type ToolRow = { id: number; name: string; origin: string; accepted: number; schema: string; reasons: string | null; attempt: number };
export type StepRow = { idx: number; think: string; call: string | null; observation: string | null; answer: string | null; raw: string };

/** Reads traces by id with statements prepared once; each row is parsed by its schema (E_STORE naming table, row and field). */
export function traceReader(db: Db): (traceId: number) => StoredTrace | undefined {
  const stmts = {
    trace: db.prepare('SELECT * FROM traces WHERE id = ?'),
    tools: db.prepare('SELECT * FROM tools WHERE trace_id = ? ORDER BY id'),
    steps: db.prepare('SELECT * FROM steps WHERE trace_id = ? ORDER BY idx'),
  };
  return (traceId) => {
    const t = stmts.trace.get(traceId) as TraceRow | undefined;
    if (!t) return undefined;
    return traceOf(t, stmts.tools.all(traceId) as ToolRow[], stmts.steps.all(traceId) as StepRow[]);
  };
}

/** A trace's rows (its tools by id, its steps by index) as the record, each part parsed by its schema: both backends read through it. */
export function traceOf(t: TraceRow, tools: readonly ToolRow[], steps: readonly StepRow[]): StoredTrace {
  const traceId = t.id;
  const classification = jsonOf('traces', t.id, 'classification', t.classification);
  return recordOf(TraceRecordSchema, 'traces', t.id, {
    id: t.id,
    run_id: t.run_id,
    item_id: t.item_id,
    status: t.status,
    stop_reason: t.stop_reason ?? null,
    answer: t.answer ?? null,
    classification: classification === undefined ? null : recordOf(ClassificationSchema.nullable(), 'traces', t.id, classification),
    error: t.error ?? null,
    tools: tools
      .filter((x) => x.accepted)
      .map((x) => recordOf(RunToolSchema, 'tools', x.id, { origin: x.origin, tool: jsonOf('tools', x.id, 'schema', x.schema) })),
    rejected_tools: tools
      .filter((x) => !x.accepted)
      .map((x) =>
        recordOf(RejectedToolSchema, 'tools', x.id, {
          tool: jsonOf('tools', x.id, 'schema', x.schema),
          reasons: jsonOf('tools', x.id, 'reasons', x.reasons) ?? [],
          attempt: x.attempt,
        }),
      ),
    steps: steps.map((s) => {
      const where = `${traceId}/${s.idx}`;
      const call = jsonOf('steps', where, 'call', s.call);
      const observation = jsonOf('steps', where, 'observation', s.observation);
      return recordOf(StepSchema, 'steps', where, {
        index: s.idx,
        think: s.think,
        ...(call !== undefined ? { call } : {}),
        ...(observation !== undefined ? { observation } : {}),
        ...(s.answer !== null ? { answer: s.answer } : {}),
        raw: s.raw,
      });
    }),
  });
}

/**
 * The accepted tools of the store's traces, in trace order: of one run (or all), of one origin (or any), of
 * finished traces only (or any status). The one reader behind `serve tools --from-run` and `carg tools import`.
 */
export function runTools(db: Db, filter: { runId?: number; origin?: string; finishedOnly?: boolean } = {}): RunToolRow[] {
  const where = ['x.accepted = 1'];
  const params: (string | number)[] = [];
  if (filter.runId !== undefined) where.push('t.run_id = ?'), params.push(filter.runId);
  if (filter.origin !== undefined) where.push('x.origin = ?'), params.push(filter.origin);
  if (filter.finishedOnly) where.push(`t.status = 'finished'`);
  const rows = db
    .prepare(`SELECT x.id, t.run_id, x.trace_id, t.item_id, x.name, x.origin, x.schema FROM tools x JOIN traces t ON t.id = x.trace_id
      WHERE ${where.join(' AND ')} ORDER BY t.id, x.id`)
    .all(...params) as RunToolDbRow[];
  return rows.map(runToolOf);
}

export type RunToolDbRow = { id: number; run_id: number; trace_id: number; item_id: string; name: string; origin: string; schema: string };
export const runToolOf = (r: RunToolDbRow): RunToolRow => recordOf(RunToolRowSchema, 'tools', r.id, { ...r, tool: jsonOf('tools', r.id, 'schema', r.schema) });
