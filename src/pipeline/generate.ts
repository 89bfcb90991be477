import { buildTraceGraph, type TraceDeps } from '../../graphs/trace-graph.js';
import { type DownloadProgress, loadDataset, resolveDataset } from '../data/index.js';
import { loadPrompt } from '../prompts/index.js';
import { DEFAULT_DIALECT, type Dialect } from '../grammar/tags.js';
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode, MtrError } from '../schema/errors.js';
import { openStore, type Store, storeExists, TraceDraft } from '../store/index.js';
import type { ModelCall } from '../schema/model-call.js';
import type { RunRecord } from '../schema/run.js';
import { checkRealTools, openRealTools, type RealTool } from '../tools/real.js';
import { UTILITY_TOOLS } from '../tools/utility.js';
import {
  actorRouting,
  checkGenerateConfig,
  GENERATE_ROLES,
  GenerateJobConfig,
  resolveGenerateConfig,
  roleConfig,
  type GenerateConfig,
  type GenerateConfigInput,
  GenerateConfigSchema,
  runKey,
} from './config.js';
import { type RoleModels, type RoleModelSpec, roleModels } from './models.js';
import { defineJob, type JobHooks } from './job.js';
import { runItems } from './runner.js';
import { auditingSink, inlineAuditNotice } from './audit-inline.js';
import { loadRunToolset } from './toolset.js';
import { findRun, planItems } from './resume.js';
import { type ItemWork, ownWork, workerWork } from './worker.js';

export {
  GENERATE_ROLES,
  type GenerateConfig,
  type GenerateConfigInput,
  GenerateConfigSchema,
  GenerateJobConfig,
  type GenerateJobInput,
  resolveGenerateConfig,
} from './config.js';

export interface Progress {
  total: number;
  done: number;
  failed: number;
  tokens: number;
  calls: number;
  /** set while downloading the dataset */
  download?: DownloadProgress;
}

const count = z.number().int().nonnegative();

/** What `mtr generate` prints (and emits with --json): one run's counts, timings and failures. */
export const GenerateSummary = z.object({
  run_id: z.number().int(),
  run_key: z.string(),
  dataset: z.string(),
  items: count,
  already_finished: count,
  finished: count,
  failed: count,
  aborted: z.boolean(),
  model_calls: count,
  tokens_in: count,
  tokens_out: count,
  elapsed_s: z.number(),
  /** of elapsed_s, the time before the first trace started: dataset, store, model start-up */
  setup_s: z.number(),
  calls_per_s: z.number(),
  failures: z.array(z.object({ item: z.string(), code: z.enum(ERROR_CODES), error: z.string() })),
  /** failed items of earlier attempts tried again now (transient failure, attempts left, or --retry-failed) */
  retried: count,
  /** failed items left failed: a lasting failure or out of --max-item-attempts (--retry-failed retries them) */
  failed_kept: count,
  /** what the user should know before the summary (e.g. the run resumed although its server moved) */
  notices: z.array(z.string()),
  /** dataset records left out by --skip-bad, and the first SKIPPED_SHOWN of them with their reasons */
  records_skipped: count,
  skipped: z.array(z.object({ where: z.string(), reason: z.string() })),
  /** with --worker: its id in the store, and traces it dropped because another worker had finished the item */
  worker: z.object({ id: z.number().int(), lost: count }).optional(),
});
export type GenerateSummary = z.infer<typeof GenerateSummary>;

/** Skipped dataset records listed in the summary (all are counted). */
const SKIPPED_SHOWN = 20;

/**
 * `mtr generate` as a job: its flags (`GenerateJobConfig`) resolved to the run's config, then `generateTraces`.
 * From TypeScript: `await generateJob.run({ dataset: 'bamboogle', limit: 20, db: 'runs/b.sqlite', baseUrl: URL })`.
 */
