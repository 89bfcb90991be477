import { MtrError } from '../schema/errors.js';
import { type Db, readTrace } from '../store/index.js';
import { readItems, readVerdicts, unvalidatedTraceIds, writeVerdicts } from '../store/verdicts.js';
import { type CheckConfig, CheckConfigSchema, checkConfigHash, formatReport, type RemovalReason, removalReasons, runChecks, summarizeVerdicts, type Verdict } from '../validate/index.js';
import { defineCommand } from './command.js';
import { openStore, selectRuns, STORE_OPTIONS } from './stores.js';


/** The defaults live in CheckConfigSchema; the flags show them. */
const DEFAULTS = CheckConfigSchema.parse({});

/** Check settings, shared with `mtr export` (same flags → same config hash → the same stored verdicts). */
export const CHECK_OPTIONS = {
  run: STORE_OPTIONS.run,
  f1Threshold: { type: 'number', default: DEFAULTS.f1Threshold, placeholder: 'X', description: 'an answer is correct when EM = 1 or token F1 ≥ X (1 = exact match only)' },
  slotOverlap: { type: 'number', default: DEFAULTS.slotOverlap, placeholder: 'X', description: 'share of a string argument\'s tokens that must occur in the question or earlier observations' },
  slotMinTokens: { type: 'number', default: DEFAULTS.slotMinTokens, placeholder: 'N', description: 'string arguments with fewer tokens are selectors and are not checked for grounding' },
  maxTurns: { type: 'number', default: DEFAULTS.maxTurns, placeholder: 'N', description: 'most steps a kept trace may have' },
  maxChars: { type: 'number', default: DEFAULTS.maxChars, placeholder: 'N', description: 'most characters of the rendered trace' },
} as const;

const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** One cause of an empty or small result: what removed how many, and the way out. */
export interface Cause {
  what: string;
  count: number;
  hint: string;
}

/** Check failures as causes, each naming the flag (and its current value) that relaxes it. */
export const checkCauses = (reasons: readonly RemovalReason[], config: CheckConfig): Cause[] =>
  reasons.map((r) => ({
    what: r.reason,
    count: r.traces,
    hint: `${r.only} for this alone; ${r.relaxedBy.length ? r.relaxedBy.map((x) => `${x.way} ${flag(x.setting)} (now ${config[x.setting]})`).join(' or ') : r.reason === 'not_finished' ? 'resume the same mtr generate' : 'no flag relaxes it'}`,
  }));

/** The top causes on one line, most first: `wrong_answer 250 (…), failed 30 (…)`. */
export const formatCauses = (causes: readonly Cause[], top = 5): string =>
  [...causes].filter((c) => c.count > 0).sort((a, b) => b.count - a.count).slice(0, top).map((c) => `${c.what} ${c.count} (${c.hint})`).join(', ');

export function checkConfigFrom(o: { f1Threshold: number; slotOverlap: number; slotMinTokens: number; maxTurns: number; maxChars: number }): CheckConfig {
  const parsed = CheckConfigSchema.safeParse({ f1Threshold: o.f1Threshold, slotOverlap: o.slotOverlap, slotMinTokens: o.slotMinTokens, maxTurns: o.maxTurns, maxChars: o.maxChars });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MtrError('E_USAGE', `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`);
  }
  return parsed.data;
}


/** Traces whose verdicts share one write transaction: a generate writing beside meets 64× fewer lock holds. */
const VERDICT_BATCH = 64;

/**
 * Checks every finished or failed trace that has no verdicts under this config yet, one transaction per
 * VERDICT_BATCH traces: resumable after a kill (at most one batch is checked again), and a second run with
 * the same config adds nothing. Returns the verdicts of the runs under this config and how many traces were
 * newly checked.
 */

export function validateRuns(db: Db, runIds: readonly number[], config: CheckConfig): { verdicts: Verdict[]; checked: number; hash: string } {
  const hash = checkConfigHash(config);
  let checked = 0;
  const verdicts: Verdict[] = [];
  for (const runId of runIds) {
    const items = new Map(readItems(db, runId).map((i) => [i.id, i]));
    let batch: Verdict[] = [];
    for (const id of unvalidatedTraceIds(db, runId, hash)) {
      const trace = readTrace(db, id)!;
      const results = runChecks({ trace, item: items.get(trace.item_id)! }, config);
      for (const [check, result] of Object.entries(results)) batch.push({ trace_id: id, check, result });
      if (++checked % VERDICT_BATCH === 0) {
        writeVerdicts(db, hash, batch);
        batch = [];
      }
    }
    writeVerdicts(db, hash, batch);
    for (const v of readVerdicts(db, runId, hash)) verdicts.push(v); // a spread overflows the stack past ~120k verdicts
  }
  return { verdicts, checked, hash };
}

export default defineCommand({
  name: 'validate',
  summary: 'Check stored traces (grammar, calls, slots, repeats, observations, answer, limits), store verdicts, report counts and % per reason',
  examples: ['mtr validate --db runs/bamboogle.sqlite', 'mtr validate --db runs/hotpot.sqlite --run 2 --f1-threshold 1 --json'],
  options: {
    db: STORE_OPTIONS.db,
    ...CHECK_OPTIONS,
    json: { type: 'boolean', description: 'print one JSON object: config, config_hash, checked, report' },
  },
  async run(o) {
    const config = checkConfigFrom(o);
    const db = openStore(o.db);
    try {
      const runs = selectRuns(db, o.run);
      const { verdicts, checked, hash } = validateRuns(db, runs, config);
      const report = summarizeVerdicts(verdicts);
      if (o.json) process.stdout.write(`${JSON.stringify({ config, config_hash: hash, runs, checked, report })}\n`);
      else process.stdout.write(`checked ${checked} new traces (config ${hash}, runs ${runs.join(', ')})\n${formatReport(report)}\n`);
      if (report.traces === 0) throw new MtrError('E_EMPTY', `nothing validated (E_EMPTY): runs ${runs.join(', ')} hold no finished or failed traces; run or resume mtr generate first`);
      if (report.passed.count === 0) {
        const why = formatCauses(checkCauses(removalReasons(verdicts), config));
        throw new MtrError('E_EMPTY', `no trace passed every check (E_EMPTY): 0 of ${report.traces}; failing: ${why}`);
      }
    } finally {
      db.close();
    }
  },
});
