import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import carg from '../../src/cli/carg.js';
import { exportCommand } from '../../src/cli/carg/stages.js';
import { type Command, type Io, parseCommandArgs } from '../../src/cli/command.js';
import { main } from '../../src/cli/index.js';
import { openDb } from '../../src/store/db.js';
import { tempDir } from '../carg/helpers.js';
import { scriptedCarg } from '../carg/scripted-carg.js';
import { runCli, spawnCli } from '../support/cli.js';
import { startFakeOpenAI, type FakeServer } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { sealTools } from '../support/seal-tools.js';

const tmp = tempDir('cli');

/** `main(argv, io)` in this process, output captured. */
async function inProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = {
    stdout: '',
    stderr: '',
    isTTY: false,
    env: {},
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
  } satisfies Io & { stdout: string; stderr: string };
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}
const tools = sealTools().slice(10, 14);

describe('mtr carg (real binary)', () => {
  it('tools import --json prints {imported, rejected, duplicates, by_reason} for the real tool files', async () => {
    const db = join(tmp.dir, 'import.sqlite');
    const r = await runCli([
      'carg',
      'tools',
      'import',
      join(SHARED_DATASETS, 'tools/tooleyes_tool_library.json'),
      join(SHARED_DATASETS, 'tools/toolalpaca/eval_simulated.json'),
      '--db',
      db,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    // ToolAlpaca names near duplicates of ToolEyes names imported just before them; no description → incomplete (servable), not rejected
    expect(s).toMatchObject({
      imported: 42,
      incomplete: 500,
      rejected: 0,
      duplicates: 270,
      unchanged: 0,
      failed: [],
      by_reason: { missing_responses: 758, missing_description: 18, duplicate_name: 226, near_duplicate: 44 },
    });
    expect(s.problems).toHaveLength(0); // --json lists the rejected ones
    const again = await runCli(['carg', 'tools', 'import', join(SHARED_DATASETS, 'tools/toolalpaca/eval_simulated.json'), '--db', db]);
    expect(again.stdout).toBe('0 imported, 0 incomplete (use --complete), 0 rejected, 0 duplicates, 54 unchanged (already imported)\n');
    const text = await runCli([
      'carg',
      'tools',
      'import',
      join(SHARED_DATASETS, 'tools/toolalpaca/eval_simulated.json'),
      '--db',
      join(tmp.dir, 'alpaca.sqlite'),
    ]);
    expect(text.stdout).toMatch(/^49 imported, 5 incomplete \(use --complete\), 0 rejected, 0 duplicates\n {2}missing_description: 5\n$/);
  });

  it('usage errors exit 2 with the expected subcommands named; --help lists them', async () => {
    const none = await runCli(['carg', '--db', join(tmp.dir, 'x.sqlite')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/mtr carg: unknown subcommand "--db" \(expected one of tools, single, multi, errors, export, audit, eval\)/);
    const noFiles = await runCli(['carg', 'tools', 'import', '--db', join(tmp.dir, 'x.sqlite')]);
    expect(noFiles.code).toBe(2);
    expect(noFiles.stderr).toMatch(/mtr carg tools import: expected one or more tool files/);
    const help = await runCli(['carg', 'tools', '--help']);
    expect(help.stdout).toMatch(/mtr carg tools import\s+Import tool files/);
    const leafHelp = await runCli(['carg', 'tools', 'import', '--help']);
    expect(leafHelp.stdout).toMatch(/^mtr carg tools import FILE… \[options\]/);
    expect(leafHelp.stdout).toMatch(/--threshold COS\s+Name cosine/);
    const misplaced = await runCli(['carg', 'export', '--db', join(tmp.dir, 'x.sqlite'), '--out', join(tmp.dir, 'x.jsonl'), '--count', '3']);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toMatch(/mtr carg export: Unknown option '--count'/);
    const kinds = await inProcess(['carg', 'export', '--db', join(tmp.dir, 'x.sqlite'), '--out', join(tmp.dir, 'x'), '--kinds', 'single,erors']);
    expect(kinds).toMatchObject({ code: 2, stdout: '' });
    expect(kinds.stderr).toMatch(/^mtr carg export: --kinds: expected a comma-separated list of single, multi, error/);
    // checked before any model or store is touched (was: after the whole audit had run)
    const audit = await inProcess(['carg', 'audit', '--db', join(tmp.dir, 'absent.sqlite'), '--min-reliability', '0.8', '--base-url', 'http://127.0.0.1:9/v1']);
    expect(audit).toMatchObject({ code: 2, stdout: '' });
    expect(audit.stderr).toMatch(/^mtr carg audit: --min-reliability needs --out FILE for the reliable tools/);
  });

  it('a flag the subcommand does not read is an unknown option whatever its value, the default included (in-process)', async () => {
    const db = ['--db', join(tmp.dir, 'x.sqlite')];
    for (const count of ['5', '6']) {
      expect(() => parseCommandArgs(exportCommand, [...db, '--out', 'x.jsonl', '--count', count], {})).toThrow("Unknown option '--count'");
      const r = await inProcess(['carg', 'export', ...db, '--out', join(tmp.dir, 'x.jsonl'), '--count', count]);
      expect(r).toMatchObject({ code: 2, stdout: '' });
      expect(r.stderr).toMatch(/^mtr carg export: Unknown option '--count'/);
    }
    expect(() => parseCommandArgs(carg.subcommands.tools.subcommands.import as Command, ['a.json', ...db, '--turns', '3'], {})).toThrow(
      "Unknown option '--turns'",
    );
    // read by the subcommand: accepted; an environment fallback is not a given flag
    expect(parseCommandArgs(carg.subcommands.single, ['--count', '5', ...db, '--json'], { OPENAI_API_KEY: 'k' }).options).toMatchObject({
      count: 5,
      json: true,
      apiKey: 'k',
    });
    expect(parseCommandArgs(exportCommand, [...db, '--out', 'x.jsonl'], { OPENAI_BASE_URL: 'http://x/v1' }).given).toEqual(new Set(['db', 'out']));
    // a name that is no subcommand is reported with the subcommands
    const nope = await inProcess(['carg', 'nope', ...db]);
    expect(nope).toMatchObject({ code: 2 });
    expect(nope.stderr).toMatch(/mtr carg: unknown subcommand "nope" \(expected one of tools, single/);
  });

  describe('single → errors → export → eval against a local OpenAI-compatible server', () => {
    let server: FakeServer;
    const db = join(tmp.dir, 'flow.sqlite');
    let model: string[];
    beforeAll(async () => {
      server = await startFakeOpenAI({ respond: scriptedCarg(tools) });
      model = ['--base-url', server.url, '--model', 'fake-model', '--retries', '0'];
      const r = await runCli(['carg', 'tools', 'import', tmp.write('four.json', tools), '--db', db]);
      expect(r.code, r.stderr).toBe(0);
    });
    afterAll(() => server.close());

    it('single shows progress, stores verdicts and resumes where it stopped', async () => {
      const first = await runCli(['carg', 'single', '--db', db, '--count', '2', '--limit', '2', '--json', ...model]);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ job: 'single', tools: 4, done: 2, already_done: 0, samples: 8, accepted: 6 });
      expect(first.stderr).toMatch(/single: 2\/2 tools \(0 failed\)/);
      const second = await runCli(['carg', 'single', '--db', db, '--count', '2', '--json', ...model]);
      expect(JSON.parse(second.stdout)).toMatchObject({ done: 2, already_done: 2, samples: 16, accepted: 12 });
      const store = openDb(db);
      const verdicts = store.prepare(`SELECT verdicts FROM carg_samples WHERE kind = 'single' AND accepted = 0`).all() as { verdicts: string }[];
      store.close();
      expect(verdicts.map((v) => JSON.parse(v.verdicts).format.pass)).toEqual([false, false, false, false]);
    });

    it('multi, errors, export and eval print what they stored', async () => {
      const multi = await runCli(['carg', 'multi', '--db', db, '--turns', '2', '--tau', '0', '--group-size', '2', '--json', ...model]);
      expect(multi.code, multi.stderr).toBe(0);
      expect(JSON.parse(multi.stdout)).toMatchObject({ job: 'multi', done: 4, samples: 8, accepted: 8 });

      const errors = await runCli(['carg', 'errors', '--db', db, '--json', ...model]);
      expect(errors.code, errors.stderr).toBe(0);
      expect(JSON.parse(errors.stdout)).toMatchObject({ done: 4, failed: 0 });

      // through the one dataset folder writer: train/validation by tool, a manifest with counts by kind
      const out = join(tmp.dir, 'sft');
      const exp = await runCli(['carg', 'export', '--db', db, '--out', out, '--holdout', '0', '--kinds', 'single', '--val-ratio', '0', '--json']);
      expect(exp.code, exp.stderr).toBe(0);
      expect(JSON.parse(exp.stdout)).toEqual({
        out,
        rows: 12,
        format: 'openai',
        train: 12,
        validation: 0,
        by_kind: { single: { train: 12, validation: 0 } },
        files: { train: { file: 'train.jsonl', rows: 12 } },
      });
      const rows = readFileSync(join(out, 'train.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(rows[0].messages.map((m: any) => m.role)).toEqual(['system', 'user', 'assistant']);
      const split = await runCli(['carg', 'export', '--db', db, '--out', out, '--holdout', '0', '--format', 'sharegpt', '--val-ratio', '0.3']);
      expect(split.code, split.stderr).toBe(0);
      expect(split.stdout).toMatch(/^36 rows written to .*sft \(sharegpt\): \d+ train, \d+ validation\n$/);
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      expect(manifest).toMatchObject({ stage: 'simulator', format: 'sharegpt', holdout: { fraction: 0, tools_left_out: 0 }, split: { val_ratio: 0.3 } });
      const byKind = manifest.counts.by_kind as Record<string, { train: number; validation: number }>;
      expect(Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, v.train + v.validation]))).toEqual({ single: 12, multi: 8, error: 16 });
      expect(manifest.counts.validation).toBeGreaterThan(0);
      const toolOf = (row: any) => JSON.parse(row.conversations.at(-2).value).name as string;
      const names = (file: string) =>
        new Set(
          readFileSync(join(out, file), 'utf8')
            .trim()
            .split('\n')
            .map((l) => toolOf(JSON.parse(l))),
        );
      const inValidation = names('validation.jsonl');
      expect([...names('train.jsonl')].filter((n) => inValidation.has(n))).toEqual([]); // a tool's samples stay in one split
      expect(JSON.parse(readFileSync(join(out, 'dataset_info.json'), 'utf8'))).toHaveProperty('sft_train.columns', {
        messages: 'conversations',
        system: 'system',
      });

      // nothing to write is an error that says why, and leaves no folder
      const none = await runCli(['carg', 'export', '--db', db, '--out', join(tmp.dir, 'none'), '--holdout', '1']);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(
        /nothing to export \(E_EMPTY\): 0 rows, .*none left as it was; its 36 accepted samples all belong to held-out tools \(--holdout 1, 4 tools held out\)/,
      );
      expect(existsSync(join(tmp.dir, 'none'))).toBe(false);

      const ev = await runCli(['carg', 'eval', '--db', db, '--holdout', '1', '--per-tool', '1', ...model]);
      expect(ev.code, ev.stderr).toBe(0);
      const lines = ev.stdout.trim().split('\n');
      expect(lines.slice(-7)).toEqual([
        'Simulator fake-model',
        expect.stringMatching(/^Scenario\s+N\s+Format\s+Comp\s+Logic\s+Sem\s+Cons\s+Det\s+Help$/),
        expect.stringMatching(/^-+(\s+-+){8}$/),
        expect.stringMatching(/^error\s+4\s+100\.0\s+100\.0/),
        expect.stringMatching(/^multi\s+4\s+100\.0\s+100\.0/),
        expect.stringMatching(/^single\s+4\s+100\.0\s+100\.0\s+80\.0\s+90\.0\s+100\.0\s+60\.0\s+70\.0$/),
        expect.stringMatching(/^All\s+12\s+/),
      ]);
      const reliable = join(tmp.dir, 'reliable.json');
      const audit = await runCli(['carg', 'audit', '--db', db, '--min-reliability', '1', '--out', reliable, '--json', ...model]);
      expect(audit.code, audit.stderr).toBe(0);
      const a = JSON.parse(audit.stdout);
      expect(a).toMatchObject({ done: 4, kept: 1, reliability: { [tools[0]!.api_name]: 1 } });
      expect(JSON.parse(readFileSync(reliable, 'utf8')).map((t: any) => t.api_name)).toEqual([tools[0]!.api_name]);
      const again = await runCli(['carg', 'eval', '--db', db, '--holdout', '1', '--per-tool', '1', '--json', ...model]);
      expect(JSON.parse(again.stdout)).toMatchObject({
        already_done: 4,
        done: 0,
        table: [
          { scenario: 'error', cases: 4 },
          { scenario: 'multi', cases: 4 },
          { scenario: 'single', cases: 4 },
          { scenario: 'All', cases: 12 },
        ],
      });
    });
  });

  it('a run killed mid-way (SIGKILL) keeps whole tools only, and the re-run does the rest', async () => {
    const server = await startFakeOpenAI({ respond: scriptedCarg(tools), latencyMs: 150 });
    try {
      const db = join(tmp.dir, 'killed.sqlite');
      await runCli(['carg', 'tools', 'import', tmp.write('four-k.json', tools), '--db', db]);
      const model = ['--base-url', server.url, '--model', 'fake-model', '--retries', '0', '--concurrency', '1', '--count', '2'];
      const { child, done } = spawnCli(['carg', 'single', '--db', db, ...model]);
      const store = openDb(db);
      const jobs = () => (store.prepare('SELECT COUNT(*) AS n FROM carg_jobs').get() as { n: number }).n;
      while (jobs() < 1 && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGKILL');
      const ended = await done;
      expect(ended.signal, ended.stderr).toBe('SIGKILL');
      const kept = jobs();
      expect(kept).toBeLessThan(4);
      const orphans = store
        .prepare('SELECT COUNT(*) AS n FROM carg_samples s WHERE NOT EXISTS (SELECT 1 FROM carg_jobs j WHERE j.job = s.job AND j.tool_id = s.tool_id)')
        .get() as { n: number };
      expect(orphans.n).toBe(0);
      const again = await runCli(['carg', 'single', '--db', db, '--json', ...model]);
      expect(JSON.parse(again.stdout)).toMatchObject({ tools: 4, already_done: kept, done: 4 - kept, samples: 16 });
      store.close();
    } finally {
      await server.close();
    }
  });
});
