// Does `mtr validate` / `mtr export` beside a writing `mtr generate` stall its writes?
// A writer process writes traces through the store interface as generate does (a 'running' row at the start, the
// whole trace in one transaction at the end), paced like a run, timing every write; beside it run real `bin/mtr.js validate` / `export` processes on the same WAL store, or
// (control) a CPU burner, so store waits are told apart from the 2-core machine's CPU contention.
// Run: node --import tsx bench/store-contention.ts [seconds per phase, default 8]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadItems } from '../src/data/index.js';
import { openStore, type Store, TraceDraft } from '../src/store/index.js';
import { agentCall, goodSteps, TOOLS } from '../fakes/traces.js';

const BAMBOOGLE = join(fileURLToPath(new URL('.', import.meta.url)), '../../shared/datasets/bamboogle/bamboogle.jsonl');
const MTR = fileURLToPath(new URL('../bin/mtr.js', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

/** Bamboogle's items cloned under distinct ids: a run has one finished trace per item. */
const manyItems = async (n: number) => {
  const base = await loadItems(BAMBOOGLE, {});
  return Array.from({ length: n }, (_, i) => ({ ...base[i % base.length]!, id: `${base[i % base.length]!.id}-${i}` }));
};
const PER_PHASE = 4000;

const CALL = agentCall('bench');

/** Writes one trace as generate does (begin; tools, steps and calls held in a draft as they come; finish), timing each write in ms. */
async function writeTrace(store: Store, runId: number, item: Awaited<ReturnType<typeof loadItems>>[number], lat: number[]) {
  const timed = async <T>(fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const out = await fn();
    lat.push(performance.now() - t);
    return out;
  };
  const draft = new TraceDraft(await timed(() => store.traces.begin(runId, item.id)));
  draft.setTools(TOOLS, []);
  for (const s of goodSteps(item)) {
    draft.call(CALL);
    draft.step(s);
    await new Promise((r) => setTimeout(r, 2)); // the model's turn
  }
  await timed(() => store.traces.finish(draft.id, draft, { stopReason: 'answer', answer: goodSteps(item).at(-1)!.answer }));
}

async function writer(path: string, seconds: number, offset: number) {
  const items = (await manyItems(offset + PER_PHASE)).slice(offset);
  const store = await openStore(path);
  const runId = await store.runs.upsert('bench', 'bamboogle', { maxTurns: 6, format: 'text' });
  const lat: number[] = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < end && i < items.length; i++) {
    try {
      await writeTrace(store, runId, items[i]!, lat);
    } catch (e) {
      errors++;
      process.stderr.write(`${(e as Error).message}\n`);
    }
  }
  await store.close();
  lat.sort((a, b) => a - b);
  const q = (p: number) => Number(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(2));
  process.stdout.write(
    `${JSON.stringify({ writes: lat.length, p50_ms: q(0.5), p99_ms: q(0.99), p999_ms: q(0.999), max_ms: q(1), over_100ms: lat.filter((x) => x > 100).length, errors })}\n`,
  );
}

/** Repeats a side job until told to stop; each validate/export uses a new --f1-threshold, so every trace is checked and its verdicts written. */
function sideLoop(kind: 'none' | 'cpu' | 'validate' | 'export', path: string, out: string) {
  let stop = false;
  let runs = 0;
  let failures = 0;
  const seconds: number[] = [];
  const done = (async () => {
    if (kind === 'none') return;
    if (kind === 'cpu') {
      const burn = spawn(process.execPath, ['-e', 'for(;;){}']);
      while (!stop) await new Promise((r) => setTimeout(r, 50));
      burn.kill('SIGKILL');
      return;
    }
    while (!stop) {
      const t = (0.5 + (runs % 50) / 100).toFixed(2);
      const args =
        kind === 'validate'
          ? ['validate', '--db', path, '--f1-threshold', t]
          : ['export', '--db', path, '--out', out, '--stage', 'sft', '--format', 'jsonl', '--f1-threshold', t];
      const t0 = performance.now();
      const code = await new Promise<number | null>((r) => spawn(process.execPath, [MTR, ...args], { stdio: 'ignore' }).on('close', r));
      seconds.push((performance.now() - t0) / 1000);
      runs++;
      if (code !== 0) failures++;
    }
  })();
  return async () => {
    stop = true;
    await done;
    return { runs, failures, seconds: seconds.map((x) => x.toFixed(1)).join(' ') };
  };
}

async function main() {
  const seconds = Number(process.argv[2] ?? 8);
  const dir = mkdtempSync(join(tmpdir(), 'mtr-contention-'));
  const path = join(dir, 'store.sqlite');
  const items = await manyItems(2000 + 4 * PER_PHASE);
  const store = await openStore(path, { create: true });
  const runId = await store.runs.upsert('bench', 'bamboogle', { maxTurns: 6, format: 'text' });
  await store.items.add(runId, items);
  const seed: number[] = [];
  for (let i = 0; i < 2000; i++) await writeTrace(store, runId, items[i]!, seed); // what validate/export chew on
  await store.close();
  console.log(`store contention — ${seconds} s per phase, store of 2,000+ traces, WAL, busy_timeout 10 s`);
  const rows = [];
  for (const [phase, kind] of (['none', 'cpu', 'validate', 'export'] as const).entries()) {
    const stopSide = sideLoop(kind, path, join(dir, 'out'));
    // spawned, not spawnSync: the side loop's processes must keep being started while the writer runs
    const w = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--writer', path, String(seconds), String(2000 + phase * PER_PHASE)]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', () => resolve({ stdout, stderr }));
    });
    const side = await stopSide();
    const stats = JSON.parse(w.stdout.trim().split('\n').at(-1)!);
    rows.push({
      beside: kind,
      ...stats,
      side_runs: kind === 'none' || kind === 'cpu' ? '-' : side.runs,
      side_failures: kind === 'none' || kind === 'cpu' ? '-' : side.failures,
      side_s: side.seconds || '-',
    });
    if (w.stderr.trim()) console.log(`writer stderr (${kind}): ${w.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
  }
  console.table(rows);
}

if (process.argv[2] === '--writer') await writer(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
else await main();
