import { existsSync } from 'node:fs';
import { MtrError } from '../schema/errors.js';
import { openDb, openReadonly } from './db.js';
import { pgStoreExists, redactUrl } from './postgres/db.js';
import { pgStore } from './postgres/store.js';
import { sqliteStore } from './sqlite-store.js';
import type { OpenStoreOptions, Store } from './store.js';

export type {
  ActorCacheRepository,
  AuditRepository,
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

/** A `postgres://` (or `postgresql://`) URL names a PostgreSQL store; anything else is a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** How a store is named in messages and manifests: a file's path as given, a URL without its password. */
export function storeName(db: string): string {
  return isPostgresUrl(db) ? redactUrl(db) : db;
}

/**
 * Is there a store at `db`: the file exists, or the database holds an mtr schema (an empty database is no
 * store yet). A database that cannot be reached is an E_STORE error, not "no store".
 */
export async function storeExists(db: string): Promise<boolean> {
  return isPostgresUrl(db) ? pgStoreExists(db) : db === ':memory:' || existsSync(db);
}

/**
 * Opens a store: the one way jobs and faces reach one. A file path is the embedded SQLite backend; a
 * `postgres://` URL the PostgreSQL one (the database must exist; its tables are made with `create`). Without
 * `create`, a missing store is an error (a typo must not make an empty store that then reports "no runs").
 */
export async function openStore(path: string, opts: OpenStoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(path)) return pgStore(path, opts);
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
