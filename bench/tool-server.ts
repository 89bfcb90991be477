// The tool server under load: the real `mtr serve tools` (Seal-Tools, actor cache in a temp store) in its own
// process, driven from this one by 64 keep-alive clients (autocannon) on loopback. Cases: /health (the routing
// floor: HTTP, Hono, a small JSON answer), pre-check-only calls (arguments that break the schema, answered with
// no model) and cache-hit calls (warmed with one call each against a local OpenAI-compatible server).
// On a shared machine requests/s moves with the load; the server's event-loop CPU per request does not, so it
// is reported beside it, and routing vs work is that CPU of /health vs the CPU of a call.
// Run alone: node --import tsx bench/tool-server.ts [--profile DIR] (the server with --cpu-prof: where each call case's time goes)
import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI } from '../fakes/openai-server.js';
import { summarizeProfile } from './cpu-profile.js';
import { instanceOf } from '../fakes/scripted-roles.js';
import { normalizeType } from '../src/schema/tool-convert.js';
import { ToolTemplateSchema, type ToolTemplate } from '../src/schema/tool.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const SEAL = join(ROOT, '../shared/datasets/tools/seal-tools/tool.jsonl');
const CONNECTIONS = 64;
const REQUESTS = 20_000;
const WARMUP = 2_000;
const ROUNDS = 3;
/** the goal of issue 17 for pre-check-only calls */
const GOAL_RPS = 10_000;

export interface ToolServerBenchRow {
  what: string;
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  /** the server's event-loop thread on a CPU, per request: what bounds requests/s on one free core */
  server_cpu_us: number;
  /** 1e6 / server_cpu_us: requests/s of the server with a core to itself */
  cpu_bound_rps: number;
  routing_share: string;
  note: string;
}

