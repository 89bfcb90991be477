import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { closedPort } from './store.js';

/**
 * A real PostgreSQL server for the test run: initdb into a temporary folder, pg_ctl on a random loopback port
 * (socket in the same folder, never the system cluster), stopped and deleted at the end. PostgreSQL refuses to
 * run as root, so as root (this machine, CI) initdb and pg_ctl run as the `postgres` user via runuser.
 */

/** Debian's binaries live in /usr/lib/postgresql/<version>/bin, not on PATH; the newest version wins. */
function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', name))) return join(root, v, 'bin', name);
  return name; // on PATH (another distribution), or a clear ENOENT
}

const asRoot = userInfo().uid === 0;
const run = (bin: string, args: string[]): string =>
  execFileSync(asRoot ? 'runuser' : pgBin(bin), asRoot ? ['-u', 'postgres', '--', pgBin(bin), ...args] : args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });

export interface PgServer {
  /** the server's admin URL (database `postgres`, user `postgres`, trust auth on loopback) */
  url: string;
  stop(): void;
}

/** Starts a throwaway server; bounded: initdb and pg_ctl each wait at most a minute. */
export async function startPostgres(): Promise<PgServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mtr-pg-'));
  if (asRoot) chownSync(dir, postgresId('-u'), postgresId('-g'));
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  try {
    execFileSync('cp', ['-a', clusterTemplate(), data], { timeout: 60_000 });
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await closedPort(); // another process may take it before pg_ctl does: then try another
      // fsync off: a test server's data need not survive a power cut
      const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
      try {
        run('pg_ctl', ['-D', data, '-o', opts, '-l', log, '-w', '-t', '30', 'start']);
        const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
        const watchdog = stopWhenGone(process.pid, data, dir);
        return {
          url,
          stop: () => {
            watchdog.kill();
            stopServer(data, dir);
          },
        };
      } catch (e) {
        lastError = e;
      }
    }
    throw new Error(`PostgreSQL did not start: ${(lastError as Error).message}\n${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''}`);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * initdb once per machine, PostgreSQL version and user: a cluster folder in the temp dir, made whole beside it and
 * renamed into place (so a concurrent run never sees half of one); each test run copies it (0.2 s, not 2–5 s).
 */
function clusterTemplate(): string {
  const key = createHash('sha256')
    .update(`${pgBin('initdb')}:${userInfo().uid}`)
    .digest('hex')
    .slice(0, 12);
  const template = join(tmpdir(), `mtr-pg-template-${key}`);
  if (existsSync(join(template, 'PG_VERSION'))) return template;
  const dir = mkdtempSync(join(tmpdir(), 'mtr-pg-init-'));
  try {
    if (asRoot) chownSync(dir, postgresId('-u'), postgresId('-g'));
    run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    try {
      renameSync(join(dir, 'data'), template);
    } catch (e) {
      if (!existsSync(join(template, 'PG_VERSION'))) throw e; // else another run made it first
    }
    return template;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const postgresId = (flag: '-u' | '-g'): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** A test run killed before its teardown must not leave a server behind: a detached shell stops it once `pid` is gone. */
function stopWhenGone(pid: number, data: string, dir: string) {
  const ctl = [...(asRoot ? ['runuser', '-u', 'postgres', '--'] : []), pgBin('pg_ctl'), '-D', data, '-m', 'immediate', 'stop'].map(quote).join(' ');
  const script = `while kill -0 ${pid} 2>/dev/null; do sleep 2; done; ${ctl} >/dev/null 2>&1; rm -rf ${quote(dir)}`;
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

function stopServer(data: string, dir: string): void {
  try {
    run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** the admin URL of the suite's PostgreSQL server (vitest.global-setup.ts) */
    pgUrl: string;
  }
}

let made = 0;

/** A fresh, empty database on the suite's server (one per call, so test files never share tables); returns its URL. */
export async function freshPgDatabase(prefix = 'mtr'): Promise<string> {
  const admin = inject('pgUrl');
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${made++}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return admin.replace(/\/postgres$/, `/${name}`);
}

/** Statements on a PostgreSQL database outside the store (a test's fixture or its corruption on purpose); returns the rows of the last. */
export async function pgExec(url: string, statement: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const res = await client.query(statement);
    return (Array.isArray(res) ? res.at(-1) : res).rows;
  } finally {
    await client.end();
  }
}
