import { DEFAULT_TOOLS_PORT } from '../pipeline/serve-fields.js';
import { listen, type RunningServer } from './listen.js';
import { createToolsApp, type ToolsAppOptions } from './tools-app.js';
import type { ToolService } from '../pipeline/tool-service/service.js';

export interface ToolsServerOptions extends ToolsAppOptions {
  /** default 127.0.0.1 (loopback); bind elsewhere only on purpose, with a token */
  host?: string;
  /** default 8788; 0 picks a free port */
  port?: number;
}

export { DEFAULT_TOOLS_PORT } from '../pipeline/serve-fields.js';

/** Start the tool server (HTTP, /virtual, MCP at /mcp) on a real socket; resolves once it is listening. */
export function startToolsServer(service: ToolService, options: ToolsServerOptions = {}): Promise<RunningServer> {
  const { app, mcp } = createToolsApp(service, options);
  return listen(app.fetch, {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? DEFAULT_TOOLS_PORT,
    label: 'serve tools',
    beforeClose: () => mcp.close(),
  });
}
