import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../carg/helpers.js';
import { scriptedCarg } from '../carg/scripted-carg.js';
import { runCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { freshPgDatabase, pgExec } from '../support/postgres.js';
import { sealTools } from '../support/seal-tools.js';

/** The CARG stages on a PostgreSQL store, as users run them, against the same stages on SQLite with the same scripted answers. */
const tmp = tempDir('carg-pg');
const tools = sealTools().slice(10, 14);
let server: FakeServer;
beforeAll(async () => {
  server = await startFakeOpenAI({ respond: scriptedCarg(tools) });
});
afterAll(() => server.close());

const ok = async (args: string[]) => {
  const r = await runCli(args);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
};

describe('carg on PostgreSQL', () => {
  it('tools import → single → multi → export: the same summaries and byte-identical files as on SQLite', async () => {
    const file = tmp.write('four.json', tools);
    const model = ['--base-url', server.url, '--model', 'fake-model', '--retries', '0', '--concurrency', '1'];
    const stores = { sqlite: join(tmp.dir, 'carg.sqlite'), postgres: await freshPgDatabase('carg') };
    // a stage that needs imported tools refuses an empty database as it refuses a missing file
    const early = await runCli(['carg', 'single', '--db', stores.postgres, ...model]);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain(`${stores.postgres}: no such store (import tools first`);

    const outputs: Record<string, string[]> = {};
    for (const [name, db] of Object.entries(stores)) {
      outputs[name] = [
        await ok(['carg', 'tools', 'import', file, '--db', db, '--json']),
        await ok(['carg', 'single', '--db', db, '--count', '2', '--json', ...model]),
        await ok(['carg', 'multi', '--db', db, '--turns', '2', '--tau', '0', '--group-size', '2', '--json', ...model]),
        await ok(['carg', 'export', '--db', db, '--out', join(tmp.dir, name, 'sft'), '--holdout', '0', '--val-ratio', '0.3', '--json']),
      ].map((s) => s.replaceAll(join(tmp.dir, name), 'OUT'));
    }
    expect(outputs.postgres).toEqual(outputs.sqlite);
    expect(JSON.parse(outputs.postgres![1]!)).toMatchObject({ job: 'single', done: 4 });
    const files = readdirSync(join(tmp.dir, 'sqlite', 'sft')).filter((f) => f !== 'manifest.json');
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(join(tmp.dir, 'postgres', 'sft', f)).equals(readFileSync(join(tmp.dir, 'sqlite', 'sft', f))), f).toBe(true);
    expect(await pgExec(stores.postgres, `SELECT COUNT(*)::int AS n FROM carg_tools WHERE status = 'accepted'`)).toEqual([{ n: 4 }]);
  });
});
