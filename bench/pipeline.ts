import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { TraceState } from '../graphs/trace-graph.js';
import { buildNoopTraceGraph } from '../graphs/trace-graph-floor.js';
import { generateTraces } from '../src/pipeline/generate.js';
import { MtrError } from '../src/schema/errors.js';

const DATASET = fileURLToPath(new URL('../../shared/datasets/hotpotqa/hotpot_dev_qa_500.jsonl', import.meta.url));
const CAPACITY = 512;
/** maker: classify + tools; agent: 3 turns; actor: 2 observations — the scripted policy's calls per trace */
const CALLS_PER_TRACE = 7;

/** One measured level: traces in flight, how many traces, the server's latency per call. */
export interface PipelineLevel {
  in_flight: number;
  traces: number;
  latency_ms: number;
}

/** The old rows (50 ms at 1/16/256 in flight), then issue 17's goal: 500 traces at 256 in flight, 500 ms a call. */
export const LEVELS: PipelineLevel[] = [
  { in_flight: 1, traces: 8, latency_ms: 50 },
  { in_flight: 16, traces: 64, latency_ms: 50 },
  { in_flight: 256, traces: 256, latency_ms: 50 },
  { in_flight: 256, traces: 500, latency_ms: 500 },
];
export const GOAL_LEVEL = LEVELS[3]!;
/** issue 17 goal 1: achieved/ideal call concurrency at least this, mtr CPU per model call at most this */
export const GOAL = { of_ideal: 0.95, cpu_ms_per_call: 1.0 } as const;

export interface PipelineBenchRow extends PipelineLevel {
  model_calls: number;
  /** stored calls beyond the scripted ones: requests the client retried */
  retried: number;
  elapsed_s: number;
  setup_s: number;
  /** Little's law: calls × server latency / wall time — how many calls the server was serving on average */
  achieved_call_concurrency: number;
  max_in_flight_seen: number;
  /** wall time of one trace's sequential call beyond the server's latency: client, graph, store */
  overhead_ms_per_call: number;
  /** the same calls on `in_flight` lanes at the server's latency: waves × calls per trace × latency */
  ideal_s: number;
  /** ideal_s / the traces' wall time (setup excluded): 1 when mtr adds nothing */
  of_ideal: number;
  /** user+sys CPU of this (the generate) process per model call, store writes included; the server runs elsewhere */
  cpu_ms_per_call: number;
  /** the goal's level only: LangGraph alone, the same graph shape with no-op nodes (graphFloorMsPerCall) */
  langgraph_cpu_ms_per_call?: number;
}

