import { END, START, StateGraph } from '@langchain/langgraph';
import { TraceState } from './trace-graph.js';

type State = typeof TraceState.State;

/**
 * The trace graph's channels and shape with nodes that do nothing: tools, then agent ⇄ actor twice, then the
 * answer (6 node steps, where a scripted trace makes 7 model calls). What it costs to run is LangGraph's own
 * cost per trace, the floor under generate's CPU per model call (bench/pipeline.ts).
 */
export function buildNoopTraceGraph() {
  return new StateGraph(TraceState)
    .addNode('make_tools', async () => ({ tools: [], messages: [{ role: 'system' as const, content: 'tools' }] }))
    .addNode('agent', async (s: State) =>
      s.steps.length < 2
        ? {
            pending: { index: s.steps.length, think: '', raw: '', call: { name: 'f', arguments: {} } },
            messages: [{ role: 'assistant' as const, content: 'call' }],
          }
        : { answer: 'a', messages: [{ role: 'assistant' as const, content: 'answer' }] },
    )
    .addNode('actor', async (s: State) => ({ steps: [{ ...s.pending!, observation: { content: {}, source: 'simulated' as const } }], pending: undefined }))
    .addEdge(START, 'make_tools')
    .addEdge('make_tools', 'agent')
    .addConditionalEdges('agent', (s: State) => (s.answer !== undefined ? END : 'actor'), ['actor', END])
    .addEdge('actor', 'agent')
    .compile();
}