interface Request {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

/** Well-typed arguments for a Seal-Tools tool (what a good call sends). */
function goodArgs(tool: ToolTemplate): Record<string, unknown> {
  const values: Record<string, unknown> = { string: 'Paris', integer: 3, number: 2.5, boolean: true, array: ['a'], object: { k: 'v' } };
  return Object.fromEntries(Object.entries(tool.parameters).map(([k, v]) => [k, values[normalizeType(v.type as string) ?? 'string']]));
}

/** Arguments the pre-check rejects: a required parameter left out, else an object where the first parameter is not one. */
function badArgs(tool: ToolTemplate): Record<string, unknown> {
  const args = goodArgs(tool);
  const required = tool.required[0];
  if (required) delete args[required];
  else {
    const first = Object.keys(tool.parameters)[0];
    if (first) args[first] = { not: ['the', 'type'] };
  }
  return args;
}

const call = (tool: ToolTemplate, args: unknown): Request => ({
  method: 'POST',
  path: `/v1/tools/${encodeURIComponent(tool.api_name)}`,
  body: JSON.stringify(args),
});

/** The `source` of a 200 answer to a request (each request is checked before it is used under load; an unknown tool is a 404). */
async function sourceOf(url: string, r: Request): Promise<string> {
  const res = await fetch(url + r.path, { method: r.method, headers: { 'content-type': 'application/json' }, ...(r.body ? { body: r.body } : {}) });
  const source = ((await res.json()) as { source?: string }).source;
  return res.status === 200 && source ? source : `status ${res.status}`;
}

/** `mtr serve tools` in its own process; resolves with its URL once it listens. */
async function startServer(modelUrl: string, tmp: string, profileDir?: string): Promise<{ url: string; child: ChildProcess }> {
  const flags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const args = ['serve', 'tools', '--toolset', SEAL, '--base-url', modelUrl, '--model', 'fake-model', '--cache', join(tmp, 'cache.sqlite'), '--port', '0'];
  // the TypeScript through tsx every time (not dist/ when it happens to be fresh): runs compare the same code path
  const env = { ...process.env, MTR_NO_DIST: '1' };
  const child = spawn(process.execPath, [...flags, join(ROOT, 'bin/mtr.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  for await (const line of createInterface({ input: child.stdout! })) {
    const url = /^tool server on (\S+):/.exec(line)?.[1];
    if (url) return { url, child };
  }
  throw new Error(`mtr serve tools exited with ${child.exitCode} before listening`);
}

/** Nanoseconds the process's main thread (the event loop) has been on a CPU (Linux /proc). */
const mainThreadNs = (pid: number): number => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n); // the clock of V8's profile timestamps

/** `amount` requests; resolves with autocannon's result and the time from the start to the last response (µs). */
function load(url: string, requests: Request[], amount: number): Promise<{ result: autocannon.Result; window: [number, number] }> {
  const headers = { 'content-type': 'application/json' };
  // the top-level request too: autocannon sends it first on each connection before cycling through `requests`
  const first = requests[0]!;
  const from = nowUs();
  let last = from;
  return new Promise((resolve, reject) => {
    const run = autocannon(
      { url: url + first.path, ...first, headers, connections: CONNECTIONS, amount, requests: requests.map((r) => ({ ...r, headers })) },
      (e, result) => (e ? reject(e) : resolve({ result, window: [from, last] })),
    );
    // autocannon ends a run at its next one-second tick, so its own duration is no measure of a fixed amount
    run.on('response', () => {
      last = nowUs();
    });
  });
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  /** the server's event-loop CPU per request, ns */
  cpuNs: number;
  window: [number, number];
}

async function measure(what: string, url: string, pid: number, requests: Request[]): Promise<Sample> {
  await load(url, requests, WARMUP); // JIT, caches
  const before = mainThreadNs(pid);
  const { result: r, window } = await load(url, requests, REQUESTS);
  const cpuNs = (mainThreadNs(pid) - before) / r.requests.total;
  if (r.non2xx || r.errors || r.timeouts) throw new Error(`${what}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  return { rps: (r.requests.total * 1e6) / (window[1] - window[0]), p50: r.latency.p50, p99: r.latency.p99, cpuNs, window };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** One row from a case's rounds: the median of each column on its own (the machine's load moves between rounds). */
function rowOf(what: string, samples: Sample[], floorNs: number, note: string): ToolServerBenchRow {
  const cpuNs = median(samples.map((s) => s.cpuNs));
  return {
    what,
    requests: REQUESTS * samples.length,
    rps: Math.round(median(samples.map((s) => s.rps))),
    p50_ms: round(median(samples.map((s) => s.p50)), 2),
    p99_ms: round(median(samples.map((s) => s.p99)), 2),
    server_cpu_us: round(cpuNs / 1000),
    cpu_bound_rps: Math.round(1e9 / cpuNs),
    routing_share: `${Math.round((100 * floorNs) / cpuNs)}%`,
    note,
  };
}

/** Where the server's busy time went under one case's load (its main thread's profile, that window only). */
function printProfile(dir: string, what: string, window: [number, number]): void {
  const file = readdirSync(dir).find((f) => /^CPU\..*\.0\.\d+\.cpuprofile$/.test(f)); // thread 0: the event loop
  if (!file) throw new Error(`no main-thread profile in ${dir}`);
  const s = summarizeProfile(join(dir, file), (f) => f.functionName === 'call' && /tool-service\/service\.[jt]s$/.test(f.url), window);
  console.log(
    `   profile ${join(dir, file)}: ${s.busyMs.toFixed(0)} ms busy under ${what} load, ${(100 * s.under).toFixed(1)}% of it inside ToolService.call (the work), the rest routing`,
  );
  console.table(s.self.slice(0, 15).map(([where, share]) => ({ where, self: `${(100 * share).toFixed(1)}%` })));
}

/** `profile`: run the server with --cpu-prof into that folder, and print where each call case's time went. */
export async function benchToolServer(options: { profile?: string } = {}): Promise<ToolServerBenchRow[]> {
  const tools = readFileSync(SEAL, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => ToolTemplateSchema.parse(JSON.parse(l)));
  const startLoad = loadavg()[0]!;
  const tmp = mkdtempSync(join(tmpdir(), 'mtr-bench-tools-'));
  let modelCalls = 0;
  const fake = await startFakeOpenAI({
    respond: (req) => ({ content: JSON.stringify(instanceOf(req.response_format.json_schema.schema.anyOf[0], `simulated#${++modelCalls}`)) }),
  });
  const { url, child } = await startServer(fake.url, tmp, options.profile);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let profiled: [string, [number, number]][] = [];
  try {
    const pid = child.pid!;
    const keep = async (candidates: Request[], want: string, n: number): Promise<Request[]> => {
      const kept: Request[] = [];
      for (const r of candidates) if (kept.length < n && (await sourceOf(url, r)) === want) kept.push(r);
      return kept;
    };
    const health = [{ method: 'GET', path: '/health' } as const];
    const precheck = await keep(
      tools.map((t) => call(t, badArgs(t))),
      'precheck',
      200,
    );
    // one call each fills the cache (source "simulated"); the same calls are then answered from it
    const fresh = await keep(
      tools.map((t) => call(t, goodArgs(t))),
      'simulated',
      100,
    );
    const cached = await keep(fresh, 'cache', fresh.length);
    const cases = [
      ['GET /health', health, 'routing floor: HTTP + Hono + a small JSON answer'],
      ['pre-check-only call', precheck, `${precheck.length} Seal-Tools calls the schema rejects, no model; goal ≥ ${GOAL_RPS} req/s`],
      ['cache-hit call', cached, `${cached.length} Seal-Tools calls replayed from the actor cache (SQLite)`],
    ] as const;
    // the cases take turns, round after round, so a change of load falls on all of them alike
    const samples: Sample[][] = cases.map(() => []);
    for (let round = 0; round < (options.profile ? 1 : ROUNDS); round++)
      for (const [i, [what, requests]] of cases.entries()) samples[i]!.push(await measure(what, url, pid, [...requests]));
    profiled = cases.slice(1).map(([what], i) => [what, samples[i + 1]![0]!.window]);
    const floorNs = median(samples[0]!.map((s) => s.cpuNs));
    console.log(
      `   load average (1 min) ${startLoad.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end on ${cpus().length} cores; ${CONNECTIONS} connections, ${REQUESTS} requests a case and round after ${WARMUP} to warm up, medians of ${samples[0]!.length} rounds; ${modelCalls} model calls (the cache warm-up)`,
    );
    return cases.map(([what, , note], i) => rowOf(what, samples[i]!, floorNs, note));
  } finally {
    child.kill('SIGTERM'); // the server closes and exits, writing its CPU profile
    await exited;
    await fake.close();
    rmSync(tmp, { recursive: true, force: true });
    if (options.profile) for (const [what, window] of profiled) printProfile(options.profile, what, window);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--profile');
  console.table(await benchToolServer(at > 0 ? { profile: process.argv[at + 1]! } : {}));
}
