import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freshPgDatabase } from '../support/postgres.js';

describe('the test PostgreSQL server', () => {
  it('runs on loopback; each fresh database is its own and empty', async () => {
    const [a, b] = [await freshPgDatabase(), await freshPgDatabase()];
    expect(a).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/mtr_/);
    expect(a).not.toBe(b);
    const client = new pg.Client({ connectionString: a });
    await client.connect();
    try {
      await client.query('CREATE TABLE t (x int)');
      const { rows } = await client.query(`SELECT current_database() AS db, inet_server_addr()::text AS addr`);
      expect(rows[0]).toEqual({ db: a.split('/').pop(), addr: '127.0.0.1/32' });
    } finally {
      await client.end();
    }
    const other = new pg.Client({ connectionString: b });
    await other.connect();
    try {
      expect((await other.query(`SELECT COUNT(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).rows[0]).toEqual({ n: 0 });
    } finally {
      await other.end();
    }
  });
});
