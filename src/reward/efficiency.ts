import { callKey } from '../grammar/call.js';
import type { ParsedTrace } from '../grammar/parse.js';
import type { RewardConfig } from './config.js';

export interface EfficiencyResult {
  score: number;
  calls: number;
  extraCalls: number;
  repeatedCalls: number;
  invalidCalls: number;
}

/**
 * 1 minus penalties: each call beyond the budget, each call the same as an earlier one (grammar's callKey:
 * the rule ToolActor replays by), each schema-invalid call — one the grammar could not read, or whose observation
 * carries an error of a listed type (the pre-check's type_error / missing_required / excess_parameter, …).
 */
export function efficiencyScore(trace: ParsedTrace, config: RewardConfig['efficiency']): EfficiencyResult {
  const callSegments = trace.segments.filter((s) => s.kind === 'tool_call');
  const seen = new Set<string>();
  let repeatedCalls = 0;
  for (const s of callSegments) {
    if (!s.call) continue;
    const key = callKey(s.call);
    if (seen.has(key)) repeatedCalls++;
    seen.add(key);
  }
  const unreadable = callSegments.filter((s) => !s.call).length;
  const rejected = trace.steps.filter((s) => s.call && s.observation?.error && config.invalidErrorTypes.includes(s.observation.error.type)).length;
  const calls = callSegments.length;
  const extraCalls = Math.max(0, calls - config.callBudget);
  const invalidCalls = unreadable + rejected;
  const penalty = extraCalls * config.perExtraCall + repeatedCalls * config.perRepeat + invalidCalls * config.perInvalid;
  return { score: Math.min(1, Math.max(0, 1 - penalty)), calls, extraCalls, repeatedCalls, invalidCalls };
}
