import { z } from 'zod';
import { aggregateFidelity, FidelityEntrySchema, fidelityVerdict } from '../reward/fidelity.js';
import { RunStatusWithFailuresSchema } from '../schema/status.js';
import { WorkerRecordSchema } from '../schema/worker.js';
import { StoreFields } from './fields/store.js';
import { defineJob, parseConfig } from './job.js';
import { openExistingStore, selectRuns } from './runs.js';

export const StatusConfigSchema = z.object({ ...StoreFields });

/** `mtr status --json`: scripts rely on these keys; add, never rename. */
export const StatusSummarySchema = RunStatusWithFailuresSchema.extend({
  /** `mtr generate --worker` processes on the run(s), in start order */
  workers: z.array(WorkerRecordSchema),
  /** `generate --audit-rate`: the audited calls of finished traces per tool and grounding mode, as `audit fidelity`'s fidelity.json entries */
  fidelity: z.array(FidelityEntrySchema),
  /** one line per entry: "wiki_search/none: simulated agrees with real on X% of N calls; …" */
  fidelity_verdicts: z.array(z.string()),
});
export type StatusSummary = z.infer<typeof StatusSummarySchema>;

export const statusJob = defineJob({
  name: 'status',
  description:
    'Totals of a store: items, finished and failed traces (failures by error code, with their attempts), duplicates (always 0), steps, model calls and tokens, per role; per model server: calls, errors, mean and p95 latency; workers (generate --worker): host, pid, items done, rate, last heartbeat; fidelity of the calls audited by generate --audit-rate, per tool and grounding mode, with its verdict.',
  examples: ['mtr status --db runs/bamboogle.sqlite', 'mtr status --db runs/bamboogle.sqlite --run bamboogle-qwen --json | jq .traces_finished'],
  config: StatusConfigSchema,
  summary: StatusSummarySchema,
  async run(input) {
    const o = parseConfig(StatusConfigSchema, input);
    const store = await openExistingStore(o.db);
    try {
      // an unknown run is an error, not a report of zeros
      const runId = o.run === undefined ? undefined : (await selectRuns(store, o.run))[0];
      const fidelity = aggregateFidelity(await store.audits.list(runId));
      return { ...(await store.runs.status(runId)), workers: await store.workers.list(runId), fidelity, fidelity_verdicts: fidelity.map(fidelityVerdict) };
    } finally {
      await store.close();
    }
  },
});
