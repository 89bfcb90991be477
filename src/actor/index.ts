import { z } from 'zod';
import { canonicalJson, renderCall, sameCall } from '../grammar/call.js';
import { type CallSink, jsonCall, type RoleModel } from '../llm/role.js';
import { fillPrompt, loadPrompt } from '../prompts/index.js';
import { MtrError } from '../schema/errors.js';
import type { DatasetItem } from '../schema/item.js';
import { type JsonSchema, responsesJsonSchema } from '../schema/tool-convert.js';
import type { ToolTemplate } from '../schema/tool.js';
import { type ActorCacheEntry, type Observation, type RunTool, type ToolCall, ToolErrorSchema } from '../schema/trace.js';
import type { RealTool } from '../tools/real.js';
import { sha256 } from './canonical.js';
import { combinedPrompt, type GroundingConfig, GroundingConfigSchema, groundingFor, type RunPosition } from './grounding.js';
import { type CoercePolicy, type Coercion, precheckArguments, unknownToolError } from '../validate/precheck.js';
import { routeCall, type ToolRouting } from './routing.js';

/** The run-level observation cache (the store's actorCache repository in production; its calls may be async). */
export interface ObservationCache {
  get(key: string): Observation | undefined | Promise<Observation | undefined>;
  put(entry: ActorCacheEntry): void | Promise<void>;
}

export interface ActorOptions {
  model: RoleModel;
  /** what of the item's gold material the actor sees (default: none) */
  grounding?: GroundingConfig;
  /** run-level cache: identical calls are replayed with no model request */
  cache?: ObservationCache;
  /** per-tool backend choice (default: simulated) */
  routing?: ToolRouting;
  /** real backends by tool name, for tools routed real or hybrid */
  realTools?: Record<string, RealTool>;
  /** the item's position in its run, for the noise schedule and hybrid warm-up (default: 0 of 0) */
  position?: (item: DatasetItem) => RunPosition;
  /** how the pre-check treats numbers and booleans sent as strings (default: strict); the call is answered with what it read */
  coerce?: CoercePolicy;
  /** told of each call that passed the pre-check with coerced arguments (the tool server counts them) */
  onCoerced?: (coerced: readonly Coercion[]) => void;
}

/** An earlier call of this trace and what it returned: the actor's memory of the session. */
export interface Exchange {
  call: ToolCall;
  observation: Observation;
}

/** Where a call happens: the item the trace works on and the step index within it. */
export interface CallContext {
  item?: DatasetItem;
  step?: number;
}

// The only error the model may raise; the schema-level ones never reach it.
const ACTOR_ERROR_SCHEMA = z.toJSONSchema(z.object({ error: ToolErrorSchema.extend({ type: z.literal('invalid_value') }) })) as Record<string, unknown>;

const NO_GROUNDING = GroundingConfigSchema.parse({});

/** Per tool object, what every simulated call of it needs: its cache-key text and the schema its answer must meet. */
const perTool = new WeakMap<ToolTemplate, { key: string; schema: JsonSchema }>();
function toolFacts(tool: ToolTemplate): { key: string; schema: JsonSchema } {
  let facts = perTool.get(tool);
  if (!facts) perTool.set(tool, (facts = { key: canonicalJson(tool), schema: { anyOf: [responsesJsonSchema(tool), ACTOR_ERROR_SCHEMA] } }));
  return facts;
}

// Concurrent identical calls share one model request instead of racing to fill the same cache key.
const inFlight = new WeakMap<ObservationCache, Map<string, Promise<Observation>>>();

/**
 * ToolActor: answers a call without a live tool. Schema violations are answered by the pre-check (no model
 * call); a call repeated within the trace or the run is replayed (source 'cache'); tools routed to a real
 * backend are answered by it; everything else is simulated by the model, grounded as configured, and must
 * validate against the tool's `responses`.
 */
