import type { RunPosition } from '../../actor/grounding.js';
import { type ActorOptions, type Exchange, observe } from '../../actor/index.js';
import type { CallSink } from '../../llm/role.js';
import type { DatasetItem } from '../../schema/item.js';
import type { ModelCall } from '../../schema/model-call.js';
import { MtrError } from '../../schema/errors.js';
import { metaSchemaErrors } from '../../schema/json-schema.js';
import { parametersJsonSchema, toOpenAIFunction } from '../../schema/tool-convert.js';
import type { OpenAIFunction, ToolTemplate } from '../../schema/tool.js';
import type { Observation, RunTool, ToolCall } from '../../schema/trace.js';
import { ClientLimiter } from './limit.js';
import { unknownToolWithSuggestions } from './names.js';
import { SessionMemory, type SessionItem } from './sessions.js';

export interface ToolServiceOptions {
  tools: readonly ToolTemplate[];
  /** the ToolActor that answers calls (pre-check, cache, then the model); `position` is set by the service */
  actor: Omit<ActorOptions, 'position'>;
  /** calls in flight per client; more wait in a queue (default 8) */
  maxConcurrencyPerClient?: number;
  /** calls a client may have admitted (running + queued) before it is turned away (default 256) */
  maxQueuedPerClient?: number;
  maxSessions?: number;
  /** exchanges of a session the actor sees (default 32, the most recent) */
  maxHistory?: number;
  /** receives every model call (e.g. to log or store it) */
  sink?: CallSink;
  /** items a session may be grounded in by id (a run's items, in run order: the order is the noise schedule's) */
  items?: readonly DatasetItem[];
}

/** Who is calling, for the per-client limit and the world memory. */
export interface Caller {
  /** remote address, MCP session, or "stdio" */
  client: string;
  /** calls with the same session id share history; none → the call stands alone */
  session?: string;
}

export interface ToolServiceStats {
  calls: number;
  by_source: Record<string, number>;
  failures: number;
  model_calls: number;
  tokens_in: number;
  tokens_out: number;
  sessions: number;
  /** calls the pre-check answered, by ToolError type, and calls that passed it only with coerced arguments (--coerce strings) */
  precheck: { rejected: Record<string, number>; coerced: number };
}

/**
 * The one thing every face of the tool server (HTTP, /virtual, MCP) calls: a tool set answered by ToolActor,
 * with the per-client limit and per-session memory applied the same way everywhere.
 */
export class ToolService {
  readonly tools: readonly ToolTemplate[];
  readonly limiter: ClientLimiter;
  private readonly runTools: readonly RunTool[];
  private readonly byName: ReadonlyMap<string, ToolTemplate>;
  private nameList?: readonly string[];
  private itemsById?: Map<string, SessionItem>;
  private openaiList?: readonly OpenAIFunction[];
  /** tools whose parameter schema compiled (at their first call, not at start) */
  private readonly compiled = new Set<ToolTemplate>();
  private readonly sessions: SessionMemory;
  private readonly actor: ActorOptions;
  /** each session's place in the run, looked up by its item (the noise schedule and warm-up follow it) */
  private readonly positions = new WeakMap<DatasetItem, RunPosition>();
  private readonly counts: Omit<ToolServiceStats, 'sessions'> = {
    calls: 0,
    by_source: {},
    failures: 0,
    model_calls: 0,
    tokens_in: 0,
    tokens_out: 0,
    precheck: { rejected: {}, coerced: 0 },
  };

  constructor(private readonly options: ToolServiceOptions) {
    this.tools = options.tools;
    this.runTools = options.tools.map((tool) => ({ origin: 'user', tool }));
    this.byName = new Map(options.tools.map((t) => [t.api_name, t]));
    this.limiter = new ClientLimiter(options.maxConcurrencyPerClient ?? 8, options.maxQueuedPerClient ?? 256);
    this.sessions = new SessionMemory(options.maxSessions, options.maxHistory);
    this.actor = {
      ...options.actor,
      position: (item) => this.positions.get(item) ?? { index: 0, total: 0 },
      onCoerced: (coerced) => {
        this.counts.precheck.coerced++;
        options.actor.onCoerced?.(coerced);
      },
    };
  }

