import { END } from '@langchain/langgraph';
import { describe, expect, it } from 'vitest';
import { routeAfterActor, routeAfterAgent, routeStart, turnBudget } from '../../graphs/trace-graph.js';
import type { Step } from '../../src/schema/trace.js';

const step = (index: number): Step => ({ index, think: '', raw: '' });
const steps = (n: number) => Array.from({ length: n }, (_, i) => step(i));

describe('trace graph routers', () => {
  it('at the start: ToolMaker designs tools, except in the Search-R1 dialect (its one tool is fixed)', () => {
    expect(routeStart({ dialect: undefined })).toBe('make_tools');
    expect(routeStart({ dialect: 'hermes' })).toBe('make_tools');
    expect(routeStart({ dialect: 'search-r1' })).toBe('utility_tools');
  });

  it('--tools-from: ToolMaker, the utility tools alone (no ToolMaker call), or no tools at all', () => {
    expect(routeStart({ dialect: 'hermes', toolsFrom: 'maker' })).toBe('make_tools');
    expect(routeStart({ dialect: 'hermes', toolsFrom: 'utility' })).toBe('utility_tools');
    expect(routeStart({ dialect: 'hermes', toolsFrom: 'none' })).toBe('no_tools');
    expect(routeStart({ dialect: 'search-r1', toolsFrom: 'maker' })).toBe('utility_tools');
    expect(routeStart({ dialect: undefined, toolsFrom: 'none' })).toBe('no_tools');
  });

  it('--toolset: the fixed tool set instead of ToolMaker or the utility tools alone; no tools still wins', () => {
    expect(routeStart({ dialect: 'hermes', toolsFrom: 'utility', toolset: true })).toBe('toolset_tools');
    expect(routeStart({ dialect: undefined, toolsFrom: undefined, toolset: true })).toBe('toolset_tools');
    expect(routeStart({ dialect: 'hermes', toolsFrom: 'utility', toolset: false })).toBe('utility_tools');
    expect(routeStart({ dialect: 'hermes', toolsFrom: 'none', toolset: true })).toBe('no_tools');
  });

  it('after the agent: answer ends, a pending call goes to the actor, a malformed turn retries until the limit', () => {
    expect(routeAfterAgent({ answer: 'Paris', pending: undefined, steps: steps(1), maxTurns: 4 })).toBe(END);
    expect(routeAfterAgent({ answer: '', pending: undefined, steps: steps(1), maxTurns: 4 })).toBe(END);
    expect(routeAfterAgent({ answer: undefined, pending: step(1), steps: steps(1), maxTurns: 4 })).toBe('actor');
    expect(routeAfterAgent({ answer: undefined, pending: undefined, steps: steps(2), maxTurns: 4 })).toBe('agent');
    expect(routeAfterAgent({ answer: undefined, pending: undefined, steps: steps(4), maxTurns: 4 })).toBe(END);
  });

  it('after the actor: back to the agent until max turns', () => {
    expect(routeAfterActor({ steps: steps(3), maxTurns: 4 })).toBe('agent');
    expect(routeAfterActor({ steps: steps(4), maxTurns: 4 })).toBe(END);
  });

  it("Search-R1's dialect: max turns of search, then a final turn whose search is kept unanswered", () => {
    const sr1 = { dialect: 'search-r1' as const, maxTurns: 2 };
    expect(turnBudget(sr1)).toBe(3);
    expect(turnBudget({ maxTurns: 2 })).toBe(2);
    expect(routeAfterAgent({ ...sr1, answer: undefined, pending: step(1), steps: steps(1) })).toBe('actor');
    expect(routeAfterActor({ ...sr1, steps: steps(2) })).toBe('agent');
    expect(routeAfterAgent({ ...sr1, answer: undefined, pending: step(2), steps: steps(2) })).toBe('unanswered');
    expect(routeAfterAgent({ ...sr1, answer: undefined, pending: undefined, steps: steps(2) })).toBe('agent');
    expect(routeAfterAgent({ ...sr1, answer: undefined, pending: undefined, steps: steps(3) })).toBe(END);
    expect(routeAfterAgent({ ...sr1, answer: 'x', pending: undefined, steps: steps(3) })).toBe(END);
  });
});
