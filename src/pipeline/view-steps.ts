import type { ModelCall } from '../schema/model-call.js';

/** A trace's model calls (as indices into them) by the step they made: ToolMaker's before the first, the rest after the last. */
export interface StepCalls {
  before: number[];
  steps: number[][];
  after: number[];
}

/**
 * The calls behind each step, from the order they were stored (a call row names no step): an agent call and its
 * failed attempts make the next step; the calls after it (ToolActor answering the step's tool call, a judge)
 * belong to that step; calls before the first agent call are ToolMaker's.
 */
export function callsByStep(calls: readonly Pick<ModelCall, 'role' | 'ok'>[], steps: number): StepCalls {
  const out: StepCalls = { before: [], steps: Array.from({ length: steps }, () => []), after: [] };
  let current = -1;
  calls.forEach((c, i) => {
    const target = c.role === 'agent' ? current + 1 : current;
    if (c.role === 'agent' && c.ok) current++;
    (target < 0 ? out.before : target >= steps ? out.after : out.steps[target]!).push(i);
  });
  return out;
}
