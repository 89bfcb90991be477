import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptedEvalModel } from '../../fakes/eval-agent.js';
import { loadItems } from '../../src/data/index.js';
import type { EvalMetrics } from '../../src/pipeline/eval.js';
import { runCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { freshPgDatabase, pgExec } from '../support/postgres.js';

const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const HOTPOT = join(SHARED_DATASETS, 'hotpotqa/hotpot_dev_qa_500.jsonl');
const tmp = mkdtempSync(join(tmpdir(), 'mtr-cli-eval-'));
const metricsOf = (dir: string): EvalMetrics => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));

describe('mtr eval (CLI)', () => {
  let server: FakeServer;
  beforeAll(async () => {
    const items = [...(await loadItems(BAMBOOGLE, { limit: 4 })), ...(await loadItems(HOTPOT, { limit: 4 }))];
    // every other item answered with its gold, the rest wrong
    const answers = new Map(items.map((it, i) => [it.question, i % 2 ? 'a wrong guess' : it.answers[0]!]));
    server = await startFakeOpenAI({ respond: scriptedEvalModel(items, answers) });
  });
  afterAll(() => server.close());

  it("prints MTR Table 2's layout, and --compare puts an earlier eval beside it (a column group each over the same datasets, – where an eval has none)", async () => {
    const base = join(tmp, 'with-search');
    const first = await runCli(['eval', '--dataset', `${BAMBOOGLE},${HOTPOT}`, '--limit', '4', '--base-url', server.url, '--out', base]);
    expect(first.stderr).not.toContain('Error');
    expect(first.code).toBe(0);
    const off = join(tmp, 'tools-off');
    const r = await runCli(['eval', '--dataset', BAMBOOGLE, '--limit', '4', '--tools-from', 'none', '--base-url', server.url, '--out', off, '--compare', base]);
    expect(r.code).toBe(0);
    const a = metricsOf(off);
    const b = metricsOf(base);
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => l.trimStart().startsWith(off));
    expect(at).toBeGreaterThan(-1);
    expect(lines[at]).toContain(base); // the group labels, this eval first
    const cells = (l: string) => l.trim().split(/\s{2,}/);
    expect(cells(lines[at + 1]!)).toEqual(['bamboogle', 'hotpotqa', 'Avg', 'bamboogle', 'hotpotqa', 'Avg']);
    const pct = (x: number) => (x * 100).toFixed(1);
    const row = (label: string) => cells(lines.find((l) => l.startsWith(label))!);
    expect(row('EM ')).toEqual(['EM', '50.0', '–', pct(a.mean.em), pct(b.datasets.bamboogle!.em), pct(b.datasets.hotpotqa!.em), pct(b.mean.em)]);
    expect(row('F1 ')).toEqual([
      'F1',
      pct(a.datasets.bamboogle!.f1),
      '–',
      pct(a.mean.f1),
      pct(b.datasets.bamboogle!.f1),
      pct(b.datasets.hotpotqa!.f1),
      pct(b.mean.f1),
    ]);
    expect(row('cover-EM').slice(1, 4)).toEqual([pct(a.datasets.bamboogle!.cover_em), '–', pct(a.mean.cover_em)]);
    expect(row('turns')).toEqual(['turns', '1.00', '–', '1.00', '2.00', '2.00', '2.00']);
    expect(row('calls')).toEqual(['calls', '0.00', '–', '0.00', '1.00', '1.00', '1.00']);
    expect(lines.filter((l) => /^(EM|F1|cover-EM|turns|calls) /.test(l))).toHaveLength(5);

    // one column group for one eval, and a dataset the compared eval lacks shows –
    const solo = await runCli(['eval', '--dataset', BAMBOOGLE, '--limit', '4', '--tools-from', 'none', '--base-url', server.url, '--out', off]);
    expect(solo.stdout).not.toContain(base);
    const reversed = await runCli(['eval', '--dataset', `${BAMBOOGLE},${HOTPOT}`, '--limit', '4', '--base-url', server.url, '--out', base, '--compare', off]);
    const em = cells(reversed.stdout.split('\n').find((l) => l.startsWith('EM '))!);
    expect(em).toEqual(['EM', pct(b.datasets.bamboogle!.em), pct(b.datasets.hotpotqa!.em), pct(b.mean.em), '50.0', '–', pct(a.mean.em)]);
  });

  it('a failed trace scores as no answer and is counted; when every trace fails, exit 1 (the scores say nothing)', async () => {
    const items = await loadItems(BAMBOOGLE, { limit: 3 });
    const scripted = scriptedEvalModel(items, new Map(items.map((it) => [it.question, it.answers[0]!])));
    let failing = (q: string) => q === items[1]!.question;
    const flaky = await startFakeOpenAI({
      respond: (req) => (failing(String(req.messages.find((m) => m.role === 'user')?.content)) ? { status: 500 } : scripted(req)),
    });
    try {
      const out = join(tmp, 'failing');
      const r = await runCli(['eval', '--dataset', BAMBOOGLE, '--limit', '3', '--tools-from', 'none', '--retries', '0', '--base-url', flaky.url, '--out', out]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('1 failed items scored as no answer; re-run the same command to retry them');
      const rows = readFileSync(join(out, 'predictions.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(rows.map((x) => [x.prediction, x.em])).toEqual([
        [items[0]!.answers[0], 1],
        ['', 0],
        [items[2]!.answers[0], 1],
      ]);
      failing = () => true;
      const all = await runCli([
        'eval',
        '--dataset',
        BAMBOOGLE,
        '--limit',
        '3',
        '--tools-from',
        'none',
        '--retries',
        '0',
        '--base-url',
        flaky.url,
        '--out',
        join(tmp, 'all-failing'),
      ]);
      expect(all.code).toBe(1);
      expect(all.stderr).toContain('mtr eval: every trace failed on bamboogle (E_EMPTY)');
    } finally {
      await flaky.close();
    }
  });

  it('--json prints the summary: the metrics as metrics.json holds them', async () => {
    const out = join(tmp, 'json');
    const r = await runCli(['eval', '--dataset', BAMBOOGLE, '--limit', '2', '--base-url', server.url, '--out', out, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.metrics).toEqual(metricsOf(out));
    expect(s.runs).toMatchObject([{ dataset: 'bamboogle', items: 2 }]);
  });

  it('MTR_DB names a PostgreSQL store for the eval runs: the same metrics as on SQLite, nothing in DIR/eval.sqlite, a second run resumes', async () => {
    const url = await freshPgDatabase('eval');
    const onSqlite = join(tmp, 'on-sqlite');
    const out = join(tmp, 'on-postgres');
    const args = ['eval', '--dataset', BAMBOOGLE, '--limit', '2', '--base-url', server.url, '--out', out, '--json'];
    expect((await runCli(args.map((a) => (a === out ? onSqlite : a)))).code).toBe(0);
    const r = await runCli(args, { MTR_DB: url });
    expect(r.code, r.stderr).toBe(0);
    expect(metricsOf(out)).toEqual(metricsOf(onSqlite));
    expect(existsSync(join(out, 'eval.sqlite'))).toBe(false);
    expect(await pgExec(url, `SELECT status, COUNT(*)::int AS n FROM traces GROUP BY status`)).toEqual([{ status: 'finished', n: 2 }]);
    const before = server.requests.length;
    const again = await runCli(args, { MTR_DB: url });
    expect(again.code).toBe(0);
    expect(server.requests.length).toBe(before); // resumed: every item already finished
    expect(metricsOf(out)).toEqual(metricsOf(onSqlite));
  });

  it('--tools real without a backend, a backend unused, no tools in the Search-R1 dialect: E_USAGE naming the flags, exit 2, nothing written', async () => {
    const out = join(tmp, 'no-backend');
    for (const tools of ['real', 'hybrid']) {
      const r = await runCli(['eval', '--dataset', BAMBOOGLE, '--tools', tools, '--base-url', server.url, '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--tools ${tools}: expected --index FILE or --retrieval-url URL`);
    }
    const simulated = await runCli(['eval', '--dataset', BAMBOOGLE, '--index', join(tmp, 'x.sqlite'), '--base-url', server.url, '--out', out]);
    expect(simulated.code).toBe(2);
    expect(simulated.stderr).toContain('--index: only used with --tools real or hybrid, got --tools simulated');
    const closedBook = await runCli(['eval', '--dataset', BAMBOOGLE, '--dialect', 'search-r1', '--tools-from', 'none', '--base-url', server.url, '--out', out]);
    expect(closedBook.code).toBe(2);
    expect(closedBook.stderr).toContain('--tools-from: expected maker or utility with --dialect search-r1');
    const twice = await runCli(['eval', '--dataset', `${BAMBOOGLE},${BAMBOOGLE}`, '--base-url', server.url, '--out', out]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('--dataset: two datasets are named bamboogle; evaluate them in two --out directories');
    expect(existsSync(out)).toBe(false);
  });

  it('an unknown dataset among several stops before any model call; --compare of a directory without metrics.json is a usage error', async () => {
    const before = server.requests.length;
    const r = await runCli(['eval', '--dataset', `${BAMBOOGLE},no-such-set`, '--base-url', server.url, '--out', join(tmp, 'unknown')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown dataset "no-such-set"');
    expect(server.requests.length).toBe(before);

    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    const c = await runCli(['eval', '--dataset', BAMBOOGLE, '--base-url', server.url, '--out', join(tmp, 'c'), '--compare', empty]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain(`--compare: expected an eval directory holding metrics.json (mtr eval --out ${empty}), got no ${join(empty, 'metrics.json')}`);
    expect(server.requests.length).toBe(before);
  });
});
