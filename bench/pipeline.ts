import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { generateTraces } from '../src/pipeline/generate.js';
import { MtrError } from '../src/schema/errors.js';

const DATASET = fileURLToPath(new URL('../../shared/datasets/hotpotqa/hotpot_dev_qa_500.jsonl', import.meta.url));
const LATENCY_MS = 50;
const CAPACITY = 512;
/** maker: classify + tools; agent: 3 turns; actor: 2 observations — the scripted policy's calls per trace */
const CALLS_PER_TRACE = 7;

export interface PipelineBenchRow {
  in_flight: number;
  traces: number;
  model_calls: number;
  elapsed_s: number;
  setup_s: number;
  /** Little's law: calls × server latency / wall time — how many calls the server was serving on average */
  achieved_call_concurrency: number;
  max_in_flight_seen: number;
  /** wall time of one trace's sequential call beyond the server's latency: client, graph, store */
  overhead_ms_per_call: number;
}

async function startServerProcess(limit: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./server-process.ts', import.meta.url)), DATASET, String(limit), String(LATENCY_MS), String(CAPACITY)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(((await lines.next()).value as string | undefined) ?? 'null');
  const { url } = (await next()) as { url: string };
  return {
    url,
    stats: async () => {
      child.stdin!.write('stats\n');
      return (await next()) as { received: number; maxInFlight: number };
    },
    close: () => child.stdin!.end('close\n'),
  };
}

/**
 * The whole generate pipeline (real ChatOpenAI over HTTP, LangGraph, SQLite) against a local server (its own
 * process) with a fixed latency, at 1, 16 and 256 traces in flight.
 */
export async function benchPipeline(levels = [1, 16, 256]): Promise<PipelineBenchRow[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'mtr-bench-'));
  const rows: PipelineBenchRow[] = [];
  try {
    for (const n of levels) {
      const traces = n === 1 ? 8 : n === 16 ? 64 : n;
      const server = await startServerProcess(traces);
      let s: Awaited<ReturnType<typeof generateTraces>>;
      let stats: Awaited<ReturnType<typeof server.stats>>;
      try {
        s = await generateTraces({
          dataset: DATASET,
          limit: traces,
          db: join(tmp, `bench-${rows.length}-${n}.sqlite`),
          concurrency: n,
          model: { baseUrl: server.url, model: 'bench' },
        });
        stats = await server.stats();
      } finally {
        server.close(); // a failed level must not leave the server process running
      }
      if (s.finished !== traces || s.model_calls !== traces * CALLS_PER_TRACE)
        throw new MtrError(
          'E_INTERNAL',
          `bench at ${n}: expected ${traces} traces and ${traces * CALLS_PER_TRACE} calls, got ${s.finished} and ${s.model_calls}`,
        );
      const waves = Math.ceil(traces / n);
      const tracesS = s.elapsed_s - s.setup_s; // dataset, store and model start-up are not per-call work
      const perCallMs = (tracesS * 1000) / (waves * CALLS_PER_TRACE);
      rows.push({
        in_flight: n,
        traces,
        model_calls: s.model_calls,
        elapsed_s: s.elapsed_s,
        setup_s: s.setup_s,
        achieved_call_concurrency: Math.round(((s.model_calls * LATENCY_MS) / (tracesS * 1000)) * 10) / 10,
        max_in_flight_seen: stats.maxInFlight,
        overhead_ms_per_call: Math.round((perCallMs - LATENCY_MS) * 10) / 10,
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.table(await benchPipeline());
}
