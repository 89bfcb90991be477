import { jsonOption } from '../job-command.js';
import type { JobHooks } from '../../pipeline/job.js';
import type { StageProgress, StageSummary } from '../../pipeline/carg/stage.js';
import type { Io, OptionSpecs } from '../command.js';
import { interruptSignal } from '../interrupt.js';

/** The face-only flag of every `mtr carg` leaf. */
export const JSON_OPTION = jsonOption();

/**
 * A CARG job's hooks: progress on stderr (one redrawn line on a TTY, else a plain line at most every 2 s and at
 * the end), and Ctrl-C finishing the tools in flight (a second one quits at once; a re-run resumes).
 */
export function stageHooks(io: Io): JobHooks & { dispose: () => void } {
  const { signal, dispose } = interruptSignal(io, 'tools');
  let last = 0;
  return {
    signal,
    onProgress(progress) {
      const p = progress as StageProgress; // what every CARG job reports (JobHooks<StageProgress>)
      const now = performance.now();
      const settled = p.done + p.failed;
      const line = `${p.stage}: ${settled}/${p.total} tools (${p.failed} failed)`;
      if (io.isTTY) io.err(`\r${line}${settled === p.total ? '\n' : ''}`);
      else if (now - last >= 2000 || settled === p.total) {
        io.err(`${line}\n`);
        last = now;
      }
    },
    dispose,
  };
}

/** The exit code of a stage: 130 when stopped early, 1 when a tool failed in this run. */
export const stageExit = (s: StageSummary): number => (s.aborted ? 130 : s.failed ? 1 : 0);

/** A stage's summary line and its first failures (text); with --json, `json` is printed instead. */
export function printStage(io: Io, s: StageSummary, asJson: boolean, json: Record<string, unknown> = s): number {
  if (asJson) io.out(`${JSON.stringify(json)}\n`);
  else {
    io.out(
      `${s.job}: ${s.done} tools done, ${s.failed} failed, ${s.already_done} already done of ${s.tools}${s.aborted ? ' (stopped early; re-run to resume)' : ''}\n`,
    );
    for (const f of s.failures.slice(0, 5)) io.out(`  failed ${f.tool}: ${f.error}\n`);
  }
  return stageExit(s);
}
