// `mtr view` on a 100k-trace store: time per page of what the API answers (the view job's queries) — the run
// list, a run, a trace, the report, the plots and the trace list with and without filters, first and deep pages.
// Goal: under 200 ms a page, judged on the first (cold) request of each as well as on the median once warm.
// The store is made once through the store interface (items, traces with steps and calls, verdicts) and kept in
// the temp folder for later runs. Run alone: node --import tsx bench/view.ts [traces, default 100000]
import { existsSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadItems } from '../src/data/index.js';
import { openViewStore, type TraceQuery, type ViewService, viewService } from '../src/pipeline/view.js';
import type { Verdict } from '../src/schema/verdict.js';
import { openStore } from '../src/store/index.js';
import { agentCall, goodSteps, TOOLS } from '../fakes/traces.js';

const HOTPOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../shared/datasets/hotpotqa/hotpot_dev_qa_500.jsonl');
const CHECKS = ['grammar', 'calls', 'slots', 'answer'] as const;

/** Every trace gets a verdict per check; about 10% disagree on a slot, 7% answer wrong, 3% are malformed; 5% of traces fail. */
async function makeStore(path: string, n: number): Promise<void> {
  const base = await loadItems(HOTPOT, {});
  const items = Array.from({ length: n }, (_, i) => ({ ...base[i % base.length]!, id: `q${i}` }));
  const store = await openStore(path, { create: true });
  const run = await store.runs.upsert('bench-view', 'hotpotqa', {});
  await store.items.add(run, items);
  const call = agentCall('bench');
  let verdicts: Verdict[] = [];
  for (const [i, item] of items.entries()) {
    const id = await store.traces.begin(run, item.id);
    const pieces = { tools: TOOLS, rejected: [], steps: goodSteps(item), calls: [call, call, call] };
    if (i % 20 === 7) await store.traces.fail(id, pieces, { code: 'E_MODEL_OUTPUT', message: 'bad output' });
    else await store.traces.finish(id, pieces, { stopReason: 'answer', answer: item.answers[0] });
    const reason = (check: string) =>
      check === 'slots' && i % 10 === 3
        ? 'slot_disagreement'
        : check === 'answer' && i % 14 === 5
          ? 'wrong_answer'
          : check === 'grammar' && i % 33 === 1
            ? 'malformed'
            : null;
    for (const check of CHECKS) {
      const r = reason(check);
      verdicts.push({ trace_id: id, check, result: r ? { pass: false, reason: r as never, details: {} } : { pass: true } });
    }
    if (verdicts.length >= 4000) {
      await store.verdicts.write('bench', verdicts);
      verdicts = [];
    }
  }
  await store.verdicts.write('bench', verdicts);
  await store.close();
}

const quantile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const GOAL_MS = 200;
const r = (x: number) => Math.round(x * 10) / 10;
const met = (ms: number) => (ms < GOAL_MS ? 'yes' : 'NO');
type Row = Record<string, string | number>;

/**
 * A page asked 12 times: the first is cold (its rows and the viewer's caches not read yet), the next two warm the
 * page cache, the median and max are of the rest; CPU time is what a page costs when the machine is not shared.
 */
