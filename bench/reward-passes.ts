// The TypeScript side of one reward-bench round, in a fresh process so that its first pass is cold (JIT warm-up
// included) like a scoring run's: `node --import tsx bench/reward-passes.ts pairs.jsonl out.txt WARM`.
// Scores every pair once cold, then WARM more times (the steady state of a long run); writes "em f1" a line (the
// cold pass, Python's format) and prints {cold: {ms, cpu_ms}, warm: [{ms, cpu_ms}…], warm_identical}.
import { readFileSync, writeFileSync } from 'node:fs';
import { answerScores } from '../src/text/answer.js';

const [pairsFile, outFile, warmArg] = process.argv.slice(2);
if (!pairsFile || !outFile) throw new Error('usage: reward-passes.ts pairs.jsonl out.txt [warm passes]');
const pairs = readFileSync(pairsFile, 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as [string, string]);

// keep the scores Python keeps (EM and F1 per pair), as numbers: a scoring run consumes each result object
function score(): { em: Float64Array; f1: Float64Array } {
  const em = new Float64Array(pairs.length);
  const f1 = new Float64Array(pairs.length);
  pairs.forEach(([p, g], i) => {
    const s = answerScores(p, [g]);
    em[i] = s.em;
    f1[i] = s.f1;
  });
  return { em, f1 };
}

/** Wall and CPU milliseconds of one pass (CPU: the whole process, so JIT compiler and GC threads count). */
function timed<T>(run: () => T): { value: T; ms: number; cpu_ms: number } {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = run();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { value, ms, cpu_ms: (used.user + used.system) / 1000 };
}

const cold = timed(score);
const warm = Array.from({ length: Number(warmArg ?? 4) }, () => timed(score));
const same = (a: Float64Array, b: Float64Array) => a.every((x, i) => x === b[i]);
writeFileSync(outFile, Array.from(cold.value.em, (e, i) => `${e} ${cold.value.f1[i]}\n`).join(''));
console.log(
  JSON.stringify({
    cold: { ms: cold.ms, cpu_ms: cold.cpu_ms },
    warm: warm.map((w) => ({ ms: w.ms, cpu_ms: w.cpu_ms })),
    warm_identical: warm.every((w) => same(w.value.em, cold.value.em) && same(w.value.f1, cold.value.f1)),
  }),
);
