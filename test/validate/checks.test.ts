import { describe, expect, it } from 'vitest';
import type { Step } from '../../src/schema/trace.js';
import { CHECK_NAMES, CheckConfigSchema, checkConfigHash, runChecks, ungroundedSlots } from '../../src/validate/index.js';
import { bamboogle, goodSteps, TOOLS, traceOf } from './fixtures.js';
import { removalReasons } from '../../src/validate/index.js';

const items = await bamboogle(5);
const config = CheckConfigSchema.parse({});
const item = items[0]!;

/** Every check's outcome for a trace built from `steps`: name → 'pass' | reason. */
function outcome(steps: Step[], over = {}) {
  const r = runChecks({ trace: traceOf(item, steps, over), item }, config);
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.pass ? 'pass' : v.reason]));
}
const failing = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 'pass'));
const edit = (f: (s: Step[]) => void): Step[] => {
  const s = structuredClone(goodSteps(item));
  f(s);
  return s;
};

describe('trace checks', () => {
  it('passes a well-formed, grounded, correct trace on every real item', () => {
    for (const it of items) {
      const r = runChecks({ trace: traceOf(it, goodSteps(it)), item: it }, config);
      expect(Object.keys(r)).toEqual(CHECK_NAMES);
      expect(Object.values(r).every((v) => v.pass)).toBe(true);
    }
  });

  it('fails each check on a trace broken in that one way', () => {
    expect(failing(outcome(goodSteps(item), { status: 'failed', error: 'model down' }))).toEqual({ finished: 'not_finished' });
    expect(failing(outcome(edit((s) => (s[0]!.raw = '<think>x</think><tool_call>{"name": "lookup_entity_fact", "arguments": {</tool_call>'))))).toEqual({
      grammar: 'malformed',
    });
    expect(failing(outcome(edit((s) => (s[1]!.call!.name = 'web_search'))))).toMatchObject({ tool_calls: 'unknown_tool' });
    expect(failing(outcome(edit((s) => (s[1]!.call!.arguments = { query: item.question, top_k: 'three' }))))).toEqual({ tool_calls: 'invalid_arguments' });
    expect(failing(outcome(edit((s) => (s[1]!.call!.arguments = { query: 'Thomas Jefferson biography' }))))).toEqual({ slot_agreement: 'slot_disagreement' });
    expect(failing(outcome(edit((s) => (s[1]!.call = { ...s[0]!.call!, arguments: { attribute: 'answer', entity: item.question } }))))).toMatchObject({
      no_repeated_call: 'repeated_call',
    });
    expect(failing(outcome(edit((s) => (s[1]!.observation = { content: { passages: [] }, source: 'simulated' }))))).toEqual({
      observations: 'invalid_observation',
    });
    expect(failing(outcome(edit((s) => delete s[0]!.observation)))).toMatchObject({ observations: 'invalid_observation' });
    expect(failing(outcome(goodSteps(item).slice(0, 2)))).toEqual({ answer_present: 'missing_answer', answer_correct: 'wrong_answer' });
    expect(
      failing(
        outcome(
          edit((s) => (s[2]!.answer = 'Abraham Lincoln')),
          { answer: 'Abraham Lincoln' },
        ),
      ),
    ).toEqual({ answer_correct: 'wrong_answer' });
    expect(failing(runOutcome({ maxTurns: 2 }))).toEqual({ turns: 'too_many_turns' });
    expect(failing(runOutcome({ maxChars: 100 }))).toEqual({ length: 'too_long' });
  });

  it('accepts a well-formed tool error as an observation and a malformed agent turn as malformed', () => {
    const err = edit(
      (s) =>
        (s[1]!.observation = {
          content: { error: { type: 'invalid_value', message: 'no such page' } },
          error: { type: 'invalid_value', message: 'no such page' },
          source: 'simulated',
        }),
    );
    expect(failing(outcome(err))).toEqual({});
    const chatter = edit((s) =>
      s.splice(2, 0, {
        index: 2,
        think: '',
        observation: { content: 'format error', error: { type: 'malformed_call', message: 'x' }, source: 'precheck' },
        raw: 'I think the answer is near.',
      }),
    );
    chatter[3]!.index = 3;
    expect(failing(outcome(chatter))).toEqual({ grammar: 'malformed' });
  });

  it('grades correctness by EM or the F1 threshold', () => {
    const partial = edit((s) => (s[2]!.answer = `President ${item.answers[0]}`));
    const o = (f1Threshold: number) =>
      runChecks({ trace: traceOf(item, partial, { answer: `President ${item.answers[0]}` }), item }, CheckConfigSchema.parse({ f1Threshold })).answer_correct;
    expect(o(0.5).pass).toBe(true); // F1 = 0.8 for "president james madison" vs "james madison"
    expect(o(1)).toMatchObject({ pass: false, reason: 'wrong_answer', details: { em: 0 } });
    expect(checkConfigHash(CheckConfigSchema.parse({ f1Threshold: 1 }))).not.toBe(checkConfigHash(config));
  });
});

