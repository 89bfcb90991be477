import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { TraceRecord } from '../../src/schema/trace.js';
import { openDb, openStore, runStatus, type Store } from '../../src/store/index.js';
import { freshPgDatabase, pgExec } from './postgres.js';

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

/** A store's traces of the run with this key (eval and generate tests read them back by key). */
export async function tracesOfRun(db: string, runKey: string): Promise<TraceRecord[]> {
  const store = await openStore(db);
  try {
    const run = (await store.runs.list()).find((r) => r.key === runKey)!;
    return await store.traces.list(run.id);
  } finally {
    await store.close();
  }
}

/** A fresh store on each backend, with a raw-SQL door used only to corrupt or age a row on purpose. */
export interface StoreBackend {
  name: string;
  fresh(): Promise<{ store: Store; sql(statement: string): Promise<void> }>;
}

export function storeBackends(prefix: string): StoreBackend[] {
  const tmp = mkdtempSync(join(tmpdir(), `mtr-${prefix}-`));
  let n = 0;
  return [
    {
      name: 'sqlite',
      fresh: async () => {
        const path = join(tmp, `s${n++}.sqlite`);
        return {
          store: await openStore(path, { create: true }),
          sql: async (statement) => {
            const raw = new Database(path);
            try {
              raw.exec(statement);
            } finally {
              raw.close();
            }
          },
        };
      },
    },
    {
      name: 'postgres',
      fresh: async () => {
        const url = await freshPgDatabase(prefix);
        return { store: await openStore(url, { create: true }), sql: async (statement) => void (await pgExec(url, statement)) };
      },
    },
  ];
}
