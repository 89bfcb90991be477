import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { answerScores } from '../src/text/answer.js';

const DATASETS = resolve(process.cwd(), '../shared/datasets');
const PAIRS = 100_000;

/** The official HotpotQA normalisation / EM / F1 in plain Python, timed around its scoring loop only. */
const OFFICIAL = resolve(process.cwd(), 'bench/official_qa.py');
/** Issue 17: TypeScript at least this many times faster than the official Python on the same pairs. */
export const GOAL_RATIO = 20;

function golds(): string[] {
  const out: string[] = [];
  for (const dir of ['bamboogle', 'hotpotqa', '2wiki', 'musique']) {
    for (const name of readdirSync(join(DATASETS, dir)).sort()) {
      const text = readFileSync(join(DATASETS, dir, name), 'utf8');
      const rows = (
        name.endsWith('.jsonl')
          ? text
              .split('\n')
              .filter((l) => l.trim())
              .map((l) => JSON.parse(l))
          : JSON.parse(text)
      ) as Record<string, unknown>[];
      for (const r of rows)
        for (const k of ['answer', 'answer_aliases', 'Answer', 'golden_answers']) {
          const v = r[k];
          if (typeof v === 'string') out.push(v);
          else if (Array.isArray(v)) out.push(...v.filter((x): x is string => typeof x === 'string'));
        }
    }
  }
  return out;
}

/** Deterministic perturbations: case, punctuation, articles, extra words, another gold. */
function buildPairs(all: readonly string[]): [string, string][] {
  const variants = [
    (g: string) => g,
    (g: string) => g.toUpperCase(),
    (g: string) => `${g}.`,
    (g: string) => `The ${g}`,
    (g: string) => `It was ${g}, I think`,
    (g: string) => g.replace(/ /g, ', '),
    (_g: string, o: string) => o,
    (g: string, o: string) => `${o} or ${g}`,
    (g: string) => g.split(' ').slice(0, 1).join(' '),
    () => 'yes',
  ];
  const pairs: [string, string][] = [];
  for (let i = 0; pairs.length < PAIRS; i++) {
    const gold = all[i % all.length]!;
    const other = all[(i * 7919 + 17) % all.length]!;
    pairs.push([variants[i % variants.length]!(gold, other), gold]);
  }
  return pairs;
}

function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Wall and CPU milliseconds of one call (CPU: the whole process, so JIT compiler and GC threads count). */
function timed<T>(run: () => T): { value: T; ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = run();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { value, ms, cpuMs: (used.user + used.system) / 1000 };
}

const ratio = (python: number, ts: number): number => Number((python / ts).toFixed(1));

/**
 * Score the pairs in TypeScript twice — cold (a fresh process: JIT warm-up included) and warm (the same pairs
 * again: the steady state of a long scoring run) — and once with the official Python, and compare every EM
 * and F1: any disagreement fails the bench. Wall and CPU time of the scoring loops only.
 */
export async function benchReward(): Promise<Record<string, number | string>> {
  const pairs = buildPairs(golds());
  // keep the scores Python keeps (EM and F1 per pair), as numbers: a scoring run consumes each result object
  const score = () => {
    const em = new Float64Array(pairs.length);
    const f1 = new Float64Array(pairs.length);
    pairs.forEach(([p, g], i) => {
      const s = answerScores(p, [g]);
      em[i] = s.em;
      f1[i] = s.f1;
    });
    return { em, f1 };
  };
  const cold = timed(score);
  const warm = timed(score);
  const js = cold.value;
  const result: Record<string, number | string> = {
    pairs: pairs.length,
    ts_cold_ms: Math.round(cold.ms),
    ts_cold_cpu_ms: Math.round(cold.cpuMs),
    ts_warm_ms: Math.round(warm.ms),
    ts_warm_cpu_ms: Math.round(warm.cpuMs),
  };
  if (!hasPython()) return { ...result, python: 'python3 not found; skipped' };
  const dir = mkdtempSync(join(tmpdir(), 'mtr-bench-reward-'));
  try {
    writeFileSync(join(dir, 'pairs.jsonl'), `${pairs.map((p) => JSON.stringify(p)).join('\n')}\n`);
    const report = JSON.parse(execFileSync('python3', [OFFICIAL, join(dir, 'pairs.jsonl'), join(dir, 'out.txt')], { encoding: 'utf8' })) as {
      seconds: number;
      cpu_seconds: number;
    };
    const py = readFileSync(join(dir, 'out.txt'), 'utf8').trim().split('\n');
    if (py.length !== pairs.length) throw new Error(`reward bench: Python scored ${py.length} of ${pairs.length} pairs`);
    const disagreements = py.filter((line, i) => {
      const [em, f1] = line.split(' ');
      return Number(em) !== js.em[i] || Number(f1) !== js.f1[i] || warm.value.em[i] !== js.em[i] || warm.value.f1[i] !== js.f1[i];
    });
    if (disagreements.length > 0) throw new Error(`reward bench: ${disagreements.length} EM/F1 disagreements with the official Python scorer`);
    const pyMs = report.seconds * 1000;
    const pyCpuMs = report.cpu_seconds * 1000;
    return {
      ...result,
      python_ms: Math.round(pyMs),
      python_cpu_ms: Math.round(pyCpuMs),
      python_over_ts_cold: ratio(pyMs, cold.ms),
      python_over_ts_warm: ratio(pyMs, warm.ms),
      python_over_ts_cold_cpu: ratio(pyCpuMs, cold.cpuMs),
      python_over_ts_warm_cpu: ratio(pyCpuMs, warm.cpuMs),
      goal: `>= ${GOAL_RATIO}x wall: cold ${pyMs / cold.ms >= GOAL_RATIO ? 'met' : 'not met'}, warm ${pyMs / warm.ms >= GOAL_RATIO ? 'met' : 'not met'}`,
      disagreements: 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchReward();
  console.log(`reward bench: ${r.pairs} (prediction, gold) pairs`);
  console.log(`  TypeScript cold: ${r.ts_cold_ms} ms wall, ${r.ts_cold_cpu_ms} ms CPU; warm: ${r.ts_warm_ms} ms wall, ${r.ts_warm_cpu_ms} ms CPU`);
  if (r.python_ms !== undefined)
    console.log(
      `  Python (official): ${r.python_ms} ms wall, ${r.python_cpu_ms} ms CPU; Python/TypeScript cold ${r.python_over_ts_cold}× wall, ${r.python_over_ts_cold_cpu}× CPU; warm ${r.python_over_ts_warm}× wall, ${r.python_over_ts_warm_cpu}× CPU (goal ${r.goal}); EM/F1 disagreements: 0`,
    );
  else console.log(`  Python: ${r.python}`);
}
