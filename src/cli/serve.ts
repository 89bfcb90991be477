import PQueue from 'p-queue';
import { GroundingConfigSchema } from '../actor/grounding.js';
import { parseToolRouting, resolveRouting } from '../actor/routing.js';
import { type ModelConfig, parseModelConfig } from '../llm/config.js';
import type { ChatModel } from '../llm/types.js';
import { loadPrompt } from '../prompts/index.js';
import { MtrError } from '../schema/errors.js';
import { DEFAULT_MAX_BODY_BYTES } from '../server/middleware.js';
import { DEFAULT_REWARD_PORT, type RunningServer, startRewardServer } from '../server/reward-server.js';
import { DEFAULT_MCP_PAGE_SIZE, serveMcpStdio } from '../server/mcp.js';
import { DEFAULT_TOOLS_PORT, startToolsServer } from '../server/tools-server.js';
import { ToolService } from '../server/tools-service.js';
import { ActorCache } from '../store/actor-cache.js';
import { type Db, openDb } from '../store/db.js';
import { checkRealTools, openRealTools, type RealTool } from '../tools/real.js';
import { loadToolsetFile, loadToolsetFromRun, type Toolset } from '../tools/toolset.js';
import { UTILITY_TOOLS } from '../tools/utility.js';
import { defineCommand, forSubcommands, type ParsedOptions } from './command.js';
import { ACTOR_OPTIONS } from './actor-options.js';
import { MODEL_OPTIONS, modelConfigInput } from './model-options.js';
import { rewardConfigOf } from '../pipeline/reward-fields.js';
import { DEFAULT_DIALECT, DIALECTS } from '../grammar/tags.js';

const WEIGHT_OPTIONS = {
  weights: { type: 'string', placeholder: 'SPEC', description: 'composite weights, e.g. em=0.5,f1=0.2,format=0.3 (unlisted = 0) or a JSON object' },
  config: { type: 'string', placeholder: 'FILE', description: 'JSON reward config (dialect, noAnswer, weights, format grid, efficiency budget); --weights and --dialect override it' },
  dialect: { type: 'string', placeholder: 'D', choices: DIALECTS, description: `how rollouts are written: hermes (<tool_call>) or search-r1 (<search>/<information>); default the config's, else ${DEFAULT_DIALECT}; a rollout's own dialect or a searchR1_* data_source wins` },
} as const;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const allOptions = {
  host: { type: 'string', default: '127.0.0.1', placeholder: 'HOST', description: 'interface to bind (loopback unless told otherwise)' },
  port: { type: 'number', integer: true, min: 0, max: 65535, placeholder: 'N', description: `port (default ${DEFAULT_REWARD_PORT} for reward, ${DEFAULT_TOOLS_PORT} for tools; 0 = any free port)` },
  token: { type: 'string', env: 'MTR_SERVE_TOKEN', placeholder: 'T', description: 'require "Authorization: Bearer T" (reward: POST routes; tools: every route but /health)' },
  maxBodyBytes: { type: 'number', integer: true, min: 1, default: DEFAULT_MAX_BODY_BYTES, placeholder: 'N', description: 'largest request body accepted (413 above)' },
  ...WEIGHT_OPTIONS,
  toolset: { type: 'string', placeholder: 'FILE', description: 'tool file — unified templates (JSON list or JSONL), OpenAI function lists, or ToolEyes-style {tools: [{functions}]}; with neither this nor --from-run, only the utility wiki_search (a Search-R1 retrieval server at POST /retrieve)' },
  fromRun: { type: 'string', placeholder: 'DB[:RUN]', description: "serve the tools a run's ToolMaker made (RUN: key or id; optional with one run)" },
  mcp: { type: 'string', default: 'http', placeholder: 'MODE', choices: ['http', 'stdio'], description: 'MCP at /mcp beside the HTTP routes, or MCP alone over stdin/stdout' },
  mcpPageSize: { type: 'number', integer: true, min: 0, default: DEFAULT_MCP_PAGE_SIZE, placeholder: 'N', description: 'tools per MCP tools/list page, the rest behind nextCursor; 0 = every tool in one page (for clients that do not follow cursors)' },
  maxConcurrencyPerClient: { type: 'number', integer: true, min: 1, default: 8, placeholder: 'N', description: 'calls in flight per client (remote address); more wait in a FIFO' },
  maxQueuedPerClient: { type: 'number', integer: true, min: 1, default: 256, placeholder: 'N', description: 'calls a client may have running or queued; beyond that 429 + Retry-After' },
  concurrency: { type: 'number', integer: true, min: 1, default: 16, placeholder: 'N', description: 'model requests in flight in total' },
  maxAttempts: { type: 'number', integer: true, min: 1, default: 3, placeholder: 'N', description: 'attempts per simulated observation before the call fails (502)' },
  cache: { type: 'string', placeholder: 'FILE', description: 'SQLite store whose actor cache replays identical calls (deterministic rollouts); created if missing' },
  // the grounding, routing and backend flags mean the same as in `generate`
  ...ACTOR_OPTIONS,
  ...MODEL_OPTIONS,
} as const;
type Key = keyof typeof allOptions;
const SHARED: readonly Key[] = ['host', 'port', 'token', 'maxBodyBytes'];
const REWARD_ONLY = Object.keys(WEIGHT_OPTIONS) as Key[];

