import { z } from 'zod';
import type { CheckConfig } from './config.js';
import { REASON_CODES, type ReasonCode, ReasonCodeSchema, type Verdict } from './verdict.js';

const Count = z.object({ count: z.number().int(), pct: z.number() });
export const ValidationReportSchema = z.object({
  traces: z.number().int(),
  /** traces that pass every check: what Stage-1 SFT keeps */
  passed: Count,
  /** traces failing each check */
  by_check: z.record(z.string(), Count),
  /** traces with at least one failure of each reason */
  by_reason: z.record(ReasonCodeSchema, Count),
  /** traces failing invalid_arguments, by the pre-check's error type (type_error, missing_required, …) */
  invalid_arguments_by_type: z.record(z.string(), Count),
  /** MTR's headline numbers: shares of traces that are malformed / have an ungrounded argument */
  malformed_pct: z.number(),
  slot_disagreement_pct: z.number(),
});
export type ValidationReport = z.infer<typeof ValidationReportSchema>;

const pct = (n: number, of: number): number => (of === 0 ? 0 : Math.round((10000 * n) / of) / 100);

/** Counts and percentages over stored verdicts (the report is computed from them, never kept apart). */
export function summarizeVerdicts(verdicts: readonly Verdict[]): ValidationReport {
  const traces = new Set<number>();
  const failedTraces = new Set<number>();
  const byCheck = new Map<string, Set<number>>();
  const byReason = new Map<string, Set<number>>(REASON_CODES.map((r) => [r, new Set<number>()]));
  const byArgumentError = new Map<string, Set<number>>();
  for (const v of verdicts) {
    traces.add(v.trace_id);
    if (!byCheck.has(v.check)) byCheck.set(v.check, new Set());
    if (v.result.pass) continue;
    failedTraces.add(v.trace_id);
    byCheck.get(v.check)!.add(v.trace_id);
    byReason.get(v.result.reason)!.add(v.trace_id);
    if (v.result.reason === 'invalid_arguments') {
      const type = String((v.result.details.error as { type?: unknown } | undefined)?.type ?? 'unknown');
      if (!byArgumentError.has(type)) byArgumentError.set(type, new Set());
      byArgumentError.get(type)!.add(v.trace_id);
    }
  }
  const n = traces.size;
  const count = (set: Set<number>) => ({ count: set.size, pct: pct(set.size, n) });
  const passed = n - failedTraces.size;
  return {
    traces: n,
    passed: { count: passed, pct: pct(passed, n) },
    by_check: Object.fromEntries([...byCheck].map(([k, s]) => [k, count(s)])),
    by_reason: Object.fromEntries([...byReason].map(([k, s]) => [k, count(s)])) as ValidationReport['by_reason'],
    invalid_arguments_by_type: Object.fromEntries([...byArgumentError].map(([k, s]) => [k, count(s)])),
    malformed_pct: pct(byReason.get('malformed')!.size, n),
    slot_disagreement_pct: pct(byReason.get('slot_disagreement')!.size, n),
  };
}

export function formatReport(r: ValidationReport): string {
  const row = (label: string, c: { count: number; pct: number }) => `  ${label.padEnd(22)} ${String(c.count).padStart(6)}  ${c.pct.toFixed(2).padStart(6)}%`;
  return [
    `traces validated       ${r.traces}`,
    row('passed every check', r.passed),
    `Malformed %            ${r.malformed_pct.toFixed(2)}`,
    `Slot disagreement %    ${r.slot_disagreement_pct.toFixed(2)}`,
    'failed, by check:',
    ...Object.entries(r.by_check).map(([k, c]) => row(k, c)),
    'failed, by reason:',
    ...Object.entries(r.by_reason)
      .filter(([, c]) => c.count > 0)
      .flatMap(([k, c]) => [
        row(k, c),
        ...(k === 'invalid_arguments' ? Object.entries(r.invalid_arguments_by_type).map(([type, t]) => row(`  ${type}`, t)) : []),
      ]),
  ].join('\n');
}

/** The check settings that relax each reason; a reason not listed is fixed only by a different trace. */
export interface Relaxation {
  setting: keyof CheckConfig;
  way: 'lower' | 'raise' | 'set';
}
export const RELAXED_BY: Partial<Record<ReasonCode, readonly Relaxation[]>> = {
  wrong_answer: [{ setting: 'f1Threshold', way: 'lower' }],
  slot_disagreement: [
    { setting: 'slotOverlap', way: 'lower' },
    { setting: 'slotMinTokens', way: 'raise' },
  ],
  too_many_turns: [{ setting: 'maxTurns', way: 'raise' }],
  too_long: [{ setting: 'maxChars', way: 'raise' }],
  no_task_tool: [{ setting: 'allowNoTaskTool', way: 'set' }],
};

export interface RemovalReason {
  reason: ReasonCode;
  /** traces failing a check for this reason */
  traces: number;
  /** traces failing for this reason alone: relaxing it alone would keep them */
  only: number;
  relaxedBy: readonly Relaxation[];
}

/** Why traces failed, most frequent first: what an empty or near-empty result names and how to relax it. */
export function removalReasons(verdicts: readonly Verdict[]): RemovalReason[] {
  const reasonsOf = new Map<number, Set<ReasonCode>>();
  for (const v of verdicts) {
    if (v.result.pass) continue;
    const set = reasonsOf.get(v.trace_id) ?? new Set<ReasonCode>();
    set.add(v.result.reason);
    reasonsOf.set(v.trace_id, set);
  }
  const tally = new Map<ReasonCode, RemovalReason>();
  for (const set of reasonsOf.values()) {
    for (const reason of set) {
      const r = tally.get(reason) ?? { reason, traces: 0, only: 0, relaxedBy: RELAXED_BY[reason] ?? [] };
      r.traces++;
      if (set.size === 1) r.only++;
      tally.set(reason, r);
    }
  }
  return [...tally.values()].sort((a, b) => b.traces - a.traces || b.only - a.only || a.reason.localeCompare(b.reason));
}