export async function observe(
  sent: ToolCall,
  tools: readonly RunTool[],
  history: readonly Exchange[],
  opts: ActorOptions,
  sink: CallSink,
  at: CallContext = {},
): Promise<Observation> {
  const tool = tools.find((t) => t.tool.api_name === sent.name)?.tool;
  const checked = tool ? precheckArguments(tool, sent.arguments, opts.coerce) : undefined;
  if (!tool || !checked || checked.error) {
    const error =
      checked?.error ??
      unknownToolError(
        sent.name,
        tools.map((t) => t.tool.api_name),
      );
    return { content: { error }, error, source: 'precheck' };
  }
  // from here on the call is what the pre-check read (the same object unless a string was coerced)
  const call: ToolCall = checked.coerced.length ? { ...sent, arguments: checked.arguments as ToolCall['arguments'] } : sent;
  if (checked.coerced.length) opts.onCoerced?.(checked.coerced);

  const step = at.step ?? history.length;
  const position = at.item && opts.position ? opts.position(at.item) : { index: 0, total: 0 };
  if (routeCall(opts.routing?.[tool.api_name], { itemIndex: position.index, step }) === 'real') {
    const real = opts.realTools?.[tool.api_name];
    if (!real)
      throw new MtrError('E_USAGE', `--tool-routing: ${tool.api_name} is routed to a real backend, but none is configured (--index or --retrieval-url)`);
    return { content: await real.call(call.arguments), source: 'real' };
  }

  // Per-trace world memory: the same call in this trace gets the same answer, whatever the run cache holds.
  const earlier = history.find(
    (h) => h.observation.source !== 'precheck' && h.observation.source !== 'real' && (sameCall(h.call, sent) || sameCall(h.call, call)),
  );
  if (earlier) return { ...earlier.observation, source: 'cache' };

  const grounding = groundingFor(at.item, step, position, opts.grounding ?? NO_GROUNDING);
  const prompt = combinedPrompt(loadPrompt('actor'), grounding.prompt);
  const args = canonicalJson(call.arguments);
  const groundingKey = `${grounding.record.mode}:${grounding.record.useful ? 'useful' : 'noisy'}:${grounding.record.material ?? '-'}`;
  const model = opts.model.model.model;
  const key = sha256(canonicalJson({ tool: toolFacts(tool).key, args, grounding: groundingKey, model, prompt: prompt.hash }));
  const record = { ...(grounding.record.mode === 'none' ? {} : { grounding: grounding.record }), ...(opts.cache ? { cache_key: key } : {}) };

  const cache = opts.cache;
  if (!cache) return { ...(await simulate(call, tool, history, grounding.text, prompt, opts.model, sink)), ...record };
  const hit = await cache.get(key);
  if (hit) return { ...hit, ...record, source: 'cache' };
  const pending = inFlight.get(cache) ?? new Map<string, Promise<Observation>>();
  inFlight.set(cache, pending);
  const running = pending.get(key);
  if (running) return { ...(await running), ...record, source: 'cache' };
  const made = simulate(call, tool, history, grounding.text, prompt, opts.model, sink).then(async (o) => {
    const observation = { ...o, ...record };
    await cache.put({ key, tool: tool.api_name, arguments: args, grounding: groundingKey, observation, model, prompt_hash: prompt.hash });
    return observation;
  });
  pending.set(key, made);
  try {
    return await made;
  } finally {
    pending.delete(key);
  }
}

async function simulate(
  call: ToolCall,
  tool: ToolTemplate,
  history: readonly Exchange[],
  grounding: string,
  prompt: ReturnType<typeof loadPrompt>,
  model: RoleModel,
  sink: CallSink,
): Promise<Observation> {
  const { schema } = toolFacts(tool);
  const responses = responsesJsonSchema(tool);
  const content = fillPrompt(prompt, {
    tool: JSON.stringify(tool, null, 2),
    grounding,
    history: history.length ? history.map((h) => `${renderCall(h.call)} → ${JSON.stringify(h.observation.content)}`).join('\n') : '(none)',
    call: renderCall(call),
    response_fields: JSON.stringify(responses.properties),
  });
  const value = (await jsonCall(model, prompt, [{ role: 'user', content }], `${tool.api_name}_response`.slice(0, 64), schema, sink)) as Record<string, unknown>;
  const raised = ToolErrorSchema.safeParse(value.error);
  return { content: value, ...(raised.success && Object.keys(value).length === 1 ? { error: raised.data } : {}), source: 'simulated' };
}
