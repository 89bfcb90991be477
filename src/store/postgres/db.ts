import pg from 'pg';
import { asMtrError, isMtrError, MtrError } from '../../schema/errors.js';
import { PG_MIGRATIONS } from './migrations.js';

/**
 * The PostgreSQL connection: node-postgres (`pg`) — the most used PostgreSQL client for Node, maintained since
 * 2010, pure JavaScript (no native build), with a connection pool and typed errors (SQLSTATE codes) that the
 * store maps to its own. Queries are written with `?` placeholders as on SQLite and numbered here.
 */

type Value = string | number | null | readonly number[]; // an array binds to `= ANY(?::bigint[])`

/** What a repository runs its SQL through: the pool (one statement, autocommit) or one transaction's client. */
export interface Q {
  all<T>(sql: string, params?: readonly Value[]): Promise<T[]>;
  one<T>(sql: string, params?: readonly Value[]): Promise<T | undefined>;
  /** runs a statement; returns how many rows it changed */
  run(sql: string, params?: readonly Value[]): Promise<number>;
}

/** `?` → `$1, $2…`, leaving `?` inside quoted strings alone. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/'(?:[^']|'')*'|\?/g, (m) => (m === '?' ? `$${++n}` : m));
}

const queryOf = (c: pg.Pool | pg.PoolClient | pg.Client): Q => {
  const exec = (sql: string, params: readonly Value[] = []) => c.query(numbered(sql), params as Value[]);
  return {
    all: async <T>(sql: string, params?: readonly Value[]) => (await exec(sql, params)).rows as T[],
    one: async <T>(sql: string, params?: readonly Value[]) => (await exec(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params?: readonly Value[]) => (await exec(sql, params)).rowCount ?? 0,
  };
};

/** `INSERT INTO t (a, b) VALUES (?, ?)` for many rows: one statement per chunk, not one round trip per row. */
export async function insertMany(q: Q, insert: string, rows: readonly (readonly Value[])[], suffix = ''): Promise<void> {
  if (!rows.length) return;
  const head = insert.slice(0, insert.indexOf('VALUES'));
  const width = rows[0]!.length;
  const chunk = Math.floor(30_000 / width); // PostgreSQL takes at most 65,535 parameters a statement
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const marks = part.map(() => `(${Array.from({ length: width }, () => '?').join(', ')})`).join(', ');
    await q.run(`${head} VALUES ${marks} ${suffix}`, part.flat());
  }
}

/** A URL fit for messages: the password is never shown. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/** SQLSTATEs the store names as SQLite does, so a message (and a test) reads the same on both backends. */
export function pgError(e: unknown, location: string): MtrError {
  if (isMtrError(e)) return e;
  const err = e as pg.DatabaseError;
  if (err?.code === '23505')
    return new MtrError('E_STORE', `${location}: UNIQUE constraint failed: ${err.constraint} (${err.detail})`, undefined, { cause: e });
  if (err?.code === '25006') return new MtrError('E_STORE', `${location}: attempt to write a readonly store: ${err.message}`, undefined, { cause: e });
  return asMtrError(e, 'E_STORE', location);
}

export interface PgDb {
  readonly location: string;
  readonly q: Q;
  /** `fn` in one transaction: committed when it returns, rolled back when it throws. */
  tx<T>(fn: (q: Q) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// int8 (ids, COUNT) and numeric (SUM of int8) as JavaScript numbers, as SQLite gives them; exact below 2^53
const INT8 = 20;
const NUMERIC = 1700;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/**
 * Connects to a store database and applies the migrations (unless read only). The database must exist (an
 * administrator makes it: `createdb mtr`); the tables are made on first use when `create` is set.
 */
export async function openPg(url: string, opts: { create?: boolean; readonly?: boolean }): Promise<PgDb> {
  const location = redactUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    types,
    max: 10,
    connectionTimeoutMillis: 15_000,
    // read only: every transaction is, so a write is refused by the server, not only by this code
    ...(opts.readonly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  pool.on('error', () => {}); // an idle client's lost connection: the next query reports it
  const db: PgDb = {
    location,
    q: queryOf(pool),
    tx: async (fn) => {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const out = await fn(queryOf(client));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw e;
      } finally {
        client.release(broken); // a connection that cannot even roll back is dropped, not handed to the next caller
      }
    },
    close: () => pool.end(),
  };
  try {
    const version = await schemaVersion(db.q, location);
    if (version === undefined && (!opts.create || opts.readonly))
      throw new MtrError('E_STORE', `${location}: no such store (create one with mtr generate --db ${location})`);
    if (!opts.readonly) await migrate(db);
  } catch (e) {
    await pool.end().catch(() => {});
    throw openError(e, location);
  }
  return db;
}

/** Why a store could not be opened; a missing database says how to make one (mtr makes the tables, not the database). */
function openError(e: unknown, location: string): MtrError {
  if (isMtrError(e)) return e;
  const hint = (e as pg.DatabaseError).code === '3D000' ? ' (make it first: createdb, or CREATE DATABASE; mtr makes its tables)' : '';
  return new MtrError('E_STORE', `${location}: cannot open database: ${(e as Error).message}${hint}`, undefined, { cause: e });
}

/** Does the database hold an mtr store (an empty one does not)? E_STORE when it cannot be reached or holds other tables. */
export async function pgStoreExists(url: string): Promise<boolean> {
  const location = redactUrl(url);
  const client = new pg.Client({ connectionString: url, types, connectionTimeoutMillis: 15_000 });
  try {
    await client.connect();
    return (await schemaVersion(queryOf(client), location)) !== undefined;
  } catch (e) {
    throw openError(e, location);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The store's schema version; undefined for an empty database; E_STORE for a database holding other tables. */
async function schemaVersion(q: Q, location: string): Promise<number | undefined> {
  const tables = await q.all<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`);
  if (tables.some((t) => t.name === 'mtr_schema')) return (await q.one<{ version: number }>('SELECT version FROM mtr_schema'))?.version ?? 0;
  if (tables.length)
    throw new MtrError('E_STORE', `${location}: expected an mtr store (or an empty database), got a database with ${tables.length} other table(s)`);
  return undefined;
}

/** Applies the missing migrations in one transaction, under an advisory lock: two processes starting at once migrate once. */
async function migrate(db: PgDb): Promise<void> {
  await db.tx(async (q) => {
    await q.run(`SELECT pg_advisory_xact_lock(hashtext('mtr_schema'))`);
    await q.run('CREATE TABLE IF NOT EXISTS mtr_schema (version INTEGER NOT NULL)');
    const row = await q.one<{ version: number }>('SELECT version FROM mtr_schema');
    if (!row) await q.run('INSERT INTO mtr_schema (version) VALUES (0)');
    const version = row?.version ?? 0;
    if (version > PG_MIGRATIONS.length)
      throw new MtrError('E_STORE', `${db.location}: database schema version ${version} is newer than this mtr (${PG_MIGRATIONS.length}); upgrade mtr`);
    for (let v = version; v < PG_MIGRATIONS.length; v++) {
      await q.run(PG_MIGRATIONS[v]!);
      await q.run('UPDATE mtr_schema SET version = ?', [v + 1]);
    }
  });
}
