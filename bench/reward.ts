import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

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

/** Rounds of (TypeScript in a fresh process, Python), alternating which goes first; every figure is a median. */
const ROUNDS = 5;
/** Warm passes after the cold one in each TypeScript process (their median is the round's warm figure). */
const WARM_PASSES = 4;
const PASSES = resolve(process.cwd(), 'bench/reward-passes.ts');

interface Timing {
  ms: number;
  cpu_ms: number;
}
interface Round {
  cold: Timing;
  warm: Timing;
  python: Timing;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const medianOf = (rounds: readonly Round[], f: (r: Round) => number): number => median(rounds.map(f));
const ratio = (x: number): number => Number(x.toFixed(1));

/** One line of scores ("em f1") per pair, as numbers. */
const readScores = (file: string): number[][] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ').map(Number));

function tsRound(dir: string, r: number): { cold: Timing; warm: Timing; scores: number[][] } {
  const out = join(dir, `ts-${r}.txt`);
  const report = JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', PASSES, join(dir, 'pairs.jsonl'), out, String(WARM_PASSES)], { encoding: 'utf8' }),
  ) as { cold: Timing; warm: Timing[]; warm_identical: boolean };
  if (!report.warm_identical) throw new Error('reward bench: a warm pass scored differently from the cold one');
  const warm = { ms: median(report.warm.map((w) => w.ms)), cpu_ms: median(report.warm.map((w) => w.cpu_ms)) };
  return { cold: report.cold, warm, scores: readScores(out) };
}

function pythonRound(dir: string, r: number): { python: Timing; scores: number[][] } {
  const out = join(dir, `py-${r}.txt`);
  const report = JSON.parse(execFileSync('python3', [OFFICIAL, join(dir, 'pairs.jsonl'), out], { encoding: 'utf8' })) as {
    seconds: number;
    cpu_seconds: number;
  };
  return { python: { ms: report.seconds * 1000, cpu_ms: report.cpu_seconds * 1000 }, scores: readScores(out) };
}

/**
 * ROUNDS rounds on the same pairs, interleaved so that a busy machine slows both sides alike: the TypeScript
 * scorer in a fresh process — its first pass cold (JIT warm-up included), then WARM_PASSES warm ones (the steady
 * state of a long scoring run) — and the official Python scorer. Wall and CPU time of the scoring loops only;
 * each ratio is the median of the rounds' own ratios. Every EM and F1 of every round is compared with Python's:
 * any disagreement fails the bench.
 */
export async function benchReward(): Promise<Record<string, number | string>> {
  const pairs = buildPairs(golds());
  if (!hasPython()) return { pairs: pairs.length, python: 'python3 not found; skipped' };
  const dir = mkdtempSync(join(tmpdir(), 'mtr-bench-reward-'));
  try {
    writeFileSync(join(dir, 'pairs.jsonl'), `${pairs.map((p) => JSON.stringify(p)).join('\n')}\n`);
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // alternate which side goes first, so neither always meets the same moment of a changing load
      const py = r % 2 === 1 ? pythonRound(dir, r) : undefined;
      const ts = tsRound(dir, r);
      const { python, scores } = py ?? pythonRound(dir, r);
      if (scores.length !== pairs.length) throw new Error(`reward bench: Python scored ${scores.length} of ${pairs.length} pairs`);
      const disagreements = scores.filter(([em, f1], i) => em !== ts.scores[i]?.[0] || f1 !== ts.scores[i]?.[1]).length;
      if (disagreements > 0) throw new Error(`reward bench: ${disagreements} EM/F1 disagreements with the official Python scorer`);
      rounds.push({ cold: ts.cold, warm: ts.warm, python });
    }
    const over = (ts: (r: Round) => Timing, cpu: boolean) => ratio(medianOf(rounds, (r) => (cpu ? r.python.cpu_ms / ts(r).cpu_ms : r.python.ms / ts(r).ms)));
    const coldRatio = over((r) => r.cold, false);
    const warmRatio = over((r) => r.warm, false);
    return {
      pairs: pairs.length,
      rounds: ROUNDS,
      ts_cold_ms: Math.round(medianOf(rounds, (r) => r.cold.ms)),
      ts_cold_cpu_ms: Math.round(medianOf(rounds, (r) => r.cold.cpu_ms)),
      ts_warm_ms: Math.round(medianOf(rounds, (r) => r.warm.ms)),
      ts_warm_cpu_ms: Math.round(medianOf(rounds, (r) => r.warm.cpu_ms)),
      python_ms: Math.round(medianOf(rounds, (r) => r.python.ms)),
      python_cpu_ms: Math.round(medianOf(rounds, (r) => r.python.cpu_ms)),
      python_over_ts_cold: coldRatio,
      python_over_ts_warm: warmRatio,
      python_over_ts_cold_cpu: over((r) => r.cold, true),
      python_over_ts_warm_cpu: over((r) => r.warm, true),
      goal: `>= ${GOAL_RATIO}x wall: cold ${coldRatio >= GOAL_RATIO ? 'met' : 'not met'}, warm ${warmRatio >= GOAL_RATIO ? 'met' : 'not met'}`,
      disagreements: 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchReward();
  console.log(`reward bench: ${r.pairs} (prediction, gold) pairs, medians of ${r.rounds} interleaved rounds`);
  console.log(`  TypeScript cold: ${r.ts_cold_ms} ms wall, ${r.ts_cold_cpu_ms} ms CPU; warm: ${r.ts_warm_ms} ms wall, ${r.ts_warm_cpu_ms} ms CPU`);
  if (r.python_ms !== undefined)
    console.log(
      `  Python (official): ${r.python_ms} ms wall, ${r.python_cpu_ms} ms CPU; Python/TypeScript cold ${r.python_over_ts_cold}× wall, ${r.python_over_ts_cold_cpu}× CPU; warm ${r.python_over_ts_warm}× wall, ${r.python_over_ts_warm_cpu}× CPU (goal ${r.goal}); EM/F1 disagreements: 0`,
    );
  else console.log(`  Python: ${r.python}`);
}