  /** The tools in OpenAI form, made at first use: a server of 4,000 tools starts without converting them all. */
  get openai(): readonly OpenAIFunction[] {
    return (this.openaiList ??= this.tools.map(toOpenAIFunction));
  }

  /** served tool names, in serving order */
  get names(): readonly string[] {
    return (this.nameList ??= this.tools.map((t) => t.api_name));
  }

  /** A known item by id, with its place in the run; undefined when the server has no such item. */
  item(id: string): SessionItem | undefined {
    this.itemsById ??= new Map((this.options.items ?? []).map((item, index, all) => [item.id, { item, position: { index, total: all.length } }]));
    return this.itemsById.get(id);
  }

  find(name: string): ToolTemplate | undefined {
    return this.byName.get(name);
  }

  /**
   * Answers one call. Bad calls (unknown tool, arguments that break the schema) come back as error
   * observations naming the parameter, with no model call; model failures are thrown (MtrError).
   */
  call(name: string, args: unknown, caller: Caller): Promise<Observation> {
    // An unknown name is answered here: the actor's error would list every tool (160 KB with Seal-Tools).
    if (!this.byName.has(name)) {
      const error = unknownToolWithSuggestions(name, this.names);
      return this.counted(Promise.resolve({ content: { error }, error, source: 'precheck' }));
    }
    try {
      this.compileOnce(this.byName.get(name)!);
    } catch (e) {
      return this.counted(Promise.reject(e));
    }
    // Arguments that are not an object stay as sent: the pre-check answers them with `malformed_call`.
    const call = { name, arguments: args } as ToolCall;
    const answer = (history: readonly Exchange[], grounding?: SessionItem) =>
      this.limiter.run(caller.client, () =>
        observe(call, this.runTools, history, this.actor, this.record, { step: history.length, ...(grounding ? { item: grounding.item } : {}) }),
      );
    return this.counted(
      caller.session === undefined
        ? answer([])
        : this.sessions.within(caller.session, async (h, g) => ({ call, observation: await answer(h, g) })).then((e) => e.observation),
    );
  }

  /** Loading only meta-validates schemas; one that does not compile (e.g. a bad regex) fails its calls, naming the tool. */
  private compileOnce(tool: ToolTemplate): void {
    if (this.compiled.has(tool)) return;
    const errors = metaSchemaErrors(parametersJsonSchema(tool));
    if (errors.length) throw new MtrError('E_TOOL_SCHEMA', `${tool.api_name}: parameters: expected a JSON Schema that compiles, got: ${errors[0]}`);
    this.compiled.add(tool);
  }

  private counted(observation: Promise<Observation>): Promise<Observation> {
    return observation.then(
      (o) => {
        this.counts.calls++;
        this.counts.by_source[o.source] = (this.counts.by_source[o.source] ?? 0) + 1;
        const rejected = this.counts.precheck.rejected;
        if (o.source === 'precheck' && o.error) rejected[o.error.type] = (rejected[o.error.type] ?? 0) + 1;
        return o;
      },
      (e: unknown) => {
        this.counts.failures++;
        throw e;
      },
    );
  }

  /** Grounds a session's calls in an item's gold material (with --grounding gold|noisy). */
  openSession(id: string, grounding: SessionItem): void {
    if (grounding.position) this.positions.set(grounding.item, grounding.position);
    this.sessions.open(id, grounding);
  }

  endSession(id: string): boolean {
    return this.sessions.end(id);
  }

  stats(): ToolServiceStats {
    const { precheck } = this.counts;
    return {
      ...this.counts,
      by_source: { ...this.counts.by_source },
      precheck: { rejected: { ...precheck.rejected }, coerced: precheck.coerced },
      sessions: this.sessions.size,
    };
  }

  private readonly record = (c: ModelCall): void => {
    this.counts.model_calls++;
    this.counts.tokens_in += c.tokens_in;
    this.counts.tokens_out += c.tokens_out;
    this.options.sink?.(c);
  };
}
