import { auditFidelityJob } from '../pipeline/audit-fidelity.js';
import type { RunnerProgress } from '../pipeline/runner.js';
import type { CommandGroup } from './command.js';
import { interruptSignal } from './interrupt.js';
import { jobCommand, jsonOption } from './job-command.js';

const pct = (x: number | null): string => (x === null ? '-' : `${Math.round(x * 100)}%`);
const ms = (x: number): string => `${Math.round(x)}`;

const COLUMNS = ['tool/mode', 'calls', 'failed', 'valid', 'support real', 'support sim', 'agree', 'contradict', 'leak', 'title ovl', 'F1', 'ms real', 'ms sim'];

/** `mtr audit fidelity`: a table (tool × mode rows), then one verdict line per row. */
const fidelityCommand = jobCommand(auditFidelityJob, {
  faceOptions: jsonOption('the entries and verdicts'),
  hooks(io) {
    const interrupt = interruptSignal(io, 'calls');
    // a terminal gets one redrawn line; logs a line at most every 5 s (the summary gives the final count)
    let last = performance.now();
    let shown = false;
    return {
      signal: interrupt.signal,
      onNotice: (line) => io.err(`mtr audit fidelity: ${line}\n`),
      onProgress(progress) {
        const p = progress as RunnerProgress; // the audit job's progress
        const now = performance.now();
        if (!io.isTTY && now - last < 5000) return;
        last = now;
        shown = true;
        io.err(`${io.isTTY ? '\r' : ''}audited ${p.done + p.failed}/${p.total} calls (${p.failed} failed)${io.isTTY ? '' : '\n'}`);
      },
      dispose() {
        if (io.isTTY && shown) io.err('\n');
        interrupt.dispose();
      },
    };
  },
  print(s, io, face) {
    if (face.json) io.out(`${JSON.stringify(s)}\n`);
    else {
      const rows = s.entries.map((e) => [
        `${e.tool}/${e.mode}`,
        String(e.calls),
        String(e.failed),
        pct(e.schema_valid),
        pct(e.support_real),
        pct(e.support_simulated),
        pct(e.agreement),
        pct(e.contradiction),
        pct(e.leak),
        pct(e.title_overlap),
        e.token_f1.toFixed(2),
        ms(e.latency_ms_real),
        ms(e.latency_ms_simulated),
      ]);
      const widths = COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
      io.out(
        `${[
          `${s.calls} calls from ${s.source}${s.skipped ? ` (${s.skipped} skipped)` : ''}`,
          '',
          line(COLUMNS),
          ...rows.map(line),
          '',
          ...s.verdicts,
          '',
          `wrote ${s.fidelity_file} and ${s.calls_file}`,
        ].join('\n')}\n`,
      );
    }
    return s.aborted ? 130 : 0;
  },
});

/** `mtr audit …`: how far simulated tools are from real ones. */
export default {
  name: 'audit',
  summary: 'Audit simulated tools against real ones: fidelity per tool and grounding mode',
  subcommands: { fidelity: fidelityCommand },
} satisfies CommandGroup;
