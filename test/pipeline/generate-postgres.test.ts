import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { openViewStore, type ViewService, viewService } from '../../src/pipeline/view.js';
import { loadToolsetFromRun } from '../../src/tools/toolset.js';
import { runCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { freshPgDatabase, pgExec } from '../support/postgres.js';
import { scriptedModel } from '../support/scripted-roles.js';

/**
 * The jobs end to end on PostgreSQL, as users run them: `mtr generate --db postgres://…` against a scripted local
 * model server, then validate, export and status — and the same commands on a SQLite file with the same scripted
 * answers. The exported files must be byte-identical: the store's backend must not show in the data.
 */
const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const tmp = mkdtempSync(join(tmpdir(), 'mtr-gen-pg-'));
let server: FakeServer;
let pgUrl: string;

beforeAll(async () => {
  server = await startFakeOpenAI({ respond: scriptedModel({ items: await loadItems(BAMBOOGLE, { limit: 8 }) }) });
  pgUrl = await freshPgDatabase('gen');
});
afterAll(() => server.close());

const ok = async (args: string[], env?: NodeJS.ProcessEnv) => {
  const r = await runCli(args, env);
  expect(r.stderr, args.join(' ')).not.toMatch(/error/i);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
};

/** Every file of an export folder, manifest aside (it names its source store), by name. */
const exported = (dir: string): Record<string, Buffer> =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name !== 'manifest.json')
      .map((e) => [join(e.parentPath, e.name).slice(dir.length + 1), readFileSync(join(e.parentPath, e.name))]),
  );

describe('generate, validate, export and status on a PostgreSQL store', () => {
  it('match the same run on SQLite: one finished trace per item, the same verdicts, byte-identical exports', async () => {
    const sqlite = join(tmp, 'run.sqlite');
    const gen = (db: string) =>
      ok(['generate', '--dataset', BAMBOOGLE, '--limit', '8', '--db', db, '--base-url', server.url, '--model', 'fake-model', '--concurrency', '4', '--json']);
    const summaries = { sqlite: JSON.parse((await gen(sqlite)).stdout), postgres: JSON.parse((await gen(pgUrl)).stdout) };
    for (const s of Object.values(summaries)) expect(s).toMatchObject({ items: 8, finished: 8, failed: 0, aborted: false });
    expect(summaries.postgres.run_key).toBe(summaries.sqlite.run_key);
    // the database holds it: one finished trace per item, every piece in its table
    expect(await pgExec(pgUrl, `SELECT status, COUNT(*)::int AS n, COUNT(DISTINCT item_id)::int AS items FROM traces GROUP BY status`)).toEqual([
      { status: 'finished', n: 8, items: 8 },
    ]);

    // a second generate resumes: nothing left to do, nothing duplicated
    const again = JSON.parse((await gen(pgUrl)).stdout);
    expect(again).toMatchObject({ already_finished: 8, finished: 0 });

    for (const db of [sqlite, pgUrl]) await ok(['validate', '--db', db, '--json']);
    const verdicts = async (db: string) => (await ok(['validate', '--db', db, '--json'])).stdout; // the second pass reads the stored verdicts
    expect(await verdicts(pgUrl)).toBe(await verdicts(sqlite));

    for (const [stage, format] of [
      ['sft', 'trl'],
      ['sft', 'sharegpt'],
      ['grpo', 'verl'],
    ] as const) {
      const out = (name: string) => join(tmp, name, `${stage}-${format}`); // one folder name: LLaMA-Factory's dataset_info.json names it
      for (const [name, db] of [
        ['sqlite', sqlite],
        ['postgres', pgUrl],
      ] as const)
        await ok(['export', '--db', db, '--stage', stage, '--format', format, '--out', out(name), '--val-ratio', '0.25']);
      const [a, b] = [exported(out('sqlite')), exported(out('postgres'))];
      expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
      expect(Object.keys(a).length).toBeGreaterThan(0);
      for (const f of Object.keys(a)) expect(b[f]!.equals(a[f]!), `${stage}/${format}: ${f}`).toBe(true);
      const manifest = JSON.parse(readFileSync(join(out('postgres'), 'manifest.json'), 'utf8'));
      expect(manifest.source.db).toBe(pgUrl); // the URL, not a path made of it
    }

    // status through MTR_DB instead of --db: the same counts as SQLite's (latencies aside, they were measured)
    const status = async (env: NodeJS.ProcessEnv, args: string[] = []) => JSON.parse((await ok(['status', '--json', ...args], env)).stdout);
    const [pg, lite] = [await status({ MTR_DB: pgUrl }), await status({}, ['--db', sqlite])];
    const counts = ({ by_role, by_server, ...rest }: Record<string, unknown>) => ({
      rest,
      roles: Object.keys(by_role as object),
      servers: Object.keys(by_server as object),
    });
    expect(counts(pg)).toEqual(counts(lite));
    expect(pg).toMatchObject({ items_total: 8, traces_finished: 8, duplicates: 0 });

    // serve tools --from-run URL:RUN reads the run's tools and items as from a file (the URL's password not shown)
    const key = summaries.postgres.run_key;
    const fromPg = await loadToolsetFromRun(`${pgUrl.replace('postgres@', 'postgres:s3cret@')}:${key}`);
    const fromFile = await loadToolsetFromRun(`${sqlite}:${key}`);
    expect(fromPg.tools).toEqual(fromFile.tools);
    expect(fromPg.items).toEqual(fromFile.items);
    expect(fromPg.source).toBe(`${pgUrl.replace('postgres@', 'postgres:***@')}:${key}`);

    // mtr view reads it read only: the same runs, trace pages and reports as from the file
    const views = [viewService(await openViewStore(pgUrl)), viewService(await openViewStore(sqlite))] as const;
    const [pgRuns, liteRuns] = await Promise.all(views.map((v) => v.runs()));
    expect(pgRuns!.map((r) => [r.key, r.status.traces_finished])).toEqual(liteRuns!.map((r) => [r.key, r.status.traces_finished]));
    // pages follow trace ids, which follow the order traces began in (concurrent): compared by item
    const page = async (v: ViewService) => {
      const { total, items } = await v.traces({ run: 1, offset: 0, limit: 100 });
      return { total, items: items.map(({ trace_id, ...row }) => row).sort((a, b) => a.item_id.localeCompare(b.item_id)) };
    };
    const pgPage = await page(views[0]);
    expect(pgPage.items.map((t) => t.item_id)).toEqual(fromFile.items!.map((i) => i.id).sort());
    expect(pgPage).toEqual(await page(views[1]));
    expect((await views[0].traces({ run: 1, offset: 2, limit: 3 })).items).toHaveLength(3);
    expect((await views[0].report(1))?.report).toEqual((await views[1].report(1))?.report);
    for (const v of views) await v.close();
  });

  it('an unreachable PostgreSQL server or an empty database stops status with one line naming the store, no password', async () => {
    const r = await runCli(['status', '--db', 'postgres://me:s3cret@127.0.0.1:1/mtr']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/mtr: cannot open database/);
    expect(r.stderr).not.toContain('s3cret');
    const empty = await freshPgDatabase('empty');
    const e = await runCli(['status', '--db', empty]);
    expect(e.code).not.toBe(0);
    expect(e.stderr).toContain(`${empty}: no such store (create one with mtr generate --db ${empty})`);
  });
});