/** `serve reward` reads the weight flags, `serve tools` the rest (help tags them; a flag the other one reads is refused). */
const options = forSubcommands(allOptions, {
  reward: [...SHARED, ...REWARD_ONLY],
  tools: (Object.keys(allOptions) as Key[]).filter((k) => !REWARD_ONLY.includes(k)),
});
type Opts = ParsedOptions<typeof options>;


/** The actor's model settings: the shared model flags, overridden by --actor-model / --actor-base-url. */
const actorModelConfig = (o: Opts): ModelConfig => parseModelConfig(modelConfigInput(o, 'actor'), 'serve: model flags');

/** With no tool set, the utility wiki_search alone: a Search-R1 retrieval server (POST /retrieve) and nothing else. */
const RETRIEVAL_ONLY: Toolset = { source: 'the utility tools (retrieval only)', tools: [UTILITY_TOOLS.wiki_search!], skipped: [] };

function loadToolset(o: Opts): Toolset {
  if (o.toolset && o.fromRun) throw new MtrError('E_USAGE', 'serve tools: expected at most one of --toolset FILE or --from-run DB[:RUN], got both');
  if (!o.toolset && !o.fromRun) return RETRIEVAL_ONLY;
  const set = o.toolset ? loadToolsetFile(o.toolset) : loadToolsetFromRun(o.fromRun!);
  for (const s of set.skipped.slice(0, 5)) process.stderr.write(`mtr serve: skipped ${s.where}: ${s.reasons.join('; ')}\n`);
  if (set.skipped.length > 5) process.stderr.write(`mtr serve: … and ${set.skipped.length - 5} more tools skipped\n`);
  if (!set.tools.length) throw new MtrError('E_USAGE', `serve tools: expected at least one servable tool in ${set.source}, got none (${set.skipped.length} skipped)`);
  return set;
}

/** The actor model of a server whose tools are all real: never asked, and says so if it were. */
const noSimulator = (): ChatModel => ({
  backend: 'openai',
  model: 'none',
  generate: () => Promise.reject(new MtrError('E_USAGE', 'serve tools: expected a simulator model (--base-url or --model-file), got none: every tool was routed to a real backend')),
  close: () => Promise.resolve(),
});

const untilSignal = (): Promise<void> =>
  new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

