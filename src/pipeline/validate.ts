import { z } from 'zod';
import { MtrError } from '../schema/errors.js';
import type { Store } from '../store/index.js';
import {
  type CheckConfig,
  CheckConfigSchema,
  checkConfigHash,
  checkConfigOf,
  formatReport,
  type RemovalReason,
  removalReasons,
  runChecks,
  summarizeVerdicts,
  ValidationReportSchema,
  type Verdict,
} from '../validate/index.js';
import { StoreFields } from './fields/store.js';
import { defineJob, flagName, parseConfig } from './job.js';
import { openExistingStore, runsCoerce, selectRunRecords } from './runs.js';

export { formatReport };

/** The check settings as flags, declared once in CheckConfigSchema and shared by validate and export (same flags → same config hash → the same stored verdicts). */
export const CheckFields = CheckConfigSchema.shape;

/** One cause of an empty or small result: what removed how many, and the way out. */
export const CauseSchema = z.object({ what: z.string(), count: z.number().int(), hint: z.string() });
export type Cause = z.infer<typeof CauseSchema>;

/** Check failures as causes, each naming the flag (and its current value) that relaxes it. */
export const checkCauses = (reasons: readonly RemovalReason[], config: CheckConfig): Cause[] =>
  reasons.map((r) => ({
    what: r.reason,
    count: r.traces,
    hint: `${r.only} for this alone; ${r.relaxedBy.length ? r.relaxedBy.map((x) => `${x.way} ${flagName(x.setting)} (now ${config[x.setting]})`).join(' or ') : r.reason === 'not_finished' ? 'resume the same mtr generate' : 'no flag relaxes it'}`,
  }));

/** The top causes on one line, most first: `wrong_answer 250 (…), failed 30 (…)`. */
export const formatCauses = (causes: readonly Cause[], top = 5): string =>
  [...causes]
    .filter((c) => c.count > 0)
    .sort((a, b) => b.count - a.count)
    .slice(0, top)
    .map((c) => `${c.what} ${c.count} (${c.hint})`)
    .join(', ');

/** Traces whose verdicts share one write transaction: a generate writing beside meets 64× fewer lock holds. */
const VERDICT_BATCH = 64;

/**
 * Checks every finished or failed trace that has no verdicts under this config yet, one transaction per
 * VERDICT_BATCH traces: resumable after a kill (at most one batch is checked again), and a second run with
 * the same config adds nothing. Returns the verdicts of the runs under this config and how many traces were
 * newly checked.
 */
export async function validateRuns(
  store: Store,
  runIds: readonly number[],
  config: CheckConfig,
): Promise<{ verdicts: Verdict[]; checked: number; hash: string }> {
  const hash = checkConfigHash(config);
  let checked = 0;
  const verdicts: Verdict[] = [];
  for (const runId of runIds) {
    const items = new Map((await store.items.list(runId)).map((i) => [i.id, i]));
    let batch: Verdict[] = [];
    for (const id of await store.verdicts.unvalidated(runId, hash)) {
      const trace = await store.traces.get(id);
      if (!trace) continue; // dropped since it was listed (a resumed generate drops running traces only)
      const results = runChecks({ trace, item: items.get(trace.item_id)! }, config);
      for (const [check, result] of Object.entries(results)) batch.push({ trace_id: id, check, result });
      if (++checked % VERDICT_BATCH === 0) {
        await store.verdicts.write(hash, batch);
        batch = [];
      }
    }
    if (batch.length) await store.verdicts.write(hash, batch);
    for (const v of await store.verdicts.list(runId, hash)) verdicts.push(v); // a spread overflows the stack past ~120k verdicts
  }
  return { verdicts, checked, hash };
}

export const ValidateConfigSchema = z.object({ ...StoreFields, ...CheckFields });

export const ValidateSummarySchema = z.object({
  config: CheckConfigSchema,
  /** keys the stored verdicts: the same check settings give the same hash */
  config_hash: z.string(),
  runs: z.array(z.number().int()),
  /** traces newly checked by this call (0 when every trace already has verdicts under this config) */
  checked: z.number().int(),
  report: ValidationReportSchema,
  /** why traces failed, each with the flag that relaxes it (not part of `--json`) */
  failing: z.array(CauseSchema),
});
export type ValidateSummary = z.infer<typeof ValidateSummarySchema>;

/** What an empty result means for a caller that needs kept traces (the CLI exits 1 with it after the report). */
export function validateEmptyError(s: ValidateSummary): MtrError | undefined {
  if (s.report.traces === 0)
    return new MtrError(
      'E_EMPTY',
      `nothing validated (E_EMPTY): runs ${s.runs.join(', ')} hold no finished or failed traces; run or resume mtr generate first`,
    );
  if (s.report.passed.count === 0)
    return new MtrError('E_EMPTY', `no trace passed every check (E_EMPTY): 0 of ${s.report.traces}; failing: ${formatCauses(s.failing)}`);
  return undefined;
}

export const validateJob = defineJob({
  name: 'validate',
  description: 'Check stored traces (grammar, calls, slots, repeats, observations, answer, limits), store verdicts, report counts and % per reason',
  examples: ['mtr validate --db runs/bamboogle.sqlite', 'mtr validate --db runs/hotpot.sqlite --run 2 --f1-threshold 1 --json'],
  config: ValidateConfigSchema,
  summary: ValidateSummarySchema,
  async run(input) {
    const o = parseConfig(ValidateConfigSchema, input);
    const store = await openExistingStore(o.db);
    try {
      const records = await selectRunRecords(store, o.run);
      const runs = records.map((r) => r.id);
      const config = checkConfigOf({ ...o, coerce: o.coerce ?? runsCoerce(records) });
      const { verdicts, checked, hash } = await validateRuns(store, runs, config);
      return { config, config_hash: hash, runs, checked, report: summarizeVerdicts(verdicts), failing: checkCauses(removalReasons(verdicts), config) };
    } finally {
      await store.close();
    }
  },
});