export const generateJob = defineJob<typeof GenerateJobConfig, typeof GenerateSummary, JobHooks<Progress>>({
  name: 'generate',
  description:
    'Generate one trace per dataset item: ToolMaker designs tools, AutoAgent thinks and calls them, ToolActor simulates each result. Each trace is stored in SQLite, whole, as it ends (with its tools, steps and every model call); re-running the same command resumes.',
  examples: [
    'mtr generate --dataset bamboogle --limit 20 --db runs/bamboogle.sqlite',
    'mtr generate --dataset ../shared/datasets/hotpotqa/hotpot_dev_distractor_300.jsonl --base-url http://localhost:8000/v1 --model Qwen/Qwen2.5-7B-Instruct --concurrency 64 --db runs/hotpot.sqlite',
    'mtr generate --dataset musique --db runs/mq.sqlite --base-url http://localhost:8000/v1 --actor-base-url http://localhost:8001/v1 --actor-model gtm-1.5b',
    'mtr generate --dataset ../shared/datasets/hotpotqa/hotpot_dev_distractor_300.jsonl --db runs/hp.sqlite --grounding noisy --noise-start 0 --noise-end 0.75',
    'mtr generate --dataset hotpotqa --db runs/hp.sqlite --index corpus.sqlite --tool-routing wiki_search=hybrid:50',
    'mtr generate --dataset hotpotqa --dialect search-r1 --retrieval-url http://127.0.0.1:8000/retrieve --max-turns 4 --db runs/hp-sr1.sqlite',
  ],
  config: GenerateJobConfig,
  summary: GenerateSummary,
  run: (input, hooks) => generateTraces(resolveGenerateConfig(input), hooks),
});

/**
 * Generates one trace per dataset item into the store, from the run's (nested) config. Resumable: finished items
 * are skipped, work a killed run left unfinished is dropped and redone, and the store's unique index forbids a
 * second finished trace.
 */
