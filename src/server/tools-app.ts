import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { DatasetItemSchema } from '../schema/item.js';
import { errorHandler, failureOf } from './errors.js';
import { McpHttpSessions } from './mcp-http.js';
import { badField, bearerToken, DEFAULT_MAX_BODY_BYTES, isObject, jsonBody, limitBody, shown } from './middleware.js';
import type { Caller, ToolService } from '../pipeline/tool-service/service.js';
import type { SessionItem } from '../pipeline/tool-service/sessions.js';
import { undoArgumentRenames } from '../pipeline/tool-service/names.js';
import { RETRIEVE_TOOL, retrieveArguments, toRetrieved } from '../pipeline/tool-service/retrieve.js';
import { parseRetrieveRequest } from './tools-retrieve.js';
import { parseVirtualRequest, resolveVirtualName, TOOL_INPUT_PARSE_ERROR, toVirtualResponse, VIRTUAL_API_NOT_WORKING } from './tools-virtual.js';

export interface ToolsAppOptions {
  token?: string;
  /** default 32 MiB */
  maxBodyBytes?: number;
  /** tools per MCP tools/list page (default 100; 0: one page) */
  mcpPageSize?: number;
}

/** Header naming the world-memory session of a call (calls with the same id share history). */
export const SESSION_HEADER = 'x-mtr-session';

/** The caller's address on a real socket (@hono/node-server puts the request in env); "local" under app.request. */
function clientOf(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'local';
}

function contextOf(c: Context, session?: string): Caller {
  const s = session ?? c.req.header(SESSION_HEADER);
  return { client: clientOf(c), ...(s ? { session: s } : {}) };
}

/** The 429 (with Retry-After) for a client that already has its share of calls admitted. */
function tooBusy(c: Context, service: ToolService, client: string): Response {
  c.header('Retry-After', '1');
  return c.json(
    { error: `expected at most ${service.limiter.maxQueued} calls in flight or queued per client, got ${service.limiter.load(client)} already; retry later` },
    429,
  );
}

/** Admits `calls` for the request's client while `fn` runs, or answers 429. */
async function admitted(c: Context, service: ToolService, calls: number, fn: () => Promise<Response | void>): Promise<Response | void> {
  const client = clientOf(c);
  if (!service.limiter.tryAdmit(client, calls)) return tooBusy(c, service, client);
  try {
    return await fn();
  } finally {
    service.limiter.release(client, calls);
  }
}

const admitOne =
  (service: ToolService): MiddlewareHandler =>
  (c, next) =>
    admitted(c, service, 1, next);

interface BatchCall {
  name: string;
  arguments: unknown;
  session?: string;
}

function parseBatch(body: unknown): { calls: BatchCall[]; session?: string } {
  const list = Array.isArray(body) ? body : isObject(body) ? body.calls : undefined;
  if (!Array.isArray(list)) throw badField('body', `expected {"calls": [{"name", "arguments"}, ...]} or a list of calls, got ${shown(body)}`);
  const session = isObject(body) && body.session !== undefined ? body.session : undefined;
  if (session !== undefined && typeof session !== 'string') throw badField('session', `expected a string, got ${shown(session)}`);
  const calls = list.map((v, i) => {
    if (!isObject(v)) throw badField(`calls[${i}]`, `expected {"name", "arguments"}, got ${shown(v)}`);
    if (typeof v.name !== 'string' || !v.name) throw badField(`calls[${i}].name`, `expected a tool name, got ${shown(v.name)}`);
    if (v.session !== undefined && typeof v.session !== 'string') throw badField(`calls[${i}].session`, `expected a string, got ${shown(v.session)}`);
    return { name: v.name, arguments: v.arguments ?? {}, ...(typeof v.session === 'string' ? { session: v.session } : {}) };
  });
  return { calls, ...(session ? { session } : {}) };
}

/**
 * `{item_id}` naming an item the server knows (a --from-run store's: all its material, and its place in the run),
 * else `{item: {question, answers, context?, …}}` (its id: item_id, else the session id); `position?: {index, total}`
 * either way. Both may come (verl rows carry both): the known item wins, the inline one serves any server.
 */
function parseSessionItem(body: unknown, id: string, known: (itemId: string) => SessionItem | undefined): SessionItem {
  const itemId = isObject(body) && typeof body.item_id === 'string' ? body.item_id : undefined;
  if (isObject(body) && body.item_id !== undefined) {
    const found = itemId === undefined ? undefined : known(itemId);
    if (found) return body.position === undefined ? found : { item: found.item, position: parsePosition(body.position) };
    if (body.item === undefined)
      throw badField('item_id', `expected the id of an item of the served run (mtr serve tools --from-run), got ${shown(body.item_id)}`);
  }
  if (!isObject(body) || !isObject(body.item))
    throw badField('item', `expected {"item": {"question", "answers", "context"?}, "position"?: {"index", "total"}} or {"item_id"}, got ${shown(body)}`);
  const item = DatasetItemSchema.safeParse({ id: itemId ?? id, dataset: 'session', ...body.item });
  if (!item.success) {
    const issue = item.error.issues[0]!;
    throw badField(['item', ...issue.path].join('.'), issue.message);
  }
  return body.position === undefined ? { item: item.data } : { item: item.data, position: parsePosition(body.position) };
}

function parsePosition(p: unknown): { index: number; total: number } {
  if (!isObject(p) || !Number.isInteger(p.index) || !Number.isInteger(p.total) || (p.index as number) < 0 || (p.total as number) < (p.index as number)) {
    throw badField('position', `expected {"index": i, "total": n} with 0 ≤ i ≤ n integers, got ${shown(p)}`);
  }
  return { index: p.index as number, total: p.total as number };
}

