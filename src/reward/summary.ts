import { COMPONENTS } from './config.js';
import type { ScoreResult } from './score.js';

export interface Stat {
  mean: number;
  p50: number;
  p90: number;
}

/** Nearest-rank percentile of sorted values. */
export const percentile = (sorted: readonly number[], p: number): number => (sorted.length ? sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]! : 0);

function stat(values: number[]): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
  return { mean, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9) };
}

/** mean / p50 / p90 of the reward and of every component. */
export function summarize(results: readonly Pick<ScoreResult, 'reward' | 'components'>[]): Record<string, Stat> {
  const out: Record<string, Stat> = { reward: stat(results.map((r) => r.reward)) };
  for (const c of COMPONENTS) out[c] = stat(results.map((r) => r.components[c]));
  return out;
}

export function formatSummary(summary: Record<string, Stat>): string {
  const rows = Object.entries(summary).map(
    ([k, s]) => `${k.padEnd(12)}${s.mean.toFixed(4).padStart(8)}${s.p50.toFixed(4).padStart(8)}${s.p90.toFixed(4).padStart(8)}`,
  );
  return [`${'component'.padEnd(12)}${'mean'.padStart(8)}${'p50'.padStart(8)}${'p90'.padStart(8)}`, ...rows].join('\n');
}