async function serveTools(o: Opts, port: number): Promise<void> {
  const toolset = loadToolset(o);
  const groundingConfig = GroundingConfigSchema.safeParse({ mode: o.grounding, noiseStart: o.noiseStart, noiseEnd: o.noiseEnd, noiseBase: o.noiseBase });
  if (!groundingConfig.success) {
    const issue = groundingConfig.error.issues[0]!;
    throw new MtrError('E_USAGE', `serve: --${String(issue.path[0]).replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}: ${issue.message}`);
  }
  ['actor', ...(o.grounding === 'none' ? [] : ['actor-gold', 'actor-noisy'])].forEach((p) => loadPrompt(p));
  const log = (line: string): void => void process.stderr.write(`mtr serve: ${line}\n`); // stdout belongs to MCP in stdio mode

  const backends = { index: o.index, retrievalUrl: o.retrievalUrl };
  const routing = resolveRouting(o.toolRouting ? parseToolRouting(o.toolRouting) : {}, backends);
  const cfg = actorModelConfig(o);
  // Nothing to simulate when every served tool has a real backend (a retrieval server over --index or --retrieval-url).
  // Not awaited yet: MCP over stdio answers initialize and tools/list while the model starts.
  // (The model client is imported here, not at the top: MCP over stdio answers before it has loaded.)
  const modelReady = toolset.tools.every((t) => routing[t.api_name]?.mode === 'real') ? Promise.resolve(noSimulator()) : import('../llm/index.js').then((m) => m.createChatModel(cfg));
  modelReady.catch(() => undefined); // its failure is reported where it is awaited
  let db: Db | undefined;
  let realTools: Record<string, RealTool> = {};
  try {
    db = o.cache ? openDb(o.cache) : undefined;
    realTools = openRealTools(backends);
    await checkRealTools(realTools); // a dead --retrieval-url stops the server before it listens
    const serviceOf = (model: ChatModel): ToolService => new ToolService({
      tools: toolset.tools,
      actor: {
        model: { role: 'actor', model, queue: new PQueue({ concurrency: o.concurrency }), temperature: cfg.temperature, maxTokens: cfg.maxTokens, maxAttempts: o.maxAttempts },
        grounding: groundingConfig.data,
        routing,
        realTools,
        ...(db ? { cache: new ActorCache(db) } : {}),
      },
      maxConcurrencyPerClient: o.maxConcurrencyPerClient,
      maxQueuedPerClient: o.maxQueuedPerClient,
      ...(toolset.items ? { items: toolset.items } : {}),
    });
    if (o.mcp === 'stdio') {
      log(`MCP over stdio: ${toolset.tools.length} tools from ${toolset.source}`);
      const ready = modelReady.then(serviceOf);
      await serveMcpStdio({ tools: toolset.tools, call: async (name, args, caller) => (await ready).call(name, args, caller) }, o.mcpPageSize, ready);
      return;
    }
    const model = await modelReady;
    const service = serviceOf(model);
    const what = `${toolset.tools.length} tools from ${toolset.source}, ${model.model === 'none' ? 'answered by the real backend' : `simulated by ${model.model}`}`;
    const server: RunningServer = await startToolsServer(service, { host: o.host, port, maxBodyBytes: o.maxBodyBytes, mcpPageSize: o.mcpPageSize, ...(o.token ? { token: o.token } : {}) });
    process.stdout.write(`tool server on ${server.url}: ${what} (GET /v1/tools, POST /v1/tools/{name}, POST /v1/batch, POST /virtual, POST /retrieve, MCP at /mcp, GET /health)\n`);
    await untilSignal();
    await server.close();
  } finally {
    db?.close();
    for (const t of Object.values(realTools)) t.close?.();
    await (await modelReady.catch(() => undefined))?.close();
  }
}

export default defineCommand({
  name: 'serve',
  summary:
    'Serve over HTTP. `serve reward`: OpenRLHF-compatible POST /get_reward, batch POST /score, GET /health. ' +
    '`serve tools`: a tool set answered by ToolActor for RL rollouts — POST /v1/tools/{name}, POST /v1/batch, GET /v1/tools, StableToolBench POST /virtual, Search-R1 POST /retrieve, MCP (streamable HTTP at /mcp, or stdio)',
  positionals: 'reward|tools',
  examples: [
    'mtr serve reward',
    'mtr serve reward --port 8787 --token s3cret --weights em=0.5,f1=0.2,format=0.3',
    'mtr serve reward --dialect search-r1 --token s3cret',
    'mtr serve tools --toolset ../shared/datasets/tools/seal-tools/tool.jsonl --base-url http://localhost:8000/v1 --model gtm-1.5b',
    'mtr serve tools --from-run runs/hotpot.sqlite --base-url http://localhost:8000/v1 --grounding gold --cache runs/actor-cache.sqlite --token s3cret',
    'mtr serve tools --toolset tools.json --mcp stdio --base-url http://localhost:8000/v1',
    'mtr serve tools --index corpus.sqlite --port 8000   # Search-R1 POST /retrieve over a BM25 index, no model',
  ],
  options,
  subcommandOf: ([what, ...rest]) => (!rest.length && (what === 'reward' || what === 'tools') ? what : undefined),
  async run(opts, positionals) {
    const [what, ...rest] = positionals;
    if ((what !== 'reward' && what !== 'tools') || rest.length) throw new MtrError('E_USAGE', `serve: expected "reward" or "tools", got ${JSON.stringify(positionals.join(' ') || 'nothing')}`);
    const port = opts.port ?? (what === 'reward' ? DEFAULT_REWARD_PORT : DEFAULT_TOOLS_PORT);
    if (!(what === 'tools' && opts.mcp === 'stdio') && !LOOPBACK.has(opts.host) && !opts.token) process.stderr.write(`mtr serve: warning: listening on ${opts.host} without --token; anyone who can reach it can use it\n`);
    if (what === 'tools') {
      await serveTools(opts, port);
      return 0;
    }
    const config = rewardConfigOf({ config: opts.config, weights: opts.weights, dialect: opts.dialect as (typeof DIALECTS)[number] | undefined });
    const server = await startRewardServer({ host: opts.host, port, maxBodyBytes: opts.maxBodyBytes, config, ...(opts.token ? { token: opts.token } : {}) });
    process.stdout.write(`reward server on ${server.url} (POST /get_reward, POST /score, GET /health; dialect ${config.dialect})\n`);
    await untilSignal();
    await server.close();
    return 0;
  },
});