async function startServerProcess(limit: number, latencyMs: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./server-process.ts', import.meta.url)), DATASET, String(limit), String(latencyMs), String(CAPACITY)],
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

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * The whole generate pipeline (the openai SDK over HTTP, LangGraph, SQLite) against a local server (its own
 * process) with a fixed latency, at each level.
 */
export async function benchPipeline(levels: readonly PipelineLevel[] = LEVELS): Promise<PipelineBenchRow[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'mtr-bench-'));
  const rows: PipelineBenchRow[] = [];
  try {
    for (const level of levels) {
      const { in_flight: n, traces, latency_ms: latency } = level;
      const server = await startServerProcess(traces, latency);
      let s: Awaited<ReturnType<typeof generateTraces>>;
      let stats: Awaited<ReturnType<typeof server.stats>>;
      let cpu: NodeJS.CpuUsage;
      try {
        const before = process.cpuUsage();
        s = await generateTraces({
          dataset: DATASET,
          limit: traces,
          db: join(tmp, `bench-${rows.length}-${n}.sqlite`),
          concurrency: n,
          model: { baseUrl: server.url, model: 'bench' },
        });
        cpu = process.cpuUsage(before);
        stats = await server.stats();
      } finally {
        server.close(); // a failed level must not leave the server process running
      }
      // model_calls also counts requests retried (a keep-alive socket the server closed as it was reused, say)
      if (s.finished !== traces || s.model_calls < traces * CALLS_PER_TRACE)
        throw new MtrError(
          'E_INTERNAL',
          `bench at ${n}: expected ${traces} traces and at least ${traces * CALLS_PER_TRACE} calls, got ${s.finished} and ${s.model_calls}`,
        );
      const waves = Math.ceil(traces / n);
      const tracesS = s.elapsed_s - s.setup_s; // dataset, store and model start-up are not per-call work
      const perCallMs = (tracesS * 1000) / (waves * CALLS_PER_TRACE);
      const idealS = (waves * CALLS_PER_TRACE * latency) / 1000;
      rows.push({
        ...level,
        model_calls: s.model_calls,
        retried: s.model_calls - traces * CALLS_PER_TRACE,
        elapsed_s: s.elapsed_s,
        setup_s: s.setup_s,
        achieved_call_concurrency: round((traces * CALLS_PER_TRACE * latency) / (tracesS * 1000), 1),
        max_in_flight_seen: stats.maxInFlight,
        overhead_ms_per_call: round(perCallMs - latency, 1),
        ideal_s: idealS,
        of_ideal: round(idealS / tracesS, 2),
        cpu_ms_per_call: round((cpu.user + cpu.system) / 1000 / s.model_calls, 2),
        ...(level === GOAL_LEVEL ? { langgraph_cpu_ms_per_call: await graphFloorMsPerCall() } : {}),
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

/**
 * LangGraph's own CPU per model call at the goal's concurrency: the trace graph's shape with no-op nodes
 * (graphs/trace-graph-floor.ts). No mtr code runs, so this is the floor under cpu_ms_per_call while the graph
 * stays on LangGraph.
 */
export async function graphFloorMsPerCall(traces = GOAL_LEVEL.traces, inFlight = GOAL_LEVEL.in_flight): Promise<number> {
  type S = typeof TraceState.State;
  const graph = buildNoopTraceGraph();
  const run = async () => {
    let next = 0;
    const lane = async () => {
      while (next < traces) {
        next++;
        await graph.invoke({ item: { id: String(next) } as S['item'], maxTurns: 6 }, { configurable: { deps: {}, sink: {} }, recursionLimit: 34 });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
  };
  await run(); // warm: the rows above ran after other levels, JIT-compiled
  const before = process.cpuUsage();
  await run();
  const cpu = process.cpuUsage(before);
  return round((cpu.user + cpu.system) / 1000 / (traces * CALLS_PER_TRACE), 2);
}

/** The goal's row beside the goal: `met` or the gap. */
export function goalLine(r: PipelineBenchRow): string {
  const ok = r.of_ideal >= GOAL.of_ideal && r.cpu_ms_per_call <= GOAL.cpu_ms_per_call;
  return `   goal (${r.traces} traces, ${r.in_flight} in flight, ${r.latency_ms} ms): ${r.of_ideal} of ideal (${round(r.elapsed_s - r.setup_s, 2)} s vs ${r.ideal_s} s; goal ≥ ${GOAL.of_ideal}), ${r.cpu_ms_per_call} ms CPU per call (goal ≤ ${GOAL.cpu_ms_per_call}) — ${ok ? 'met' : 'NOT met'}${r.langgraph_cpu_ms_per_call === undefined ? '' : `; LangGraph alone (same graph, no-op nodes): ${r.langgraph_cpu_ms_per_call} ms per call`}`;
}

// `node --import tsx bench/pipeline.ts [goal]`: every level, or only the goal's (e.g. under --cpu-prof)
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await benchPipeline(process.argv[2] === 'goal' ? [GOAL_LEVEL] : LEVELS);
  console.table(rows);
  for (const r of rows) if (r.latency_ms === GOAL_LEVEL.latency_ms) console.log(goalLine(r));
}
