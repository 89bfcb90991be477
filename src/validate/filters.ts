import { z } from 'zod';
import { inputError } from '../schema/errors.js';
import { jsonLines } from '../text/jsonl.js';
import type { Verdict } from './verdict.js';

/**
 * Stage-1 SFT keeps a trace only when every check passed: finished, well-formed, valid calls and
 * observations, grounded slots, no repeats, within limits, and answered correctly.
 */
export function sftTraceIds(verdicts: readonly Verdict[], expectedChecks: readonly string[]): Set<number> {
  const passed = new Map<number, Set<string>>();
  const failed = new Set<number>();
  for (const v of verdicts) {
    if (!v.result.pass) failed.add(v.trace_id);
    else {
      if (!passed.has(v.trace_id)) passed.set(v.trace_id, new Set());
      passed.get(v.trace_id)!.add(v.check);
    }
  }
  // a trace missing a verdict (validated by an older config) is not kept on faith
  return new Set([...passed].filter(([id, checks]) => !failed.has(id) && expectedChecks.every((c) => checks.has(c))).map(([id]) => id));
}

/** One line of `mtr score` output (or any rollout score file): the item id and its components. */
const ScoredRowSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  components: z.looseObject({ em: z.number().optional(), f1: z.number().optional() }).optional(),
  reward: z.number().optional(),
});

/**
 * Stage-2 GRPO option `--unsolved-by`: items the SFT policy already solves teach GRPO nothing (every
 * rollout gets the same reward, zero advantage). An item is solved when any of its scored rollouts has
 * EM = 1 (`mtr score` output of the SFT policy's rollouts, each line carrying the item `id`).
 */
export function solvedItemIds(jsonl: string, file: string): Set<string> {
  const solved = new Set<string>();
  for (const { line, text } of jsonLines(jsonl)) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw inputError('E_INPUT', file, line, undefined, `expected a JSON object, got ${JSON.stringify(text.slice(0, 40))}`);
    }
    const row = ScoredRowSchema.safeParse(raw);
    if (!row.success) {
      const issue = row.error.issues[0]!;
      throw inputError('E_INPUT', file, line, issue.path.join('.') || 'row', `expected a scored rollout with an item id, got ${issue.message}`);
    }
    if (row.data.components?.em === 1) solved.add(row.data.id);
  }
  return solved;
}
