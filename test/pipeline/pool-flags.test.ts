import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { openDb } from '../../src/store/index.js';
import { runCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { scriptedModel } from '../support/scripted-roles.js';

/** The pool as users write it: `--base-url A,B` and `--actor-base-url C,D` on `mtr generate`, then `mtr status`. */
const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const tmp = mkdtempSync(join(tmpdir(), 'mtr-pool-flags-'));
const servers: FakeServer[] = [];

beforeAll(async () => {
  const script = scriptedModel({ items: await loadItems(BAMBOOGLE, { limit: 6 }) });
  for (let i = 0; i < 4; i++) servers.push(await startFakeOpenAI({ respond: script }));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('--base-url and --ROLE-base-url take comma-separated pools', () => {
  it('each role uses its pool; status lists every server with the calls the store holds', async () => {
    const [a, b, c, d] = servers.map((s) => s.url) as [string, string, string, string];
    const db = join(tmp, 'flags.sqlite');
    const run = await runCli([
      'generate',
      ...['--dataset', BAMBOOGLE, '--limit', '6', '--db', db, '--model', 'fake-model', '--concurrency', '3'],
      ...['--base-url', `${a},${b}`, '--actor-base-url', `${c}, ${d}`],
    ]);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    const store = openDb(db);
    const rows = store.prepare('SELECT role, server, COUNT(*) AS n FROM model_calls GROUP BY role, server').all() as {
      role: string;
      server: string;
      n: number;
    }[];
    store.close();
    const serversOf = (roles: string[]) => new Set(rows.filter((r) => roles.includes(r.role)).map((r) => r.server));
    expect(serversOf(['maker', 'agent'])).toEqual(new Set([a, b]));
    expect(serversOf(['actor'])).toEqual(new Set([c, d]));
    // every request a server received is a stored call naming it
    for (const s of servers) expect(rows.filter((r) => r.server === s.url).reduce((n, r) => n + r.n, 0)).toBe(s.requests.length);

    const status = await runCli(['status', '--db', db, '--json']);
    const byServer = JSON.parse(status.stdout).by_server as Record<string, { calls: number }>;
    expect(Object.fromEntries(Object.entries(byServer).map(([url, v]) => [url, v.calls]))).toEqual(
      Object.fromEntries(servers.map((s) => [s.url, s.requests.length])),
    );
  });

  it('a list with an entry that is no http(s) URL is a usage error naming the flag and the value', async () => {
    const bad = `${servers[0]!.url},ftp://x`;
    const run = await runCli(['generate', '--dataset', BAMBOOGLE, '--db', join(tmp, 'bad.sqlite'), '--agent-base-url', bad]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--agent-base-url');
    expect(run.stderr).toContain(JSON.stringify(bad));
  });
});