export async function generateTraces(input: GenerateConfigInput, hooks: JobHooks<Progress> = {}): Promise<GenerateSummary> {
  const c = GenerateConfigSchema.parse(input);
  checkGenerateConfig(c);
  const started = performance.now();
  const progress: Progress = { total: 0, done: 0, failed: 0, tokens: 0, calls: 0 };
  const report = () => hooks.onProgress?.({ ...progress });

  const dataset = await resolveDataset(c.dataset, {
    ...(c.split ? { split: c.split } : {}),
    onProgress: (d) => {
      progress.download = d;
      report();
    },
  });
  delete progress.download;
  const { items, skipped } = await loadDataset(dataset.path, {
    dataset: dataset.name,
    offset: c.offset,
    ...(c.limit === undefined ? {} : { limit: c.limit }),
    maxQuestionChars: c.maxQuestionChars,
    maxRecordBytes: c.maxRecordBytes,
    skipBad: c.skipBad,
  });
  const agentPrompts =
    c.dialect === 'search-r1' ? ['search-r1'] : ['maker-classify', 'maker-tools', 'maker-repair', c.format === 'text' ? 'agent-text' : 'agent-native'];
  [...agentPrompts, 'actor', ...(c.grounding.mode === 'none' ? [] : ['actor-gold', 'actor-noisy'])].forEach((p) => loadPrompt(p));

  const routing = actorRouting(c);
  const notices: string[] = [];
  const toolset = c.toolset
    ? loadRunToolset(c.toolset, c.utilityTools, (line) => {
        notices.push(line);
        hooks.onNotice?.(line);
      })
    : undefined;
  const source = { ...dataset, toolset: toolset?.sha256 };
  const key = runKey(c, source);
  // an existing store is read now; a new one is created only once every dependency answered
  let store: Store | undefined = (await storeExists(c.db)) ? await openStore(c.db) : undefined;
  let realTools: Record<string, RealTool> = {};
  const summary: GenerateSummary = {
    run_id: 0,
    run_key: key,
    dataset: dataset.name,
    items: items.length,
    already_finished: 0,
    finished: 0,
    failed: 0,
    aborted: false,
    model_calls: 0,
    tokens_in: 0,
    tokens_out: 0,
    elapsed_s: 0,
    setup_s: 0,
    calls_per_s: 0,
    failures: [],
    retried: 0,
    failed_kept: 0,
    notices,
    records_skipped: skipped.length,
    skipped: skipped.slice(0, SKIPPED_SHOWN),
  };
  let models: RoleModels<(typeof GENERATE_ROLES)[number]> | undefined;
  let runId: number | undefined;
  let work: ItemWork | undefined;
  try {
    // Every dependency answers before anything is written: --index / --retrieval-url, then the model servers.
    realTools = openRealTools({ ...(c.index ? { index: c.index } : {}), ...(c.retrievalUrl ? { retrievalUrl: c.retrievalUrl } : {}) });
    await checkRealTools(realTools);
    const runs = store ? await store.runs.list() : [];
    const found = findRun(runs, c, source);
    const done =
      store && found.stored
        ? await store.traces.finishedItemIds(
            found.stored.key,
            items.map((i) => i.id),
          )
        : new Set<string>();
    if (done.size < items.length) models = await roleModels(roleSpecs(c));
    store ??= await openStore(c.db, { create: true });
    const db = store;
    if (found.stored && found.stored.key !== key) await db.runs.rename(found.stored.id, key); // a store whose keys held server addresses
    if (found.notice) {
      summary.notices.push(found.notice);
      hooks.onNotice?.(found.notice);
    }
    const auditNotice = inlineAuditNotice(c.auditRate, routing);
    if (auditNotice) {
      summary.notices.push(auditNotice);
      hooks.onNotice?.(auditNotice);
    }
    checkRunDialect(
      runs.find((r) => r.id === found.stored?.id),
      key,
      c.dialect,
    );
    runId = await db.runs.upsert(key, dataset.name, storedConfig(c));
    const run = runId;
    summary.run_id = runId;
    // workers share the run: no lock, and only expired leases' running traces are dropped (by the lease)
    if (!c.worker) {
      await db.runs.claim(runId);
      await db.traces.dropUnfinished(runId);
    }
    await db.items.add(runId, items);
    const plan = await planItems(db, runId, items, c);
    const pending = plan.run;
    summary.already_finished = plan.finished;
    summary.retried = plan.retried;
    summary.failed_kept = plan.kept.length;
    progress.total = items.length;
    progress.done = summary.already_finished;
    progress.failed = plan.kept.length; // settled: the bar reaches the total
    report();
    if (pending.length === 0 || !models) return finish(summary, started);

    // the schedule and hybrid warm-up follow the item's position in this run's item list
    const order = new Map(items.map((item, i) => [item.id, i]));
    const deps: TraceDeps = {
      maker: { model: models.roles.maker, utilityTools: c.utilityTools.map((n) => UTILITY_TOOLS[n]!), maxTools: c.maxTools, maxRepairs: c.maxRepairs },
      agent: { model: models.roles.agent, format: c.format, maxTurns: c.maxTurns, dialect: c.dialect },
      ...(toolset ? { toolset: toolset.tools } : {}),
      actor: {
        model: models.roles.actor,
        grounding: c.grounding,
        routing,
        realTools,
        ...(c.actorCache ? { cache: db.actorCache } : {}),
        ...(c.coerce ? { coerce: c.coerce } : {}),
        position: (item) => ({ index: order.get(item.id) ?? 0, total: items.length }),
      },
    };
    const graph = buildTraceGraph();
    summary.setup_s = Math.round((performance.now() - started) / 10) / 100;
    const drafts = new Map<string, TraceDraft>();
    const base = { done: progress.done, failed: progress.failed };
    work = c.worker ? await workerWork(db, run, items, c, hooks.signal) : ownWork(db, pending);
    const w = work;
    const lost = { finished: 0, failed: 0 };
    const inline = { rate: c.auditRate, runKey: key, realTools };
    if (w.workerId !== undefined) summary.worker = { id: w.workerId, lost: 0 };
    const result = await runItems(
      w.items,
      async (item) => {
        const draft = new TraceDraft(await db.traces.begin(run, item.id)); // a store error here is fatal (E_STORE)
        drafts.set(item.id, draft);
        const counted = {
          ...draft.sink,
          call: (call: ModelCall) => {
            draft.call(call);
            summary.model_calls++;
            summary.tokens_in += call.tokens_in;
            summary.tokens_out += call.tokens_out;
            progress.calls++;
            progress.tokens += call.tokens_in + call.tokens_out;
          },
        };
        // --audit-rate: sampled simulated searches also go to the real backend; the audits end with the trace
        const audits = c.auditRate > 0 ? auditingSink(counted, item, inline, (a) => draft.audits.push(a)) : undefined;
        const sink = audits?.sink ?? counted;
        // a fatal error leaves the trace 'running': this run's clean-up (or the next run) drops it and redoes the item
        const out = await graph.invoke(
          { item, maxTurns: c.maxTurns, dialect: c.dialect, toolsFrom: c.toolsFrom, toolset: toolset !== undefined },
          { configurable: { deps, sink }, recursionLimit: 4 * c.maxTurns + 10 },
        );
        await audits?.settled();
        const end = out.answer !== undefined ? { stopReason: 'answer' as const, answer: out.answer } : { stopReason: 'max_turns' as const };
        if (!(await w.finish(draft.id, draft, end))) lost.finished++;
        drafts.delete(item.id);
      },
      {
        concurrency: c.concurrency,
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onFailure: async (item, e) => {
          const draft = drafts.get(item.id);
          drafts.delete(item.id);
          if (draft && !(await w.fail(draft.id, draft, { code: e.code, message: e.message }))) return void lost.failed++;
          summary.failures.push({ item: item.id, code: e.code, error: e.message });
        },
        onProgress: (p) => {
          progress.done = base.done + p.done;
          progress.failed = base.failed + p.failed;
          report();
        },
      },
    );
    summary.finished = result.done - lost.finished;
    summary.failed = result.failed - lost.failed;
    if (summary.worker) summary.worker.lost = lost.finished + lost.failed;
    summary.aborted = result.aborted;
    return finish(summary, started);
  } finally {
    try {
      if (work) await work.close();
      if (store && runId !== undefined && !c.worker) {
        await store.traces.dropUnfinished(runId); // an aborted run leaves no half trace behind
        await store.runs.release(runId);
      }
    } finally {
      await store?.close(); // even when the store refuses the clean-up above
      for (const t of Object.values(realTools)) t.close?.();
      await models?.close();
    }
  }
}

