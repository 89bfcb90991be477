import { failureCauses, generateJob, type GenerateSummary, nothingGenerated } from '../pipeline/generate.js';
import type { Io } from './command.js';
import { jobCommand, jsonOption } from './job-command.js';
import { traceRunHooks } from './progress.js';

/** The summary as text: counts, then the first failures and skipped records, then what a re-run will do. */
function printText(s: GenerateSummary, io: Io, db: string): void {
  io.out(
    `run ${s.run_key} (#${s.run_id}) on ${s.dataset}: ${s.finished} traces finished, ${s.failed} failed, ${s.already_finished} already done of ${s.items}` +
      `${s.aborted ? ' (stopped early; re-run to resume)' : ''}\n` +
      `${s.model_calls} model calls, ${s.tokens_in} tokens in, ${s.tokens_out} tokens out, ${s.elapsed_s}s, ${s.calls_per_s} calls/s\n`,
  );
  for (const f of s.failures.slice(0, 5)) io.out(`  failed ${f.item}: ${f.error}\n`);
  if (s.records_skipped > 0)
    io.out(
      `${s.records_skipped} dataset records skipped (--skip-bad)${s.records_skipped > 5 ? ', the first 5' : ''}:\n${s.skipped
        .slice(0, 5)
        .map((r) => `  skipped ${r.reason}\n`)
        .join('')}`,
    );
  if (s.failures.length > 5) io.out(`  … and ${s.failures.length - 5} more (mtr status --db ${db})\n`);
  if (s.worker)
    io.out(
      `worker #${s.worker.id} (mtr status --db ${db} lists the run's workers)${s.worker.lost ? `; ${s.worker.lost} traces dropped: another worker had finished their items` : ''}\n`,
    );
  if (s.retried > 0) io.out(`${s.retried} failed items of earlier attempts retried\n`);
  if (s.failed_kept > 0)
    io.out(
      `${s.failed_kept} failed items left failed (lasting failure or --max-item-attempts reached; --retry-failed retries them; mtr status --db ${db} lists why)\n`,
    );
}

export default jobCommand(generateJob, {
  faceOptions: jsonOption('the final summary'),
  hooks: traceRunHooks,
  print(s, io, face, config) {
    if (face.json) io.out(`${JSON.stringify(s)}\n`);
    else printText(s, io, config.db);
    if (s.aborted) return 130;
    if (nothingGenerated(s)) {
      io.err(`mtr generate: nothing generated (E_EMPTY): all ${s.failed} traces failed; by cause: ${failureCauses(s.failures)}\n`);
      return 1;
    }
    return 0;
  },
});
