// `npm run bench`: every benchmark, measured in one run on this machine. Ratios, not absolute claims.
// `npm run bench -- reward` (or pipeline, actor, tools, startup, view, workers; several): only the named parts, e.g. to measure one alone.
import { cpus } from 'node:os';
import { benchActor } from './actor.js';
import { benchPipeline, GOAL_LEVEL, goalLine } from './pipeline.js';
import { benchReward } from './reward.js';
import { benchStartup } from './startup.js';
import { benchToolServer } from './tool-server.js';
import { benchView } from './view.js';
import { benchWorkers, WORKER_COUNTS } from './workers.js';

const only = process.argv.slice(2);
const part = (name: string): boolean => only.length === 0 || only.includes(name);

console.log(`mtr benchmarks — node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'})\n`);

if (part('pipeline')) {
  console.log(
    `1. generate pipeline: the openai SDK → local OpenAI-compatible server (own process, capacity 512): 50 ms latency at 1/16/256 in flight; issue 17's goal at ${GOAL_LEVEL.traces} traces, ${GOAL_LEVEL.in_flight} in flight, ${GOAL_LEVEL.latency_ms} ms`,
  );
  const rows = await benchPipeline();
  console.table(rows);
  const base = rows[0]!;
  for (const r of rows.slice(1)) {
    if (r.latency_ms === GOAL_LEVEL.latency_ms) {
      console.log(goalLine(r));
      continue;
    }
    console.log(
      `   ${r.in_flight} in flight: ${(r.achieved_call_concurrency / base.achieved_call_concurrency).toFixed(1)}× the call concurrency of 1 in flight; overhead ${r.overhead_ms_per_call} ms/call vs ${base.overhead_ms_per_call}`,
    );
  }
}

if (part('reward')) {
  console.log('\n2. reward: EM/F1/cover-EM over 100k (prediction, gold) pairs');
  console.table(await benchReward());
}

if (part('actor')) {
  console.log('\n3. ToolActor: pre-check and cache lookup per call; BM25 query latency (largest corpus here, synthetic 100k)');
  const actor = await benchActor();
  console.table(actor);
  const bm25 = actor.filter((r) => r.what.startsWith('BM25'));
  if (bm25.length === 2) console.log(`   BM25 p50 at 100k passages is ${(bm25[1]!.p50_us / bm25[0]!.p50_us).toFixed(1)}× the p50 on the largest real corpus`);
}

if (part('tools')) {
  console.log(
    '\n4. tool server: `mtr serve tools` (Seal-Tools) in its own process, 64 keep-alive clients on loopback; goal ≥ 10k req/s for pre-check-only calls',
  );
  const rows = await benchToolServer();
  console.table(rows);
  const [health, pre] = [rows[0]!, rows[1]!];
  console.log(
    `   pre-check-only: ${pre.rps} req/s (goal 10000; ${(pre.rps / health.rps).toFixed(2)} of /health's ${health.rps} in the same run), ${pre.cpu_bound_rps} req/s on one free core by its CPU per request`,
  );
}

if (part('startup')) {
  console.log('\n5. start-up: the compiled CLI (npm ci builds dist/) vs tsx, median of 7 fresh processes; bare node is the floor');
  console.table(benchStartup());
}

if (part('view')) {
  console.log('\n6. mtr view: a page (50 traces) of GET /api/traces on a generated 100k-trace store, with and without filters (goal < 200 ms)');
  console.table(await benchView());
}

if (part('workers')) {
  console.log(`\n7. workers: generate --worker with ${WORKER_COUNTS.join(', ')} processes on one PostgreSQL run (MTR_BENCH_PG), the same scripted server`);
  if (process.env.MTR_BENCH_PG) console.table(await benchWorkers());
  else console.log('   skipped: set MTR_BENCH_PG to a PostgreSQL database URL (README, Many machines)');
}
