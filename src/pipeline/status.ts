import { z } from 'zod';
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
});
export type StatusSummary = z.infer<typeof StatusSummarySchema>;

export const statusJob = defineJob({
  name: 'status',
  description:
    'Totals of a store: items, finished and failed traces (failures by error code, with their attempts), duplicates (always 0), steps, model calls and tokens, per role; per model server: calls, errors, mean and p95 latency; workers (generate --worker): host, pid, items done, rate, last heartbeat.',
  examples: ['mtr status --db runs/bamboogle.sqlite', 'mtr status --db runs/bamboogle.sqlite --run bamboogle-qwen --json | jq .traces_finished'],
  config: StatusConfigSchema,
  summary: StatusSummarySchema,
  async run(input) {
    const o = parseConfig(StatusConfigSchema, input);
    const store = await openExistingStore(o.db);
    try {
      // an unknown run is an error, not a report of zeros
      const runId = o.run === undefined ? undefined : (await selectRuns(store, o.run))[0];
      return { ...(await store.runs.status(runId)), workers: await store.workers.list(runId) };
    } finally {
      await store.close();
    }
  },
});
