import { z } from 'zod';
import { GroundingConfigSchema } from '../actor/grounding.js';
import type { ObservationCache } from '../actor/index.js';
import { parseToolRouting, resolveRouting } from '../actor/routing.js';
import { parseModelConfig } from '../llm/config.js';
import type { ChatModel } from '../llm/types.js';
import { loadPrompt } from '../prompts/index.js';
import { MtrError } from '../schema/errors.js';
import type { ToolTemplate } from '../schema/tool.js';
import { TOOL_FILE_LAYOUTS } from '../schema/tool-file.js';
import { openStore } from '../store/index.js';
import { checkRealTools, openRealTools, type RealTool } from '../tools/real.js';
import { loadToolsetFile, loadToolsetFromRun, reportSkipped, type Toolset } from '../tools/toolset.js';
import { UTILITY_TOOLS } from '../tools/utility.js';
import { ActorFields } from './fields/actor.js';
import { ModelFields, modelConfigOf, roleModelFields } from './fields/model.js';
import { type JobHooks, parseConfig } from './job.js';
import { DEFAULT_MCP_PAGE_SIZE, DEFAULT_TOOLS_PORT, type Listen, listenOf, serverFields } from './serve-fields.js';
import { ToolService } from './tool-service/service.js';

export const ServeToolsConfigSchema = z.object({
  ...serverFields(DEFAULT_TOOLS_PORT, 'every route but /health'),
  toolset: z
    .string()
    .min(1)
    .optional()
    .meta({
      placeholder: 'FILE',
      description: `tool file in any layout carg tools import reads (${TOOL_FILE_LAYOUTS}); with neither this nor --from-run, only the utility wiki_search (a Search-R1 retrieval server at POST /retrieve)`,
    }),
  fromRun: z.string().min(1).optional().meta({
    placeholder: 'DB[:RUN]',
    description: "serve the tools a run's ToolMaker made (DB: a SQLite file or a postgres://… URL; RUN: key or id; optional with one run)",
  }),
  mcp: z
    .enum(['http', 'stdio'])
    .default('http')
    .meta({ placeholder: 'MODE', description: 'MCP at /mcp beside the HTTP routes, or MCP alone over stdin/stdout' }),
  mcpPageSize: z.number().int().min(0).default(DEFAULT_MCP_PAGE_SIZE).meta({
    placeholder: 'N',
    description: 'tools per MCP tools/list page, the rest behind nextCursor; 0 = every tool in one page (for clients that do not follow cursors)',
  }),
  maxConcurrencyPerClient: z
    .number()
    .int()
    .min(1)
    .default(8)
    .meta({ placeholder: 'N', description: 'calls in flight per client (remote address); more wait in a FIFO' }),
  maxQueuedPerClient: z
    .number()
    .int()
    .min(1)
    .default(256)
    .meta({ placeholder: 'N', description: 'calls a client may have running or queued; beyond that 429 + Retry-After' }),
  concurrency: z.number().int().min(1).default(16).meta({ placeholder: 'N', description: 'model requests in flight in total' }),
  maxAttempts: z.number().int().min(1).default(3).meta({ placeholder: 'N', description: 'attempts per simulated observation before the call fails (502)' }),
  cache: z.string().min(1).optional().meta({
    placeholder: 'FILE',
    description: 'Store whose actor cache replays identical calls (deterministic rollouts), a SQLite file or a postgres://… URL; created if missing',
  }),
  // the grounding, routing and backend flags mean the same as in `generate`
  ...ActorFields,
  ...ModelFields,
  ...roleModelFields(['actor']),
});
export type ServeToolsInput = z.input<typeof ServeToolsConfigSchema>;

export const ServeToolsSummarySchema = z.object({
  tools: z.number().int(),
  source: z.string(),
  skipped: z.number().int(),
  /** the simulator's model name, or null when every served tool is answered by a real backend */
  simulated_by: z.string().nullable(),
});
export type ServeToolsSummary = z.output<typeof ServeToolsSummarySchema>;

/** `serve tools` set up: the tools (listable at once), the service once its simulator has started, and one close. */
export interface ReadyToolService {
  tools: readonly ToolTemplate[];
  source: string;
  mcp: 'http' | 'stdio';
  mcpPageSize: number;
  listen: Listen;
  /**
   * the service and its summary once the simulator model has started (MCP over stdio answers initialize and
   * tools/list meanwhile); rejects when the model cannot start
   */
  ready: Promise<{ service: ToolService; summary: ServeToolsSummary }>;
  /** closes the model, the cache and the real backends (once) */
  close(): Promise<void>;
}

/** With no tool set, the utility wiki_search alone: a Search-R1 retrieval server (POST /retrieve) and nothing else. */
const RETRIEVAL_ONLY: Toolset = { source: 'the utility tools (retrieval only)', tools: [UTILITY_TOOLS.wiki_search!], skipped: [] };

async function loadToolset(c: { toolset?: string | undefined; fromRun?: string | undefined }, notice: (line: string) => void): Promise<Toolset> {
  if (c.toolset && c.fromRun) throw new MtrError('E_USAGE', 'expected at most one of --toolset FILE or --from-run DB[:RUN], got both');
  if (!c.toolset && !c.fromRun) return RETRIEVAL_ONLY;
  const set = c.toolset ? loadToolsetFile(c.toolset) : await loadToolsetFromRun(c.fromRun!);
  reportSkipped(set.skipped, notice);
  if (!set.tools.length) throw new MtrError('E_USAGE', `expected at least one servable tool in ${set.source}, got none (${set.skipped.length} skipped)`);
  return set;
}