/** Each role's model: the run's settings with the role's overrides, on its own queue (`roleConcurrency`, default `concurrency`). */
const roleSpecs = (c: GenerateConfig) =>
  Object.fromEntries(
    GENERATE_ROLES.map((role) => [role, { config: roleConfig(c, role), concurrency: c.roleConcurrency ?? c.concurrency, maxAttempts: c.maxAttempts }]),
  ) as Record<(typeof GENERATE_ROLES)[number], RoleModelSpec>;

/** The config as stored with the run: what was used, keys masked. */
const storedConfig = (c: GenerateConfig): GenerateConfig => ({
  ...c,
  model: { ...c.model, apiKey: c.model.apiKey ? '***' : undefined },
  roles: Object.fromEntries(Object.entries(c.roles).map(([r, m]) => [r, m?.apiKey ? { ...m, apiKey: '***' } : m])),
});

/** A run named with --run keeps the dialect it was made in: one run never mixes two kinds of trace text. */
function checkRunDialect(run: RunRecord | undefined, key: string, dialect: Dialect): void {
  const stored = (run?.config as { dialect?: Dialect } | undefined)?.dialect ?? DEFAULT_DIALECT;
  if (run && stored !== dialect)
    throw new MtrError('E_USAGE', `--dialect: run ${key} was generated with --dialect ${stored}, got ${dialect}; pass --dialect ${stored} or another --run`);
}

function finish(s: GenerateSummary, started: number): GenerateSummary {
  s.elapsed_s = Math.round((performance.now() - started) / 10) / 100;
  s.calls_per_s = s.elapsed_s > 0 ? Math.round((s.model_calls / s.elapsed_s) * 100) / 100 : 0;
  return s;
}

/** What each failure code means for the user, and what to change (the flag that relaxes it). */
const FAILURE_HINTS: Partial<Record<ErrorCode, string>> = {
  E_MODEL: 'the model server failed after --retries; re-run the command (transient failures are retried), or raise --retries / --timeout',
  E_MODEL_OUTPUT: 'the model never answered in the required shape; raise --max-attempts, try --structured json_object, or a stronger model',
  E_TOOL_SCHEMA: 'ToolMaker never wrote valid tools; raise --max-repairs, or a stronger --maker-model',
  E_INPUT: 'a real tool failed; check --index / --retrieval-url',
};

/** `E_MODEL_OUTPUT 20 (hint), E_MODEL 3 (hint)`: failures grouped by code, most first. */
export function failureCauses(failures: readonly { code: ErrorCode }[]): string {
  const counts = new Map<ErrorCode, number>();
  for (const f of failures) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${n} (${FAILURE_HINTS[code] ?? 'see mtr status'})`)
    .join(', ');
}

/** Nothing was generated: every trace tried now failed and none was finished before (the face exits 1). */
export const nothingGenerated = (s: GenerateSummary): boolean => s.failed > 0 && s.finished === 0 && s.already_finished === 0;
