import type { Progress } from '../pipeline/generate.js';
import type { Io } from './command.js';
import { interruptSignal } from './interrupt.js';

const fmtDuration = (s: number): string =>
  s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`
      : `${Math.round(s)}s`;
const fmtCount = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : String(n));

/** One progress line: counts, rate and ETA from the items finished in this process. */
export function progressLine(p: Progress, elapsedS: number, startDone: number, width = 24): string {
  if (p.download) {
    const { received, total } = p.download;
    return `downloading ${p.download.url} ${fmtCount(received)}B${total ? ` / ${fmtCount(total)}B` : ''}`;
  }
  const settled = p.done + p.failed;
  const frac = p.total ? settled / p.total : 0;
  const filled = Math.round(frac * width);
  const rate = elapsedS > 0 ? (settled - startDone) / elapsedS : 0;
  const eta = rate > 0 ? fmtDuration((p.total - settled) / rate) : '?';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${settled}/${p.total} traces (${p.failed} failed) | ${rate.toFixed(2)} traces/s | ${(elapsedS > 0 ? p.calls / elapsedS : 0).toFixed(1)} calls/s | ${fmtCount(p.tokens)} tokens | ETA ${eta}`;
}

/**
 * Progress on `io.err`: on a terminal one line redrawn in place; elsewhere (logs, CI, tests) a plain line at most
 * every `everyMs`, and the last one. `columns` is the terminal's width (the line is cut to fit).
 */
export function progressReporter(
  io: Io,
  everyMs = 5000,
  columns = (): number => process.stderr.columns || 120,
): { update: (p: Progress) => void; done: () => void } {
  const started = performance.now();
  let startDone: number | undefined;
  let last = 0;
  let lastLine = '';
  let shown = 0; // characters of the line on screen (a shorter line pads over the rest)
  return {
    update(p) {
      startDone ??= p.done + p.failed;
      const now = performance.now();
      const line = progressLine(p, (now - started) / 1000, startDone);
      if (io.isTTY) {
        const cut = line.slice(0, columns() - 1);
        io.err(`\r${cut.padEnd(shown)}`);
        shown = cut.length;
      } else if (now - last >= everyMs || p.done + p.failed === p.total) {
        if (line !== lastLine) io.err(`${line}\n`);
        last = now;
      }
      lastLine = line;
    },
    done() {
      if (io.isTTY && lastLine) io.err('\n');
      lastLine = ''; // idempotent: a second call writes nothing
      shown = 0;
    },
  };
}

/** The hooks of a job that runs traces (generate, eval): progress and notices on stderr, Ctrl-C finishing the traces in flight. */
export function traceRunHooks(io: Io) {
  const progress = progressReporter(io);
  const interrupt = interruptSignal(io, 'traces');
  return {
    signal: interrupt.signal,
    onProgress: (p: unknown) => progress.update(p as Progress), // generate's Progress, or eval's (a Progress and its dataset)
    onNotice: (line: string) => io.err(`${line}\n`),
    dispose() {
      progress.done();
      interrupt.dispose();
    },
  };
}
