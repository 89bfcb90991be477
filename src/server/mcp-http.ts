import { randomUUID } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { isMtrError } from '../schema/errors.js';
import { createMcpServer, DEFAULT_MCP_PAGE_SIZE } from './mcp.js';
import { parseJson } from './middleware.js';
import type { ToolService } from '../pipeline/tool-service/service.js';

const rpcError = (status: number, code: number, message: string): Response => Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status });

/** The world memory of an MCP session is the service session `mcp:<id>`. */
export const mcpSessionKey = (id: string): string => `mcp:${id}`;

/**
 * MCP streamable HTTP, stateful: an initialize request opens a session (its own transport and server);
 * later requests carry `mcp-session-id`. Sessions end on DELETE or on close().
 */
export class McpHttpSessions {
  private readonly transports = new Map<string, WebStandardStreamableHTTPServerTransport>();

  constructor(
    private readonly service: ToolService,
    private readonly maxBodyBytes: number,
    private readonly pageSize = DEFAULT_MCP_PAGE_SIZE,
  ) {}

  get size(): number {
    return this.transports.size;
  }

  /** `client` is who the per-client limit counts this session against (its remote address). */
  async handle(req: Request, client: string): Promise<Response> {
    const id = req.headers.get('mcp-session-id');
    // Every POST body is parsed here, with the depth limit, and handed to the transport already parsed.
    let body: unknown;
    if (req.method === 'POST') {
      try {
        body = parseJson(await req.text(), 'body');
      } catch (e) {
        return rpcError(400, -32700, isMtrError(e) ? e.message : 'body: expected JSON-RPC (JSON), got an unreadable body');
      }
    }
    if (id) {
      const transport = this.transports.get(id);
      return transport
        ? transport.handleRequest(req, body === undefined ? undefined : { parsedBody: body })
        : rpcError(404, -32001, `mcp-session-id: expected a live session, got "${id}" (unknown or ended; initialize again)`);
    }
    if (req.method !== 'POST') return rpcError(400, -32000, `expected an initialize POST to open a session, got ${req.method} without mcp-session-id`);
    if (!isInitializeRequest(body))
      return rpcError(400, -32000, 'expected an initialize request to open a session, got another message without mcp-session-id');

    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      enableJsonResponse: true,
      maxRequestBodySize: this.maxBodyBytes,
      onsessioninitialized: (sid) => void this.transports.set(sid, transport),
      onsessionclosed: (sid) => this.forget(sid),
    });
    transport.onclose = () => transport.sessionId && this.forget(transport.sessionId);
    const server = createMcpServer(this.service, (sid) => ({ client, ...(sid ? { session: mcpSessionKey(sid) } : {}) }), this.pageSize);
    await server.connect(transport);
    return transport.handleRequest(req, { parsedBody: body });
  }

  async close(): Promise<void> {
    const all = [...this.transports.values()];
    this.transports.clear();
    await Promise.all(all.map((t) => t.close()));
  }

  private forget(sid: string): void {
    this.transports.delete(sid);
    this.service.endSession(mcpSessionKey(sid));
  }
}
