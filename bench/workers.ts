// Workers' throughput: `mtr generate --worker` with 1, 2 and 4 worker processes on one PostgreSQL run, against the
// same scripted OpenAI-compatible server (its own process, a fixed latency a call). Items per second, and the ratio
// to one worker. PostgreSQL is yours: MTR_BENCH_PG names a database (each row is a run of its own in it, --run).
// Run alone: MTR_BENCH_PG=postgres://postgres@127.0.0.1:55432/mtr node --import tsx bench/workers.ts
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/store/index.js';

const DATASET = fileURLToPath(new URL('../../shared/datasets/bamboogle/bamboogle.jsonl', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/mtr.js', import.meta.url));
const ITEMS = 96;
const LATENCY_MS = 100;
/** traces in flight per worker: the same in every row, so the rows differ only in their number of workers */
const CONCURRENCY = 4;
export const WORKER_COUNTS = [1, 2, 4] as const;

export interface WorkersBenchRow {
  workers: number;
  items: number;
  /** from the first worker's registration to the last one's exit, by the database's clock (process start-up left out) */
  seconds: number;
  items_per_s: number;
  vs_one_worker: number;
  /** how far apart the workers registered (their start-up, on the same cores) */
  start_spread_s: number;
  /** items each worker finished */
  per_worker: string;
}

async function startServer(): Promise<{ url: string; close: () => void }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./server-process.ts', import.meta.url)), DATASET, String(ITEMS), String(LATENCY_MS), '512'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const first = await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next();
  return { url: (JSON.parse(first.value as string) as { url: string }).url, close: () => child.stdin!.end('close\n') };
}

/** One worker process; rejects with its stderr when it fails. */
function worker(db: string, run: string, baseUrl: string): Promise<number> {
  const args = [
    'generate',
    '--run',
    run,
    '--dataset',
    DATASET,
    '--limit',
    String(ITEMS),
    '--db',
    db,
    '--base-url',
    baseUrl,
    '--concurrency',
    String(CONCURRENCY),
  ];
  const child = spawn(process.execPath, [BIN, ...args, '--worker', '--json'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MTR_DB: '' } });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(0) : reject(new Error(`a worker exited with ${code}: ${err.slice(-2000)}`)))),
  );
}

export async function benchWorkers(db = process.env.MTR_BENCH_PG): Promise<WorkersBenchRow[]> {
  if (!db) throw new Error('MTR_BENCH_PG: expected a PostgreSQL database URL (postgres://postgres@127.0.0.1:55432/mtr), got none');
  const server = await startServer();
  const rows: WorkersBenchRow[] = [];
  try {
    for (const n of WORKER_COUNTS) {
      const run = `bench-workers-${n}-${Date.now()}`;
      await Promise.all(Array.from({ length: n }, () => worker(db, run, server.url)));
      const store = await openStore(db);
      try {
        const runId = (await store.runs.list()).find((r) => r.key === run)!.id;
        const finished = (await store.runs.status(runId)).traces_finished;
        if (finished !== ITEMS) throw new Error(`expected ${ITEMS} finished traces, got ${finished}`);
        const ws = await store.workers.list(runId);
        const started = ws.map((w) => Date.parse(w.started_at));
        const seconds = (Math.max(...ws.map((w) => Date.parse(w.last_heartbeat))) - Math.min(...started)) / 1000; // a stopped worker's last beat is its exit
        const rate = ITEMS / seconds;
        rows.push({
          workers: n,
          items: ITEMS,
          seconds: Math.round(seconds * 100) / 100,
          items_per_s: Math.round(rate * 100) / 100,
          vs_one_worker: rows[0] ? Math.round((rate / rows[0].items_per_s) * 100) / 100 : 1,
          start_spread_s: Math.round((Math.max(...started) - Math.min(...started)) / 10) / 100,
          per_worker: ws.map((w) => w.items_done).join(' + '),
        });
      } finally {
        await store.close();
      }
    }
  } finally {
    server.close();
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.table(await benchWorkers());
