import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../support/cli.js';
import { seededStore } from '../validate/store-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-view-cli-'));

/** `mtr view` as a separate process: resolves with its URL once it listens. */
async function viewCli(args: string[]) {
  const started = spawnCli(['view', '--port', '0', ...args]);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    started.child.stdout!.on('data', (d) => {
      out += d;
      const m = /viewer on (http:\/\/[\d.]+:\d+)\//.exec(out);
      if (m) resolve(m[1]!);
    });
    void started.done.then((r) => reject(new Error(`mtr view exited early: ${r.stderr}`)));
  });
  return {
    url,
    out: () => out,
    stop: () => {
      started.child.kill('SIGTERM');
      return started.done;
    },
  };
}

describe('mtr view', () => {
  it('bad input is one clear line and exit 1: a missing file, a SQLite file of another app, a file that is no database, a locked store', async () => {
    const foreign = join(tmp, 'other.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE things (x)');
    db.close();
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'just some notes, not a database at all\n'.repeat(100));
    const { path: locked } = await seededStore(mkdtempSync(join(tmpdir(), 'mtr-view-locked-')));
    const holder = new Database(locked);
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE');
    try {
      for (const [file, line] of [
        [join(tmp, 'missing.sqlite'), /missing\.sqlite: no such store \(create one with mtr generate --db .*\)$/],
        [foreign, /other\.sqlite: expected an mtr store \(made by mtr generate\), got a SQLite database without its tables$/],
        [text, /notes\.txt: expected an mtr store \(made by mtr generate\), got a file that is not one$/],
        [locked, /store\.sqlite: the store is locked by another process/],
      ] as const) {
        const r = await runCli(['view', '--db', file, '--port', '0']);
        expect(r.code, file).toBe(1);
        expect(r.stdout, file).toBe('');
        expect(r.stderr.trim().split('\n'), file).toHaveLength(1);
        expect(r.stderr.trim(), file).toMatch(line);
      }
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });

  it('serves the API on loopback and never writes to the store: its bytes and mtime are the same after browsing', async () => {
    const { path } = await seededStore(mkdtempSync(join(tmpdir(), 'mtr-view-ro-')));
    const validated = await runCli(['validate', '--db', path, '--json']);
    const wrong = JSON.parse(validated.stdout).report.by_reason.wrong_answer.count;
    expect(wrong).toBeGreaterThan(0);
    const before = { bytes: readFileSync(path), mtime: statSync(path).mtimeMs };
    const viewer = await viewCli(['--db', path]);
    try {
      expect(viewer.out()).toMatch(/over .*store\.sqlite \(1 runs; read only; JSON API under \/api\/\)/);
      // no --host: bound to 127.0.0.1 exactly, so the machine's other addresses refuse it
      expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const port = new URL(viewer.url).port;
      const outside = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a && a.family === 'IPv4' && !a.internal)
        .map((a) => a!.address);
      for (const address of outside)
        await expect(fetch(`http://${address}:${port}/api/runs`, { signal: AbortSignal.timeout(3000) }), address).rejects.toThrow();
      for (const route of [
        '/api/runs',
        '/api/runs/1',
        '/api/traces?run=1&reason=wrong_answer',
        '/api/traces/5',
        '/api/report?run=1',
        '/api/plots?run=1',
        '/api/carg',
      ])
        expect((await fetch(`${viewer.url}${route}`)).status, route).toBe(200);
      const page = (await (await fetch(`${viewer.url}/api/traces?run=1&reason=wrong_answer`)).json()) as { total: number };
      expect(page.total).toBe(wrong);
    } finally {
      const end = await viewer.stop();
      expect(end.code).toBe(0);
    }
    expect(statSync(path).mtimeMs).toBe(before.mtime);
    expect(readFileSync(path).equals(before.bytes)).toBe(true);
  });
});
