import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MtrError } from '../schema/errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/** A nullable JSON column's value: absent fields are stored as NULL, not as the text "undefined". */
export const jsonColumn = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** Opens (creating if needed) a store file: WAL so readers never block the writer, migrations applied. */
export function openDb(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: Db | undefined;
  try {
    db = new Database(path);
    refuseForeign(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL'); // WAL + NORMAL: a crash loses no committed transaction's integrity
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
  } catch (e) {
    db?.close();
    if (e instanceof MtrError) throw e;
    throw new MtrError('E_STORE', `${path}: cannot open database: ${(e as Error).message}`);
  }
  try {
    migrate(db, path);
  } catch (e) {
    db.close(); // a store this mtr cannot use is not left open
    throw e;
  }
  return db;
}

/** A SQLite file with tables but no mtr schema version is someone else's (a BM25 index, another app): never migrate it. */
function refuseForeign(db: Db, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = (db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'`).get() as { n: number }).n;
  if (version === 0 && tables > 0)
    throw new MtrError('E_STORE', `${path}: expected an mtr store (or a new file), got a SQLite database with ${tables} other table(s)`);
}

function migrate(db: Db, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new MtrError('E_STORE', `${path}: database schema version ${version} is newer than this mtr (${MIGRATIONS.length}); upgrade mtr`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/** Opens an existing store file read only: not migrated, locked or written (reading a run store another process may own). */
export function openReadonly(path: string): Db {
  return new Database(path, { readonly: true, fileMustExist: true });
}

/** An mtr store (`mtr generate --db`)? Recognised by the SQLite header, so any file name works. */
export function isSqliteFile(head: Buffer): boolean {
  return head.subarray(0, 16).toString('latin1') === 'SQLite format 3\u0000';
}
