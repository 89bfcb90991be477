import { createServer } from 'node:net';
import { openDb, runStatus } from '../../src/store/index.js';

/** `mtr status` of a store file, read the way the CLI reads it (opened and closed around the read). */
export function storeStatus(db: string): ReturnType<typeof runStatus> {
  const store = openDb(db);
  try {
    return runStatus(store);
  } finally {
    store.close();
  }
}

/** A loopback port nothing listens on: bind one, note it, close it. */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}
