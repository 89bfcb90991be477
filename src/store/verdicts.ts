import type { DatasetItem } from '../schema/item.js';
import { type Provenance, ProvenanceSchema, type RunRecord, RunRecordSchema } from '../schema/run.js';
import { type Verdict, VerdictSchema } from '../schema/verdict.js';
import { jsonOf, recordOf } from './rows.js';
import { itemFromRow, type ItemRow } from './runs.js';
import type { Db } from './db.js';

/** Runs in the file, oldest first (what `--run` picks from). */
export function listRuns(db: Db): RunRecord[] {
  return (db.prepare('SELECT id, key, dataset, config FROM runs ORDER BY id').all() as RunRow[]).map(runOf);
}

export type RunRow = { id: number; key: string; dataset: string; config: string };
export const runOf = (r: RunRow): RunRecord => recordOf(RunRecordSchema, 'runs', r.id, { ...r, config: jsonOf('runs', r.id, 'config', r.config) });

/** Every item of a run in dataset order, gold answers included. */
export function readItems(db: Db, runId: number): DatasetItem[] {
  return (db.prepare('SELECT * FROM items WHERE run_id = ? ORDER BY ord').all(runId) as ItemRow[]).map(itemFromRow);
}

/** Finished or failed traces of a run with no verdicts yet under this check config (running ones wait). */
export function unvalidatedTraceIds(db: Db, runId: number, configHash: string): number[] {
  const rows = db
    .prepare(`SELECT t.id FROM traces t WHERE t.run_id = ? AND t.status IN ('finished', 'failed')
      AND NOT EXISTS (SELECT 1 FROM verdicts v WHERE v.trace_id = t.id AND v.config_hash = ?) ORDER BY t.id`)
    .all(runId, configHash) as { id: number }[];
  return rows.map((r) => r.id);
}

/** Stores one trace's verdicts in one transaction; re-running the same config replaces, never duplicates. */
export function writeVerdicts(db: Db, configHash: string, verdicts: readonly Verdict[]): void {
  const insert = db.prepare(`INSERT OR REPLACE INTO verdicts (trace_id, check_name, pass, reason, details, config_hash) VALUES (?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    for (const v of verdicts) insert.run(...verdictParams(configHash, v));
  })();
}

/** The verdicts of a run's traces under one check config, by trace then check name. */
export function readVerdicts(db: Db, runId: number, configHash: string): Verdict[] {
  const rows = db
    .prepare(`SELECT ${VERDICT_COLUMNS} FROM verdicts v JOIN traces t ON t.id = v.trace_id WHERE t.run_id = ? AND v.config_hash = ?
      ORDER BY v.trace_id, v.check_name`)
    .all(runId, configHash) as VerdictRow[];
  return rows.map(verdictOf);
}

/** What a verdict is read back from: a run's verdicts can be 400k rows, so not its config hash and time (v.*). */
export const VERDICT_COLUMNS = 'v.trace_id, v.check_name, v.pass, v.reason, v.details';
export type VerdictRow = { trace_id: number; check_name: string; pass: number; reason: string | null; details: string | null };
export const verdictOf = (r: VerdictRow): Verdict => {
  const where = `${r.trace_id}/${r.check_name}`;
  return recordOf(VerdictSchema, 'verdicts', where, {
    trace_id: r.trace_id,
    check: r.check_name,
    result: r.pass ? { pass: true } : { pass: false, reason: r.reason, details: jsonOf('verdicts', where, 'details', r.details) ?? {} },
  });
};

/** A verdict's column values (trace_id, check_name, pass, reason, details, config_hash): reason and details only when it failed. */
export const verdictParams = (configHash: string, v: Verdict): (string | number | null)[] => [
  v.trace_id,
  v.check,
  v.result.pass ? 1 : 0,
  v.result.pass ? null : v.result.reason,
  v.result.pass ? null : JSON.stringify(v.result.details),
  configHash,
];

/** Which models and prompt files (with hashes) produced a run: the provenance an export manifest records. */
export function runProvenance(db: Db, runId: number): Provenance[] {
  const rows = db
    .prepare(`SELECT m.role, m.model, m.prompt_file, m.prompt_hash, COUNT(*) AS calls FROM model_calls m JOIN traces t ON t.id = m.trace_id
      WHERE t.run_id = ? GROUP BY m.role, m.model, m.prompt_file, m.prompt_hash ORDER BY m.role, m.prompt_file, m.model`)
    .all(runId) as Provenance[];
  return rows.map(provenanceOf);
}

export const provenanceOf = (r: Provenance): Provenance => recordOf(ProvenanceSchema, 'model_calls', `${r.role}/${r.model}/${r.prompt_file}`, r);
