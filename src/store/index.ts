import { existsSync } from 'node:fs';
import { MtrError } from '../schema/errors.js';
import { openDb, openReadonly } from './db.js';
import { sqliteStore } from './sqlite-store.js';
import type { OpenStoreOptions, Store } from './store.js';

export type {
  ActorCacheRepository,
  CargRepository,
  ItemRepository,
  ModelCallRepository,
  OpenStoreOptions,
  RunRepository,
  Store,
  TracePieces,
  TraceRepository,
  TraceStatus,
  VerdictRepository,
} from './store.js';
export { TraceDraft } from './trace-draft.js';
export { isSqliteFile } from './db.js';

/**
 * Opens a store: the one way jobs and faces reach one. A file path is the embedded SQLite backend; a
 * `postgres://` URL is issue 19. Without `create`, a missing file is an error (a typo must not make an empty
 * store that then reports "no runs").
 */
export async function openStore(path: string, opts: OpenStoreOptions = {}): Promise<Store> {
  if (/^postgres(ql)?:\/\//i.test(path))
    throw new MtrError('E_USAGE', `--db: PostgreSQL stores come with issue 19; got ${path.replace(/\/\/[^@/]*@/, '//***@')}`);
  if (path !== ':memory:' && !existsSync(path)) {
    if (!opts.create || opts.readonly) throw new MtrError('E_STORE', `${path}: no such store (create one with mtr generate --db ${path})`);
  }
  if (opts.readonly) {
    try {
      return sqliteStore(openReadonly(path), path);
    } catch (e) {
      throw new MtrError('E_STORE', `${path}: cannot open database: ${(e as Error).message}`, undefined, { cause: e });
    }
  }
  return sqliteStore(openDb(path), path);
}

// SQLite internals still read directly by other parts' tests (their fixtures and assertions), until those move to the interface
export { openDb, type Db } from './db.js';
export { runStatus } from './status.js';
export { readTraces, type StoredTrace } from './read.js';
