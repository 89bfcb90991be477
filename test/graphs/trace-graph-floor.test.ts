import { describe, expect, it } from 'vitest';
import { buildNoopTraceGraph } from '../../graphs/trace-graph-floor.js';
import type { TraceState } from '../../graphs/trace-graph.js';

describe('buildNoopTraceGraph (the bench floor: LangGraph alone)', () => {
  it('runs the trace shape: tools, two observed calls, then an answer', async () => {
    const out = await buildNoopTraceGraph().invoke({ item: { id: 'x' } as typeof TraceState.State.item, maxTurns: 6 });
    expect(out.answer).toBe('a');
    expect(out.steps.map((s) => [s.index, s.observation?.source])).toEqual([
      [0, 'simulated'],
      [1, 'simulated'],
    ]);
    expect(out.messages.map((m) => m.content)).toEqual(['tools', 'call', 'call', 'answer']);
  });
});