async function timed(what: string, ask: () => Promise<number>): Promise<Row> {
  const ms: number[] = [];
  const cpu: number[] = [];
  let total = 0;
  for (let i = 0; i < 12; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    total = await ask();
    ms.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  const p50 = quantile(ms.slice(2), 0.5);
  return {
    what,
    total,
    first_ms: r(ms[0]!),
    p50_ms: r(p50),
    max_ms: r(Math.max(...ms.slice(2))),
    cpu_p50_ms: r(quantile(cpu.slice(2), 0.5)),
    first_under_200ms: met(ms[0]!),
    p50_under_200ms: met(p50),
  };
}

/** The verdict on the goal, cold and warm: every page that misses it named, never averaged away. */
export function viewVerdict(rows: readonly Row[]): string[] {
  const misses = (key: string, ms: string) => rows.filter((x) => x[key] === 'NO').map((x) => `${x.what} (${x[ms]} ms)`);
  const [cold, warm] = [misses('first_under_200ms', 'first_ms'), misses('p50_under_200ms', 'p50_ms')];
  const line = (when: string, missed: string[]) =>
    missed.length
      ? `${when}: ${missed.length} of ${rows.length} pages miss ${GOAL_MS} ms — ${missed.join('; ')}`
      : `${when}: all ${rows.length} pages under ${GOAL_MS} ms`;
  return [line('first (cold) request', cold), line('median once warm', warm)];
}

export async function benchView(n = 100_000): Promise<Record<string, string | number>[]> {
  const path = join(tmpdir(), `mtr-bench-view-${n}.sqlite`);
  if (!existsSync(path)) {
    const t = performance.now();
    try {
      await makeStore(path, n);
    } catch (e) {
      rmSync(path, { force: true }); // a half-made store is not reused
      throw e;
    }
    console.log(`   made ${path} (${n} traces) in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  await (await openStore(path)).close(); // a store made by an older mtr gets this one's migrations (the viewer never migrates)
  const service = viewService(await openViewStore(path));
  const deep = n - 50;
  const cases: [string, Omit<TraceQuery, 'limit'>][] = [
    ['run, first page', { run: 1, offset: 0 }],
    ['run, page in the middle', { run: 1, offset: Math.floor(n / 2) }],
    ['run, last page', { run: 1, offset: deep }],
    ['status=failed', { run: 1, status: 'failed', offset: 0 }],
    ['status=failed, last page', { run: 1, status: 'failed', offset: Math.floor(n / 20) - 50 }],
    ['reason=slot_disagreement', { run: 1, reason: 'slot_disagreement', offset: 0 }],
    ['reason=slot_disagreement, last page', { run: 1, reason: 'slot_disagreement', offset: Math.floor(n / 10) - 50 }],
    ['q=which (text search)', { run: 1, q: 'which', offset: 0 }],
    ['q + reason + status', { run: 1, q: 'the', reason: 'wrong_answer', status: 'finished', offset: 0 }],
    ['dataset=hotpotqa, last page', { run: 1, dataset: 'hotpotqa', offset: deep }],
  ];
  const rows: Row[] = [];
  try {
    // the pages besides the list, each on a viewer of its own (so its first request finds none of the viewer's
    // caches filled by another page); the report's first read is of every verdict of the run
    const pages: [string, (v: ViewService) => Promise<number>][] = [
      ['runs (GET /api/runs)', async (v) => (await v.runs()).length],
      ['run names (GET /api/runs?brief=1: the trace list asks it)', async (v) => (await v.runNames()).length],
      ['a run (GET /api/runs/1)', async (v) => ((await v.run(1)) ? 1 : 0)],
      [`a trace (GET /api/traces/${Math.floor(n / 2)})`, async (v) => (await v.trace(Math.floor(n / 2)))!.calls.length],
      ['report (GET /api/report)', async (v) => (await v.report(1))!.report.traces],
    ];
    for (const [what, ask] of pages) {
      const own = viewService(await openViewStore(path));
      try {
        rows.push(await timed(what, () => ask(own)));
      } finally {
        await own.close();
      }
    }
    // rewards are computed from the traces (none are stored): in the background from the first ask, so pages
    // answer while it runs; timed here, pages with a reward range after it
    const t0 = performance.now();
    await service.plots(1);
    const first = performance.now() - t0;
    const during: number[] = [];
    for (;;) {
      const t = performance.now();
      const p = await service.traces({ run: 1, reward: { min: 0.5, max: 1 }, offset: 0, limit: 50 });
      during.push(performance.now() - t);
      if (p.rewards?.complete) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const done = performance.now() - t0;
    rows.push({
      what: `a reward-filtered page while the rewards are computed (background, ${r(done / 1000)} s)`,
      total: (await service.plots(1))!.rewards.scored,
      first_ms: r(during[0]!),
      p50_ms: r(quantile(during, 0.5)),
      max_ms: r(Math.max(...during)),
      cpu_p50_ms: '',
      first_under_200ms: met(during[0]!),
      p50_under_200ms: met(quantile(during, 0.5)),
    });
    const t1 = performance.now();
    await service.plots(1);
    const later = performance.now() - t1;
    // the plots' other series (status, shapes, per-minute counts) are whole-run aggregates: the first read is the cold one
    for (const [what, ms] of [
      ['plots, the first (starts the rewards)', first],
      ['plots, rewards done', later],
    ] as const)
      rows.push({ what, total: 1, first_ms: r(ms), p50_ms: r(ms), max_ms: r(ms), cpu_p50_ms: '', first_under_200ms: met(ms), p50_under_200ms: met(ms) });
    cases.push(
      ['reward 0.5–1', { run: 1, reward: { min: 0.5, max: 1 }, offset: 0 }],
      ['reward 0.5–1, last page', { run: 1, reward: { min: 0.5, max: 1 }, offset: Math.floor(n * 0.9) }],
      ['reward 0–0.5 + reason=wrong_answer', { run: 1, reward: { min: 0, max: 0.5 }, reason: 'wrong_answer', offset: 0 }],
    );
    for (const [what, q] of cases) rows.push(await timed(`traces: ${what}`, async () => (await service.traces({ ...q, limit: 50 })).total));
  } finally {
    await service.close();
  }
  console.log(
    `   load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${cpus().length} cores: wall time counts waiting for a core, CPU time does not`,
  );
  for (const line of viewVerdict(rows)) console.log(`   goal, ${line}`);
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.table(await benchView(Number(process.argv[2] ?? 100_000)));
