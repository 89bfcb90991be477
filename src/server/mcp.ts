import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  type ListToolsResult,
  McpError,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_MCP_PAGE_SIZE } from '../pipeline/serve-fields.js';
import { isMtrError } from '../schema/errors.js';
import { parametersJsonSchema } from '../schema/tool-convert.js';
import type { ToolTemplate } from '../schema/tool.js';
import type { Observation } from '../schema/trace.js';
import type { Caller, ToolService } from '../pipeline/tool-service/service.js';

export const MCP_SERVER_INFO = { name: 'mtr-tools', version: '0.1.0' } as const;

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** An observation as an MCP tool result: bad calls are tool errors (isError) the model can read and fix. */
export function toMcpResult(o: Observation): CallToolResult {
  const structured =
    typeof o.content === 'object' && o.content !== null && !Array.isArray(o.content) ? { structuredContent: o.content as Record<string, unknown> } : {};
  return { content: [{ type: 'text', text: text(o.content) }], ...structured, ...(o.error ? { isError: true } : {}) };
}

/** What an MCP server needs of the tool service: the tools to list and a way to call them. */
export type McpToolSource = Pick<ToolService, 'tools' | 'call'>;

export { DEFAULT_MCP_PAGE_SIZE };

// Each tool's listing entry is made when its page is first asked for, then reused.
const listed = new WeakMap<ToolTemplate, Tool>();
const listingOf = (t: ToolTemplate): Tool => {
  let entry = listed.get(t);
  if (!entry) listed.set(t, (entry = { name: t.api_name, description: t.api_description, inputSchema: parametersJsonSchema(t) as Tool['inputSchema'] }));
  return entry;
};

const cursorOf = (offset: number): string => Buffer.from(`mtr:${offset}`).toString('base64url');

/** One tools/list page; the cursor is opaque to clients (the offset of the page), and a foreign one is invalid params. */
export function listPage(tools: readonly ToolTemplate[], cursor: string | undefined, pageSize: number): ListToolsResult {
  let start = 0;
  if (cursor !== undefined) {
    const m = /^mtr:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
    if (!m || Number(m[1]) > tools.length)
      throw new McpError(ErrorCode.InvalidParams, `cursor: expected a nextCursor from an earlier tools/list, got ${JSON.stringify(cursor)}`);
    start = Number(m[1]);
  }
  const end = pageSize > 0 ? Math.min(tools.length, start + pageSize) : tools.length;
  return { tools: tools.slice(start, end).map(listingOf), ...(end < tools.length ? { nextCursor: cursorOf(end) } : {}) };
}

/**
 * The tool set as an MCP server. The low-level `Server` (not `McpServer`) because the input schemas are
 * JSON Schemas from the tool templates, not zod shapes. `context` says who is calling, from the request.
 */
export function createMcpServer(service: McpToolSource, context: (sessionId: string | undefined) => Caller, pageSize = DEFAULT_MCP_PAGE_SIZE): Server {
  const server = new Server(MCP_SERVER_INFO, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, (req) => listPage(service.tools, req.params?.cursor, pageSize));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    try {
      return toMcpResult(await service.call(req.params.name, req.params.arguments ?? {}, context(extra.sessionId)));
    } catch (e) {
      // The simulator failed (model unreachable, unusable output): a tool error, not a protocol error.
      return { content: [{ type: 'text', text: `tool simulator failed: ${isMtrError(e) ? e.message : String(e)}` }], isError: true };
    }
  });
  return server;
}

/**
 * MCP over stdin/stdout: one peer, one session. Resolves when the peer closes the connection. `ready` is what
 * calls wait for (e.g. the simulator model starting): initialize and tools/list are answered meanwhile, and if
 * it fails the session ends with its error instead of failing every call.
 */
export async function serveMcpStdio(service: McpToolSource, pageSize = DEFAULT_MCP_PAGE_SIZE, ready: Promise<unknown> = Promise.resolve()): Promise<void> {
  const server = createMcpServer(service, () => ({ client: 'stdio', session: 'stdio' }), pageSize);
  const closed = new Promise<void>((resolve) => (server.onclose = resolve));
  await server.connect(new StdioServerTransport());
  let failure: { error: unknown } | undefined;
  ready.catch(async (error: unknown) => {
    failure = { error };
    await server.close();
  });
  await closed;
  if (failure) throw failure.error;
}
