import { Annotation, END, type LangGraphRunnableConfig, START, StateGraph } from '@langchain/langgraph';
import { type ActorOptions, type Exchange, observe } from '../src/actor/index.js';
import { type AgentOptions, agentStart, agentTurn, observationMessage } from '../src/agent/index.js';
import { makeTools, type MakerOptions } from '../src/maker/index.js';
import { MtrError } from '../src/schema/errors.js';
import type { DatasetItem } from '../src/schema/item.js';
import type { ModelCall } from '../src/schema/model-call.js';
import type { Classification, RejectedTool, RunTool, Step, ToolsFrom } from '../src/schema/trace.js';
import type { Dialect } from '../src/schema/trace-text.js';
import type { ToolTemplate } from '../src/schema/tool.js';

/** The agent's conversation, as the agent role builds it (graphs know roles, not the model client's types). */
type ChatMessage = ReturnType<typeof agentStart>[number];

/** Where a trace's pieces go as they happen (in production a TraceDraft's sink: held in memory, then written whole by store.traces.finish or fail in one transaction). */
export interface TraceSink {
  tools(accepted: readonly RunTool[], rejected: readonly RejectedTool[], classification?: Classification): void;
  step(step: Step): void;
  call(call: ModelCall): void;
}

export interface TraceDeps {
  maker: MakerOptions;
  agent: AgentOptions;
  actor: ActorOptions;
  /** `--toolset FILE`'s checked tools: every trace gets them (with the utility tools) instead of ToolMaker's */
  toolset?: readonly ToolTemplate[];
}

const append = <T>(a: T[], b: T[]): T[] => a.concat(b);

export const TraceState = Annotation.Root({
  item: Annotation<DatasetItem>(),
  maxTurns: Annotation<number>(),
  /** search-r1: no ToolMaker, the one search tool */
  dialect: Annotation<Dialect | undefined>(),
  /** where the tools come from (default maker); search-r1 never calls ToolMaker */
  toolsFrom: Annotation<ToolsFrom | undefined>(),
  /** a fixed tool set (`--toolset`) is in deps.toolset */
  toolset: Annotation<boolean | undefined>(),
  tools: Annotation<RunTool[]>({ reducer: (_, b) => b, default: () => [] }),
  messages: Annotation<ChatMessage[]>({ reducer: append, default: () => [] }),
  steps: Annotation<Step[]>({ reducer: append, default: () => [] }),
  /** the agent's call waiting for its observation */
  pending: Annotation<Step | undefined>({ reducer: (_, b) => b, default: () => undefined }),
  answer: Annotation<string | undefined>({ reducer: (_, b) => b, default: () => undefined }),
});
type State = typeof TraceState.State;
type Update = typeof TraceState.Update;

function context(config: LangGraphRunnableConfig): { deps: TraceDeps; sink: TraceSink } {
  const c = config.configurable as { deps?: TraceDeps; sink?: TraceSink } | undefined;
  if (!c?.deps || !c.sink) {
    const got = c ? `${c.deps ? 'deps' : 'no deps'} and ${c.sink ? 'a sink' : 'no sink'}` : 'no configurable';
    throw new MtrError('E_INTERNAL', `trace graph: expected configurable.deps and configurable.sink, got ${got}`);
  }
  return { deps: c.deps, sink: c.sink };
}

export async function makeToolsNode(state: State, config: LangGraphRunnableConfig): Promise<Update> {
  const { deps, sink } = context(config);
  const made = await makeTools(state.item, deps.maker, (c) => sink.call(c));
  sink.tools(made.tools, made.rejected, made.classification);
  return { tools: made.tools, messages: agentStart(state.item, made.tools, deps.agent) };
}

/** The run's utility tools alone, without a ToolMaker call: Search-R1's agent has one fixed tool, search. */
export async function utilityToolsNode(state: State, config: LangGraphRunnableConfig): Promise<Update> {
  const { deps, sink } = context(config);
  const tools: RunTool[] = deps.maker.utilityTools.map((tool) => ({ origin: 'utility', tool }));
  sink.tools(tools, []);
  return { tools, messages: agentStart(state.item, tools, deps.agent) };
}

/** The run's fixed tool set (`--toolset`, origin user) and its utility tools, without a ToolMaker call. */
export async function toolsetToolsNode(state: State, config: LangGraphRunnableConfig): Promise<Update> {
  const { deps, sink } = context(config);
  if (!deps.toolset) throw new MtrError('E_INTERNAL', 'trace graph: expected deps.toolset for a run with --toolset, got none');
  const tools: RunTool[] = [
    ...deps.toolset.map((tool) => ({ origin: 'user' as const, tool })),
    ...deps.maker.utilityTools.map((tool) => ({ origin: 'utility' as const, tool })),
  ];
  sink.tools(tools, []);
  return { tools, messages: agentStart(state.item, tools, deps.agent) };
}

