import { z } from 'zod';
import { isHeldOut } from '../../carg/split.js';
import type { CargSampleKind, CargToolRow } from '../../schema/carg.js';
import { MtrError } from '../../schema/errors.js';
import { type ToolTemplate, ToolTemplateSchema } from '../../schema/tool.js';
import { type CargRepository, openStore, type Store, storeExists } from '../../store/index.js';
import { runItems } from '../runner.js';

export const StageProgressSchema = z.object({ stage: z.string(), done: z.number().int(), failed: z.number().int(), total: z.number().int() });
export type StageProgress = z.output<typeof StageProgressSchema>;

/** What every per-tool stage reports (keys as `mtr carg … --json` prints them). */
export const StageSummarySchema = z.object({
  job: z.string(),
  /** tools the stage covers (accepted; eval: the held-out ones) */
  tools: z.number().int(),
  /** finished by an earlier run of the same job */
  already_done: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  /** every tool of the job whose last attempt failed (this run's and earlier runs' not finished since), with why */
  failures: z.array(z.object({ tool: z.string(), code: z.string(), error: z.string() })),
  /** stopped early (Ctrl-C): a re-run resumes */
  aborted: z.boolean(),
});
export type StageSummary = z.output<typeof StageSummarySchema>;

export interface StageRun {
  stage: string;
  job: string;
  /** `all` (generation: held-out tools get reference data too) or `eval` (only the held-out tools) */
  split: 'all' | 'eval';
  holdout: number;
  concurrency: number;
  limit?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: StageProgress) => void) | undefined;
}

/**
 * The resumable loop of every CARG stage, on the one runner: the stage's tools minus those whose work for `job`
 * is stored, each processed by `work` (which stores its result in one transaction). A tool's failure is stored
 * (and cleared once the tool is finished); an unreachable model or a failing store stops the stage, and nothing
 * it started still runs or writes when this returns or throws.
 */
export async function runCargStage(repo: CargRepository, s: StageRun, work: (tool: ToolTemplate, row: CargToolRow) => Promise<unknown>): Promise<StageSummary> {
  const tools = (await repo.listTools(['accepted'])).filter((t) => s.split === 'all' || isHeldOut(t.name, s.holdout));
  const finished = await repo.finishedTools(s.job);
  let todo = tools.filter((t) => !finished.has(t.id));
  if (s.limit !== undefined) todo = todo.slice(0, s.limit);
  s.onProgress?.({ stage: s.stage, done: 0, failed: 0, total: todo.length });
  const result = await runItems(todo, (row) => work(ToolTemplateSchema.parse(row.template), row), {
    concurrency: s.concurrency,
    ...(s.signal ? { signal: s.signal } : {}),
    onFailure: (row, error) => repo.saveFailure(s.job, row.id, { code: error.code, error: error.message }),
    onProgress: (p) => s.onProgress?.({ stage: s.stage, done: p.done, failed: p.failed, total: p.total }),
  });
  const names = new Map(tools.map((t) => [t.id, t.name]));
  const failures = (await repo.listFailures(s.job)).flatMap((f) =>
    names.has(f.tool_id) ? [{ tool: names.get(f.tool_id)!, code: f.code, error: f.error }] : [],
  );
  return {
    job: s.job,
    tools: tools.length,
    already_done: tools.filter((t) => finished.has(t.id)).length,
    done: result.done,
    failed: result.failed,
    failures,
    aborted: result.aborted,
  };
}

/**
 * The store of a CARG job, open for `fn` and closed after it (every stage awaits its work before returning).
 * Only `tools import` and `tools expand` make a new one; the other stages need the tools they imported.
 */
export async function withCargStore<T>(path: string, opts: { create: boolean }, fn: (store: Store) => Promise<T>): Promise<T> {
  if (!opts.create && !(await storeExists(path)))
    throw new MtrError('E_STORE', `${path}: no such store (import tools first: mtr carg tools import FILE… --db ${path})`);
  const store = await openStore(path, { create: opts.create });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** What a generation stage leaves in the store: its samples of `kind`, and how many were accepted. */
export const SampleCountsSchema = z.object({ samples: z.number().int(), accepted: z.number().int() });
export const sampleCounts = async (repo: CargRepository, kind: CargSampleKind): Promise<z.output<typeof SampleCountsSchema>> => ({
  samples: await repo.countSamples({ kinds: [kind] }),
  accepted: await repo.countSamples({ kinds: [kind], acceptedOnly: true }),
});