/** The actor model of a server whose tools are all real: never asked, and says so if it were. */
const noSimulator = (): ChatModel => ({
  backend: 'openai',
  model: 'none',
  generate: () =>
    Promise.reject(
      new MtrError('E_USAGE', 'serve tools: expected a simulator model (--base-url or --model-file), got none: every tool was routed to a real backend'),
    ),
  close: () => Promise.resolve(),
});

/** The actor cache of `--cache FILE` (a store, created if missing: its actorCache repository) and how to close it. */
async function openCache(file: string): Promise<{ cache: ObservationCache; close: () => Promise<void> }> {
  const store = await openStore(file, { create: true });
  return { cache: store.actorCache, close: () => store.close() };
}

/**
 * `serve tools`' setup: the tool set (a file, a run's tools, or the utility wiki_search alone), ToolActor's
 * grounding, routing and real backends (a dead --retrieval-url fails here, before anything listens), the actor
 * cache, and the simulator model from the one role-model factory — as a tool service the face binds (HTTP with
 * MCP at /mcp, or MCP over stdio). Skipped tools are reported through `onNotice`.
 */
export const serveToolsJob = {
  name: 'serve tools',
  description:
    'Serve a tool set answered by ToolActor for RL rollouts: POST /v1/tools/{name}, POST /v1/batch, GET /v1/tools, StableToolBench POST /virtual, Search-R1 POST /retrieve, MCP (streamable HTTP at /mcp, or stdio)',
  examples: [
    'mtr serve tools --toolset ../shared/datasets/tools/seal-tools/tool.jsonl --base-url http://localhost:8000/v1 --model gtm-1.5b',
    'mtr serve tools --from-run runs/hotpot.sqlite --base-url http://localhost:8000/v1 --grounding gold --cache runs/actor-cache.sqlite --token s3cret',
    'mtr serve tools --toolset tools.json --mcp stdio --base-url http://localhost:8000/v1',
    'mtr serve tools --index corpus.sqlite --port 8000   # Search-R1 POST /retrieve over a BM25 index, no model',
  ],
  config: ServeToolsConfigSchema,
  summary: ServeToolsSummarySchema,
  async run(input: ServeToolsInput, hooks: JobHooks = {}): Promise<ReadyToolService> {
    const c = parseConfig(ServeToolsConfigSchema, input);
    const toolset = await loadToolset(c, (line) => hooks.onNotice?.(line));
    const grounding = GroundingConfigSchema.parse({ mode: c.grounding, noiseStart: c.noiseStart, noiseEnd: c.noiseEnd, noiseBase: c.noiseBase });
    ['actor', ...(c.grounding === 'none' ? [] : ['actor-gold', 'actor-noisy'])].forEach((p) => loadPrompt(p));
    const backends = { ...(c.index ? { index: c.index } : {}), ...(c.retrievalUrl ? { retrievalUrl: c.retrievalUrl } : {}) };
    const routing = resolveRouting(c.toolRouting ? parseToolRouting(c.toolRouting) : {}, backends);
    const modelConfig = modelConfigOf(c, 'actor');
    parseModelConfig(modelConfig, 'actor model'); // a bad model setting is a usage error before anything starts
    // Nothing to simulate when every served tool has a real backend (a retrieval server over --index or --retrieval-url).
    const allReal = toolset.tools.every((t) => routing[t.api_name]?.mode === 'real');
    // Not awaited here: MCP over stdio answers initialize and tools/list while the model starts. (The factory, and
    // with it the model client, is imported here, not at the top: MCP over stdio answers before it has loaded.)
    const models = import('./models.js').then((m) =>
      m.roleModels({ actor: { config: modelConfig, concurrency: c.concurrency, maxAttempts: c.maxAttempts, ...(allReal ? { model: noSimulator() } : {}) } }),
    );
    models.catch(() => undefined); // its failure is reported where it is awaited
    let cache: Awaited<ReturnType<typeof openCache>> | undefined;
    let realTools: Record<string, RealTool> = {};
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        try {
          await cache?.close();
        } finally {
          for (const t of Object.values(realTools)) t.close?.();
          await (await models.catch(() => undefined))?.close();
        }
      })());
    try {
      cache = c.cache ? await openCache(c.cache) : undefined;
      realTools = openRealTools(backends);
      await checkRealTools(realTools); // a dead --retrieval-url stops the server before it listens
    } catch (e) {
      await close();
      throw e;
    }
    const ready = models.then(({ roles: { actor } }) => {
      const service = new ToolService({
        tools: toolset.tools,
        actor: { model: actor, grounding, routing, realTools, ...(cache ? { cache: cache.cache } : {}), ...(c.coerce ? { coerce: c.coerce } : {}) },
        maxConcurrencyPerClient: c.maxConcurrencyPerClient,
        maxQueuedPerClient: c.maxQueuedPerClient,
        ...(toolset.items ? { items: toolset.items } : {}),
      });
      const summary: ServeToolsSummary = {
        tools: toolset.tools.length,
        source: toolset.source,
        skipped: toolset.skipped.length,
        simulated_by: allReal ? null : actor.model.model,
      };
      return { service, summary };
    });
    ready.catch(() => undefined); // awaited by the face
    return { tools: toolset.tools, source: toolset.source, mcp: c.mcp, mcpPageSize: c.mcpPageSize, listen: listenOf(c), ready, close };
  },
} as const;