/** No tools at all (tools off): the agent answers from its own knowledge. */
export async function noToolsNode(state: State, config: LangGraphRunnableConfig): Promise<Update> {
  const { deps, sink } = context(config);
  sink.tools([], []);
  return { tools: [], messages: agentStart(state.item, [], deps.agent) };
}

export async function agentNode(state: State, config: LangGraphRunnableConfig): Promise<Update> {
  const { deps, sink } = context(config);
  const turn = await agentTurn(state.messages, state.tools, state.steps.length, deps.agent, (c) => sink.call(c));
  if (turn.step.call) return { pending: turn.step, messages: turn.messages };
  sink.step(turn.step);
  return { steps: [turn.step], messages: turn.messages, ...(turn.step.answer !== undefined ? { answer: turn.step.answer } : {}) };
}

export async function actorNode(state: State, config: LangGraphRunnableConfig): Promise<Update> {
  const { deps, sink } = context(config);
  const step = state.pending!;
  const history: Exchange[] = state.steps.filter((s) => s.call && s.observation).map((s) => ({ call: s.call!, observation: s.observation! }));
  const observation = await observe(step.call!, state.tools, history, deps.actor, (c) => sink.call(c), { item: state.item, step: step.index });
  const done: Step = { ...step, observation };
  sink.step(done);
  return { steps: [done], pending: undefined, messages: [observationMessage(step.call, observation, deps.agent)] };
}

/** A call made in the final turn past `maxTurns`: stored as written, with no observation. */
export async function unansweredNode(state: State, config: LangGraphRunnableConfig): Promise<Update> {
  const { sink } = context(config);
  sink.step(state.pending!);
  return { steps: [state.pending!], pending: undefined };
}

/**
 * At the start: no tools when told so; a fixed tool set when given; ToolMaker designs the item's tools, except in
 * Search-R1's dialect or with the utility tools alone. (The config refuses a tool set beside maker, none or search-r1.)
 */
export function routeStart(
  state: Pick<State, 'dialect'> & { toolsFrom?: ToolsFrom | undefined; toolset?: boolean | undefined },
): 'make_tools' | 'utility_tools' | 'toolset_tools' | 'no_tools' {
  if (state.toolsFrom === 'none') return 'no_tools';
  if (state.toolset) return 'toolset_tools';
  return state.dialect === 'search-r1' || state.toolsFrom === 'utility' ? 'utility_tools' : 'make_tools';
}

/**
 * Agent turns a trace may take: `maxTurns`, and in Search-R1's dialect one more, its final rollout, whose
 * search is not run (generation.py: `max_turns` rounds, then one generation with `do_search=False`).
 */
export const turnBudget = (state: Pick<State, 'maxTurns'> & { dialect?: Dialect }): number => state.maxTurns + (state.dialect === 'search-r1' ? 1 : 0);

/** After the agent: observe its call (one past `maxTurns` is kept unanswered), stop at an answer or the turn budget, or let it try again. */
export function routeAfterAgent(
  state: Pick<State, 'answer' | 'pending' | 'steps' | 'maxTurns'> & { dialect?: Dialect },
): 'actor' | 'agent' | 'unanswered' | typeof END {
  if (state.answer !== undefined) return END;
  if (state.pending) return state.steps.length >= state.maxTurns ? 'unanswered' : 'actor';
  return state.steps.length >= turnBudget(state) ? END : 'agent';
}

export function routeAfterActor(state: Pick<State, 'steps' | 'maxTurns'> & { dialect?: Dialect }): 'agent' | typeof END {
  return state.steps.length >= turnBudget(state) ? END : 'agent';
}

/** ToolMaker (or a fixed tool set, or the utility tools alone, or none) → AutoAgent ⇄ ToolActor, ending at a final answer or the turn budget. */
export function buildTraceGraph() {
  return new StateGraph(TraceState)
    .addNode('make_tools', makeToolsNode)
    .addNode('utility_tools', utilityToolsNode)
    .addNode('toolset_tools', toolsetToolsNode)
    .addNode('no_tools', noToolsNode)
    .addNode('agent', agentNode)
    .addNode('actor', actorNode)
    .addNode('unanswered', unansweredNode)
    .addConditionalEdges(START, routeStart, ['make_tools', 'utility_tools', 'toolset_tools', 'no_tools'])
    .addEdge('make_tools', 'agent')
    .addEdge('utility_tools', 'agent')
    .addEdge('toolset_tools', 'agent')
    .addEdge('no_tools', 'agent')
    .addConditionalEdges('agent', routeAfterAgent, ['actor', 'agent', 'unanswered', END])
    .addConditionalEdges('actor', routeAfterActor, ['agent', END])
    .addEdge('unanswered', END)
    .compile();
}
export type TraceGraph = ReturnType<typeof buildTraceGraph>;
