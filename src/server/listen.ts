import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MtrError } from '../schema/errors.js';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** loopback unless told otherwise */
  host: string;
  /** 0 picks a free port */
  port: number;
  /** names the server in the error for a taken port, e.g. "serve tools" */
  label: string;
  /** released before the socket closes (e.g. MCP sessions) */
  beforeClose?: () => Promise<void>;
}

/** Serves a fetch handler on a real socket; resolves once listening, with a close that never hangs on keep-alives. */
export function listen(fetch: (request: Request) => Response | Promise<Response>, options: ListenOptions): Promise<RunningServer> {
  const { host, port, label } = options;
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname: host }, (info: AddressInfo) => {
      server.off('error', onError);
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`,
        port: info.port,
        close: async () => {
          await options.beforeClose?.();
          await new Promise<void>((done, fail) => {
            server.close((e) => (e ? fail(e) : done()));
            server.closeAllConnections(); // keep-alive sockets and open streams would hold close() forever
          });
        },
      });
    }) as Server;
    const onError = (e: NodeJS.ErrnoException): void =>
      reject(new MtrError('E_USAGE', `${label}: expected a free port on ${host}:${port}, got ${e.code ?? e.message}`));
    server.once('error', onError);
  });
}