function runOutcome(c: object) {
  const r = runChecks({ trace: traceOf(item, goodSteps(item)), item }, CheckConfigSchema.parse(c));
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.pass ? 'pass' : v.reason]));
}

describe('slot agreement', () => {
  const q = 'Who was president of the United States in the year that Citibank was founded?';
  const step = (args: Record<string, unknown>, observation?: unknown): Step => ({
    index: 0,
    think: '',
    call: { name: 'wiki_search', arguments: args },
    ...(observation ? { observation: { content: observation, source: 'simulated' as const } } : {}),
    raw: '',
  });
  const opts = { overlap: 0.5, minTokens: 2 };
  const tools = TOOLS.map((t) => t.tool);

  it('grounds values in the question, ignoring case, punctuation and articles', () => {
    expect(ungroundedSlots(q, [step({ query: 'The YEAR that Citibank was founded!' })], tools, opts)).toEqual([]);
    expect(ungroundedSlots(q, [step({ query: 'Wells Fargo founding date' })], tools, opts)).toMatchObject([
      { missing: ['wells', 'fargo', 'founding', 'date'], share: 0 },
    ]);
    expect(ungroundedSlots(q, [step({ query: 'Citibank, founded' })], tools, opts)).toEqual([]);
    expect(ungroundedSlots(q, [step({ query: 'population' })], tools, opts)).toEqual([]); // one token: a selector
  });

  it('grounds values in earlier observations only, and reports nested paths', () => {
    const steps = [
      step({ query: 'Citibank founded' }, { results: [{ title: 'Citibank', text: 'Founded in 1812 under James Madison.' }] }),
      { ...step({ query: 'James Madison 1812' }), index: 1 },
    ];
    expect(ungroundedSlots(q, steps, tools, opts)).toEqual([]);
    const early = [{ ...step({ query: 'James Madison presidency' }), index: 0 }];
    expect(ungroundedSlots(q, early, tools, opts)).toMatchObject([{ step: 0, parameter: 'query', missing: ['james', 'madison', 'presidency'], share: 0 }]);
    const nested = ungroundedSlots(q, [step({ filters: [{ city: 'San Francisco Bay' }] })], tools, opts);
    expect(nested).toMatchObject([{ parameter: 'filters.0.city' }]);
  });
});

describe('task_tool: a trace ToolMaker made tools for calls one of them', () => {
  const searchOnly = () =>
    goodSteps(item)
      .slice(1)
      .map((s, i) => ({ ...s, index: i }));
  const check = (steps: Step[], over = {}, c = config) => runChecks({ trace: traceOf(item, steps, over), item }, c).task_tool;

  it('fails a trace that got by on wiki_search alone although ToolMaker made (or tried to make) its tools', () => {
    expect(check(goodSteps(item))).toEqual({ pass: true });
    expect(check(searchOnly())).toEqual({
      pass: false,
      reason: 'no_task_tool',
      details: { made: [TOOLS[0]!.tool.api_name], rejected: 0, called: ['wiki_search'] },
    });
    // every tool ToolMaker wrote was rejected: only wiki_search was offered, and nothing flagged it before
    const rejected = [{ tool: { api_name: 'broken' }, reasons: ['parameters: invalid JSON Schema'] }];
    const onlyUtility = { tools: [TOOLS[1]!], rejected_tools: rejected, classification: { domain: 'film', reasoning_type: 'bridge' } };
    expect(check(searchOnly(), onlyUtility)).toMatchObject({ pass: false, reason: 'no_task_tool', details: { made: [], rejected: 1 } });
    expect(check(searchOnly(), { tools: [TOOLS[1]!], classification: { domain: 'film', reasoning_type: 'bridge' } })).toMatchObject({ pass: false });
  });

  it('passes traces made without ToolMaker (--tools-from utility|none, Search-R1) and everything with --allow-no-task-tool', () => {
    expect(check(searchOnly(), { tools: [TOOLS[1]!] })).toEqual({ pass: true });
    expect(
      check(
        [goodSteps(item).at(-1)!].map((s) => ({ ...s, index: 0 })),
        { tools: [] },
      ),
    ).toEqual({ pass: true });
    expect(check(searchOnly(), {}, CheckConfigSchema.parse({ allowNoTaskTool: true }))).toEqual({ pass: true });
    expect(checkConfigHash(CheckConfigSchema.parse({ allowNoTaskTool: true }))).not.toBe(checkConfigHash(config));
  });

  it('names the flag that keeps such traces', () => {
    const verdicts = Object.entries(runChecks({ trace: traceOf(item, searchOnly()), item }, config)).map(([check, result]) => ({ trace_id: 1, check, result }));
    expect(removalReasons(verdicts)).toEqual([{ reason: 'no_task_tool', traces: 1, only: 1, relaxedBy: [{ setting: 'allowNoTaskTool', way: 'set' }] }]);
  });
});
