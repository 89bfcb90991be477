import { type EvalMetrics, type EvalProgress, type EvalSummary, evalJob } from '../pipeline/eval.js';
import type { Io } from './command.js';
import { jobCommand, jsonOption } from './job-command.js';
import { traceRunHooks } from './progress.js';

const ROWS = [
  ['EM', 'em', true],
  ['F1', 'f1', true],
  ['cover-EM', 'cover_em', true],
  ['turns', 'turns', false],
  ['calls', 'calls', false],
] as const;

/**
 * MTR Table 2's layout: datasets as columns (+ Avg), metrics as rows; EM, F1 and cover-EM ×100 with one
 * decimal. Each eval (this one, then each --compare) is a column group; a dataset an eval lacks shows "–".
 */
export function evalTable(groups: readonly { label: string; metrics: EvalMetrics }[]): string {
  const datasets = [...new Set(groups.flatMap((g) => Object.keys(g.metrics.datasets)))];
  const columns = [...datasets, 'Avg'];
  const cell = (m: EvalMetrics, column: string, key: (typeof ROWS)[number][1], percent: boolean): string => {
    const scores = column === 'Avg' ? m.mean : m.datasets[column];
    if (!scores) return '–';
    return percent ? (scores[key] * 100).toFixed(1) : scores[key].toFixed(2);
  };
  const head = ['', ...groups.flatMap(() => columns)];
  const body = ROWS.map(([label, key, percent]) => [label, ...groups.flatMap((g) => columns.map((col) => cell(g.metrics, col, key, percent)))]);
  const widths = head.map((_, i) => Math.max(...[head, ...body].map((r) => r[i]!.length)));
  const span = (gi: number) => columns.reduce((w, _, ci) => w + widths[1 + gi * columns.length + ci]! + 2, -2);
  // a group's label is never cut: a long one widens the group's last column
  if (groups.length > 1) for (const [gi, g] of groups.entries()) widths[(gi + 1) * columns.length]! += Math.max(0, g.label.length - span(gi));
  const line = (r: readonly string[]) =>
    r
      .map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const groupLine = groups.length > 1 ? [''.padEnd(widths[0]!), ...groups.map((g, gi) => g.label.padEnd(span(gi)))].join('  ').trimEnd() : undefined;
  return `${[...(groupLine ? [groupLine] : []), line(head), ...body.map(line)].join('\n')}\n`;
}

function printText(s: EvalSummary, io: Io): void {
  for (const r of s.runs)
    io.out(`${r.dataset}: ${r.items} items (${r.finished} traces now, ${r.already_finished} already done, ${r.failed} failed), run ${r.run_key}\n`);
  if (s.aborted) return void io.out('stopped early; re-run the same command to resume (nothing written)\n');
  io.out(`\n${evalTable([{ label: s.out, metrics: s.metrics }, ...s.compare.map((c) => ({ label: c.dir, metrics: c.metrics }))])}`);
  if (s.failed > 0) io.out(`${s.failed} failed items scored as no answer; re-run the same command to retry them\n`);
  io.out(`wrote ${s.out}/predictions.jsonl and ${s.out}/metrics.json\n`);
}

export default jobCommand(evalJob, {
  faceOptions: jsonOption('the summary (metrics, runs, compared evals)'),
  hooks: traceRunHooks,
  print(s, io, face, config) {
    if (face.json) io.out(`${JSON.stringify(s)}\n`);
    else printText(s, io);
    if (s.aborted) return 130;
    if (s.nothing_generated.length) {
      io.err(
        `mtr eval: every trace failed on ${s.nothing_generated.join(', ')} (E_EMPTY): those scores say nothing about the model; see mtr status --db ${config.db ?? `${s.out}/eval.sqlite`}\n`,
      );
      return 1;
    }
    return 0;
  },
});
