import { precheckArguments } from './precheck.js';
import { callKey, formatGrammarError, parseAgentTurn, parseTrace, renderTrace } from '../grammar/index.js';
import { answerScores } from '../text/answer.js';
import { formatErrors, validateJson } from '../schema/json-schema.js';
import { responsesJsonSchema } from '../schema/tool-convert.js';
import type { DatasetItem } from '../schema/item.js';
import type { ToolTemplate } from '../schema/tool.js';
import type { TraceRecord } from '../schema/trace.js';
import type { CheckConfig } from './config.js';
import { ungroundedSlots } from './slots.js';
import { type CheckResult, fail, PASS } from './verdict.js';

/** A stored trace with the item it answers (gold answers come from the item). */
export interface CheckInput {
  trace: TraceRecord;
  item: DatasetItem;
}
export type Check = (input: CheckInput, config: CheckConfig) => CheckResult;

const toolsOf = (trace: TraceRecord): ToolTemplate[] => trace.tools.map((t) => t.tool);
const findTool = (trace: TraceRecord, name: string): ToolTemplate | undefined => trace.tools.find((t) => t.tool.api_name === name)?.tool;

export const checkFinished: Check = ({ trace }) => (trace.status === 'finished' ? PASS : fail('not_finished', { status: trace.status, error: trace.error }));

/**
 * Each agent turn as written (raw) must be one well-formed action, and the whole trace rendered in the
 * canonical text form must parse without errors. A missing answer is left to `answer_present`.
 */
export const checkGrammar: Check = ({ trace }) => {
  for (const step of trace.steps) {
    const errors = parseAgentTurn(step.raw).errors;
    if (errors.length) return fail('malformed', { step: step.index, errors: errors.map(formatGrammarError) });
  }
  const errors = parseTrace(renderTrace(trace.steps)).errors.filter((e) => e.code !== 'missing_answer');
  return errors.length ? fail('malformed', { step: null, errors: errors.map(formatGrammarError) }) : PASS;
};

/** Every call names a tool of the trace and its arguments satisfy that tool's parameter schema (read under `config.coerce`). */
export const checkToolCalls: Check = ({ trace }, config) => {
  for (const step of trace.steps) {
    if (!step.call) continue;
    const tool = findTool(trace, step.call.name);
    if (!tool) return fail('unknown_tool', { step: step.index, tool: step.call.name, available: toolsOf(trace).map((t) => t.api_name) });
    const { error } = precheckArguments(tool, step.call.arguments, config.coerce);
    if (error) return fail('invalid_arguments', { step: step.index, tool: tool.api_name, error });
  }
  return PASS;
};

export const checkSlots: Check = ({ trace, item }, config) => {
  const ungrounded = ungroundedSlots(item.question, trace.steps, toolsOf(trace), { overlap: config.slotOverlap, minTokens: config.slotMinTokens });
  return ungrounded.length ? fail('slot_disagreement', { slots: ungrounded }) : PASS;
};

export const checkRepeatedCalls: Check = ({ trace }) => {
  const seen = new Map<string, number>();
  for (const step of trace.steps) {
    if (!step.call) continue;
    const key = callKey(step.call);
    const first = seen.get(key);
    if (first !== undefined) return fail('repeated_call', { step: step.index, first_step: first, tool: step.call.name, arguments: step.call.arguments });
    seen.set(key, step.index);
  }
  return PASS;
};

/** Each call got a response: a well-formed tool error, or content valid against the tool's response schema. */
export const checkObservations: Check = ({ trace }) => {
  for (const step of trace.steps) {
    if (!step.call) continue;
    if (!step.observation) return fail('invalid_observation', { step: step.index, problem: 'the call got no response' });
    if (step.observation.error) continue; // already read through ToolErrorSchema: well-formed
    const tool = findTool(trace, step.call.name);
    if (!tool) continue; // reported by tool_calls
    const result = validateJson(responsesJsonSchema(tool), step.observation.content);
    if (!result.ok) return fail('invalid_observation', { step: step.index, tool: tool.api_name, errors: formatErrors(result.errors) });
  }
  return PASS;
};

export const checkAnswerPresent: Check = ({ trace }) =>
  trace.stop_reason === 'answer' && trace.answer?.trim() ? PASS : fail('missing_answer', { stop_reason: trace.stop_reason });

/** Correct = EM against any gold alias, or token F1 at least the threshold. */
export const checkAnswerCorrect: Check = ({ trace, item }, config) => {
  if (!trace.answer?.trim()) return fail('wrong_answer', { answer: null, gold: item.answers });
  const s = answerScores(trace.answer, item.answers);
  return s.em === 1 || s.f1 >= config.f1Threshold
    ? PASS
    : fail('wrong_answer', { answer: trace.answer, gold: item.answers, em: s.em, f1: s.f1, f1_threshold: config.f1Threshold });
};

export const checkTurns: Check = ({ trace }, config) =>
  trace.steps.length <= config.maxTurns ? PASS : fail('too_many_turns', { turns: trace.steps.length, max: config.maxTurns });

export const checkLength: Check = ({ trace }, config) => {
  const chars = renderTrace(trace.steps).length;
  return chars <= config.maxChars ? PASS : fail('too_long', { chars, max: config.maxChars });
};

/**
 * A trace for which ToolMaker ran (it classified the question, or made or rejected tools) must call at least one
 * of the tools it made: MTR's data teaches task-specific tools. Traces made without ToolMaker (`--tools-from
 * utility|none`, Search-R1's dialect) pass: they were never meant to.
 */
export const checkTaskTool: Check = ({ trace }, config) => {
  const made = trace.tools.filter((t) => t.origin === 'maker').map((t) => t.tool.api_name);
  if (config.allowNoTaskTool || (trace.classification === null && !trace.rejected_tools.length && !made.length)) return PASS;
  const called = new Set(trace.steps.flatMap((s) => (s.call ? [s.call.name] : [])));
  return made.some((name) => called.has(name)) ? PASS : fail('no_task_tool', { made, rejected: trace.rejected_tools.length, called: [...called] });
};

/** Every check by its stored name, in report order. */
export const CHECKS = {
  finished: checkFinished,
  grammar: checkGrammar,
  tool_calls: checkToolCalls,
  slot_agreement: checkSlots,
  no_repeated_call: checkRepeatedCalls,
  observations: checkObservations,
  answer_present: checkAnswerPresent,
  answer_correct: checkAnswerCorrect,
  turns: checkTurns,
  length: checkLength,
  task_tool: checkTaskTool,
} as const satisfies Record<string, Check>;
export type CheckName = keyof typeof CHECKS;
export const CHECK_NAMES = Object.keys(CHECKS) as CheckName[];

/** Runs every check on one trace. */
export const runChecks = (input: CheckInput, config: CheckConfig): Record<CheckName, CheckResult> =>
  Object.fromEntries(CHECK_NAMES.map((name) => [name, CHECKS[name](input, config)])) as Record<CheckName, CheckResult>;