/**
 * The tool server as a Hono app (testable with `app.request`): the tool set over HTTP, StableToolBench's
 * `/virtual`, and MCP streamable HTTP at `/mcp`, all answered by one ToolService. Bad calls are answered
 * as error observations (200; 404 when the URL names no tool); bad requests get 4xx with a message.
 */
export function createToolsApp(service: ToolService, options: ToolsAppOptions = {}): { app: Hono; mcp: McpHttpSessions } {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const mcp = new McpHttpSessions(service, maxBodyBytes, options.mcpPageSize);
  const app = new Hono();
  app.onError(errorHandler);
  app.notFound((c) =>
    c.json(
      {
        error: `expected GET /health, GET /v1/tools, POST /v1/tools/{name}, POST /v1/batch, PUT|DELETE /v1/sessions/{id}, POST /virtual, POST /retrieve or /mcp, got ${c.req.method} ${c.req.path}`,
      },
      404,
    ),
  );

  app.get('/health', (c) => c.json({ ok: true, tools: service.tools.length, mcp_sessions: mcp.size, ...service.stats() }));

  const guard = [bearerToken(options.token), limitBody(maxBodyBytes)] as const;
  app.use('/v1/*', ...guard);
  // StableToolBench's client sends its key only as a `toolbench_key` header.
  app.use('/virtual', bearerToken(options.token, { headers: ['toolbench_key'] }), limitBody(maxBodyBytes));
  app.use('/mcp', ...guard);

  app.get('/v1/tools', (c) => c.json({ count: service.tools.length, tools: service.tools, openai: service.openai }));

  app.get('/v1/tools/:name', (c) => {
    const i = service.tools.findIndex((t) => t.api_name === c.req.param('name'));
    if (i < 0) return c.json({ error: `no tool named "${c.req.param('name')}" (GET /v1/tools lists them)` }, 404);
    return c.json({ tool: service.tools[i], openai: service.openai[i] });
  });

  app.post('/v1/tools/:name', admitOne(service), async (c) => {
    const name = c.req.param('name');
    const observation = await service.call(name, await jsonBody(c), contextOf(c));
    return c.json(observation, service.find(name) ? 200 : 404);
  });

  app.post('/v1/batch', async (c) => {
    const { calls, session } = parseBatch(await jsonBody(c));
    if (calls.length > service.limiter.maxQueued) throw badField('calls', `expected at most ${service.limiter.maxQueued} calls per batch, got ${calls.length}`);
    return admitted(c, service, calls.length, async () => {
      // One failed simulation does not sink the batch: its entry says what failed.
      const results = await Promise.all(
        calls.map((call) =>
          service
            .call(call.name, call.arguments, contextOf(c, call.session ?? session))
            .catch((e: unknown) => ({ failure: failureOf(e, `POST /v1/batch ${call.name}`) })),
        ),
      );
      return c.json({ results });
    });
  });

  app.put('/v1/sessions/:id', async (c) => {
    service.openSession(
      c.req.param('id'),
      parseSessionItem(await jsonBody(c), c.req.param('id'), (itemId) => service.item(itemId)),
    );
    return c.json({ session: c.req.param('id') });
  });

  app.delete('/v1/sessions/:id', (c) => c.json({ ended: service.endSession(c.req.param('id')) }));

  app.post('/virtual', admitOne(service), async (c) => {
    const req = parseVirtualRequest(await jsonBody(c));
    if (!req.input.ok) return c.json(TOOL_INPUT_PARSE_ERROR);
    const name = resolveVirtualName(service.names, req.tool_name, req.api_name, (n) => service.find(n)) ?? req.api_name;
    const tool = service.find(name);
    const args = tool ? undoArgumentRenames(req.input.value, Object.keys(tool.parameters)) : req.input.value;
    try {
      return c.json(toVirtualResponse(await service.call(name, args, contextOf(c))));
    } catch (e) {
      // StableToolBench's client turns any status but 200 into "error sending request" (12) and drops the
      // body; its own error string for a broken API ("API not working error...", status 6) keeps the reason.
      return c.json({ error: VIRTUAL_API_NOT_WORKING, response: `tool simulator failed: ${failureOf(e, `POST /virtual ${name}`).message}` });
    }
  });

  // Search-R1's retrieval server, answered by the served wiki_search (index, upstream or simulation).
  app.use('/retrieve', ...guard);
  app.post('/retrieve', async (c) => {
    const req = parseRetrieveRequest(await jsonBody(c));
    const tool = service.find(RETRIEVE_TOOL);
    if (!tool)
      return c.json(
        {
          error: `expected a served ${RETRIEVE_TOOL} tool to answer /retrieve, got a tool set without one (serve it from --toolset, or start "mtr serve tools" with no tool set)`,
        },
        404,
      );
    if (req.queries.length > service.limiter.maxQueued)
      throw badField('queries', `expected at most ${service.limiter.maxQueued} queries per request, got ${req.queries.length}`);
    return admitted(c, service, req.queries.length, async () => {
      const caller = contextOf(c, req.session);
      const observations = await Promise.all(req.queries.map((query) => service.call(RETRIEVE_TOOL, retrieveArguments(tool, query, req.topk), caller)));
      return c.json({ result: observations.map((o) => toRetrieved(o, req.return_scores)) });
    });
  });

  app.all('/mcp', admitOne(service), (c) => mcp.handle(c.req.raw, clientOf(c)));
  return { app, mcp };
}
