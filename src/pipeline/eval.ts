import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { loadDataset, resolveDataset } from '../data/index.js';
import { toJsonl, writeAtomic } from '../export/write.js';
import { MtrError } from '../schema/errors.js';
import type { DatasetItem } from '../schema/item.js';
import type { TraceRecord } from '../schema/trace.js';
import { openStore } from '../store/index.js';
import { answerScores } from '../text/answer.js';
import { commaList } from '../text/list.js';
import {
  checkGenerateConfig,
  GENERATE_ROLES,
  type GenerateConfig,
  GenerateConfigSchema,
  GenerateJobConfig,
  type GenerateJobInput,
  resolveGenerateConfig,
} from './config.js';
import { ActorFields } from './fields/actor.js';
import { ModelFields, roleModelFields } from './fields/model.js';
import { storeDbField } from './fields/store.js';
import { toolsFromField } from './fields/tools-from.js';
import { toolsetField } from './fields/toolset.js';
import { generateTraces, nothingGenerated, type Progress } from './generate.js';
import { defineJob, type JobHooks, parseConfig } from './job.js';
import { loadRunToolset } from './toolset.js';

const flat = GenerateJobConfig.shape;
const MODEL_FIELDS = { ...ModelFields, ...roleModelFields(GENERATE_ROLES) };

/** `mtr eval`'s flags: generate's own field definitions wherever the meaning is the same. */
export const EvalConfigSchema = z.object({
  dataset: z.string().min(1).meta({
    placeholder: 'NAME|FILE[,…]',
    description: 'Datasets to evaluate on, comma-separated: registry names or local files, as mtr generate --dataset takes them',
  }),
  out: z.string().min(1).meta({ placeholder: 'DIR', description: 'Directory for predictions.jsonl, metrics.json and (by default) the store eval.sqlite' }),
  tools: z.enum(['simulated', 'real', 'hybrid']).default('simulated').meta({
    description:
      'Who answers wiki_search: ToolActor (simulated), the --index / --retrieval-url backend (real), or ToolActor for the first --warmup items, then the backend (hybrid)',
  }),
  warmup: z
    .number()
    .int()
    .min(0)
    .default(10)
    .meta({ placeholder: 'N', description: 'With --tools hybrid: items whose searches are simulated before the real backend takes over' }),
  index: ActorFields.index,
  retrievalUrl: ActorFields.retrievalUrl,
  toolsFrom: toolsFromField('utility'),
  toolset: toolsetField,
  dialect: flat.dialect,
  format: flat.format,
  maxTurns: flat.maxTurns,
  limit: flat.limit,
  offset: flat.offset,
  concurrency: flat.concurrency,
  db: storeDbField('Store of the eval runs (default: DIR/eval.sqlite); re-running the same command resumes').optional(),
  compare: z
    .string()
    .min(1)
    .optional()
    .meta({ placeholder: 'DIR[,DIR…]', description: 'Earlier evals (their --out directories) to show beside this one, a column group each' }),
  ...MODEL_FIELDS,
});
export type EvalInput = z.input<typeof EvalConfigSchema>;
type EvalConfig = z.output<typeof EvalConfigSchema>;

const share = z.number().min(0).max(1);
/** One dataset's (or the macro mean's) scores: EM, F1, cover-EM as shares in [0, 1], mean agent steps and tool calls per item. */
export const EvalScoresSchema = z.object({
  em: share,
  f1: share,
  cover_em: share,
  turns: z.number().min(0),
  calls: z.number().min(0),
  n: z.number().int().min(0),
});
export type EvalScores = z.infer<typeof EvalScoresSchema>;

/** metrics.json: per dataset, and `mean` over datasets (macro; its n is every item). */
export const EvalMetricsSchema = z.object({ datasets: z.record(z.string(), EvalScoresSchema), mean: EvalScoresSchema });
export type EvalMetrics = z.infer<typeof EvalMetricsSchema>;

/** One line of predictions.jsonl. */
export const PredictionSchema = z.object({
  dataset: z.string(),
  id: z.string(),
  question: z.string(),
  prediction: z.string(),
  golden_answers: z.array(z.string()),
  em: share,
  f1: share,
  cover_em: share,
  turns: z.number().int().min(0),
  calls: z.number().int().min(0),
});
export type Prediction = z.infer<typeof PredictionSchema>;

const count = z.number().int().nonnegative();

export const EvalSummarySchema = z.object({
  out: z.string(),
  /** what metrics.json holds (empty when the eval stopped early: nothing is written then) */
  metrics: EvalMetricsSchema,
  /** the generate run behind each dataset */
  runs: z.array(
    z.object({ dataset: z.string(), run_key: z.string(), items: count, finished: count, failed: count, already_finished: count, model_calls: count }),
  ),
  /** items whose trace failed (scored as no answer; a re-run retries them) */
  failed: count,
  /** a dataset where every trace failed now and none was finished before: its scores say nothing (the face exits 1) */
  nothing_generated: z.array(z.string()),
  /** the --compare evals, in the order given */
  compare: z.array(z.object({ dir: z.string(), metrics: EvalMetricsSchema })),
  aborted: z.boolean(),
});
export type EvalSummary = z.infer<typeof EvalSummarySchema>;

/** Progress of the whole eval: generate's counts summed over the datasets so far, and the one running now. */
export type EvalProgress = Progress & { dataset?: string };

export const evalJob = defineJob<typeof EvalConfigSchema, typeof EvalSummarySchema, JobHooks<EvalProgress>>({
  name: 'eval',
  description:
    "Evaluate an agent: run it over each dataset (generate's runner, resumable, no ToolMaker by default) with simulated or real tools (or a fixed tool set, --toolset), score each final answer against the gold answers (EM, F1, cover-EM; official normalisation, max over aliases), and write DIR/predictions.jsonl and DIR/metrics.json (per dataset and the macro mean).",
  examples: [
    'mtr eval --dataset bamboogle,hotpotqa --base-url http://localhost:8000/v1 --model Qwen/Qwen2.5-7B-Instruct --out evals/qwen7b',
    'mtr eval --dataset bamboogle --tools real --index corpus.sqlite --agent-base-url http://localhost:8000/v1 --out evals/sft --compare evals/base',
    'mtr eval --dataset bamboogle --tools-from none --base-url http://localhost:8000/v1 --out evals/no-tools',
    'mtr eval --dataset bamboogle --toolset ../shared/datasets/tools/tooleyes_tool_library.json --tools real --index corpus.sqlite --base-url http://localhost:8000/v1 --out evals/tooleyes',
  ],
  config: EvalConfigSchema,
  summary: EvalSummarySchema,
  async run(input, hooks = {}) {
    const c = parseConfig(EvalConfigSchema, input);
    checkBackends(c);
    const compare = await Promise.all(commaList(c.compare ?? '').map(async (dir) => ({ dir, metrics: await readMetrics(dir) })));
    const db = c.db ?? join(c.out, 'eval.sqlite');
    // --toolset is read here and again by each dataset's run: its skipped tools are told once
    const told = new Set<string>();
    const onNotice = (line: string) => {
      if (!told.has(line)) hooks.onNotice?.(line);
      told.add(line);
    };
    // every dataset is found and read before the first model call: a typo in the third name fails now
    const datasets: { config: GenerateConfig; name: string; items: DatasetItem[] }[] = [];
    for (const spec of commaList(c.dataset)) {
      const g = GenerateConfigSchema.parse(resolveGenerateConfig(generateInput(c, spec, db)));
      checkGenerateConfig(g);
      const resolved = await resolveDataset(spec, {
        onProgress: (download) => hooks.onProgress?.({ total: 0, done: 0, failed: 0, tokens: 0, calls: 0, download, dataset: spec }),
      });
      if (datasets.some((d) => d.name === resolved.name))
        throw new MtrError('E_USAGE', `--dataset: two datasets are named ${resolved.name}; evaluate them in two --out directories`);
      const { items } = await loadDataset(resolved.path, {
        dataset: resolved.name,
        offset: g.offset,
        ...(g.limit === undefined ? {} : { limit: g.limit }),
        maxQuestionChars: g.maxQuestionChars,
        maxRecordBytes: g.maxRecordBytes,
        skipBad: g.skipBad,
      });
      datasets.push({ config: g, name: resolved.name, items });
    }
    if (c.toolset) loadRunToolset(c.toolset, datasets[0]?.config.utilityTools ?? [], onNotice); // a bad file fails before anything is written
    await mkdir(c.out, { recursive: true });

    const summary: EvalSummary = { out: c.out, metrics: emptyMetrics(), runs: [], failed: 0, nothing_generated: [], compare, aborted: false };
    const before = { total: 0, done: 0, failed: 0, tokens: 0, calls: 0 };
    const predictions: (Prediction & { failed: boolean })[] = [];
    for (const d of datasets) {
      let last: Progress | undefined;
      const s = await generateTraces(d.config, {
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onNotice,
        onProgress: (p) => {
          last = p;
          hooks.onProgress?.({ ...p, ...sumProgress(before, p), dataset: d.name });
        },
      });
      if (last) Object.assign(before, sumProgress(before, last));
      summary.runs.push({
        dataset: d.name,
        run_key: s.run_key,
        items: s.items,
        finished: s.finished,
        failed: s.failed,
        already_finished: s.already_finished,
        model_calls: s.model_calls,
      });
      if (nothingGenerated(s)) summary.nothing_generated.push(d.name);
      if (s.aborted) return { ...summary, aborted: true };
      predictions.push(...(await scoreRun(db, s.run_id, d.name, d.items)));
    }
    summary.failed = predictions.filter((p) => p.failed).length;
    const rows = predictions.map(({ failed: _, ...p }) => p);
    summary.metrics = metricsOf(
      rows,
      datasets.map((d) => d.name),
    );
    writeAtomic(join(c.out, 'predictions.jsonl'), toJsonl(rows));
    writeAtomic(join(c.out, 'metrics.json'), `${JSON.stringify(summary.metrics, null, 2)}\n`);
    return summary;
  },
});

/** Real and hybrid tools need a backend; simulated ones must not be given one (it would go unused). */
function checkBackends(c: EvalConfig): void {
  const backend = c.index ?? c.retrievalUrl;
  if (c.tools !== 'simulated' && backend === undefined)
    throw new MtrError('E_USAGE', `--tools ${c.tools}: expected --index FILE or --retrieval-url URL (the real wiki_search backend)`, { field: 'tools' });
  if (c.tools === 'simulated' && backend !== undefined)
    throw new MtrError('E_USAGE', `${c.index ? '--index' : '--retrieval-url'}: only used with --tools real or hybrid, got --tools simulated`, {
      field: c.index ? 'index' : 'retrievalUrl',
    });
}

/** One dataset's generate flags: the eval's, wiki_search routed by --tools (generate's other defaults as they are). */
function generateInput(c: EvalConfig, dataset: string, db: string): GenerateJobInput {
  const models = Object.fromEntries(Object.keys(MODEL_FIELDS).flatMap((k) => (c[k as keyof EvalConfig] === undefined ? [] : [[k, c[k as keyof EvalConfig]]])));
  return {
    ...models,
    dataset,
    db,
    offset: c.offset,
    ...(c.limit === undefined ? {} : { limit: c.limit }),
    concurrency: c.concurrency,
    maxTurns: c.maxTurns,
    format: c.format,
    dialect: c.dialect,
    toolsFrom: c.toolsFrom,
    ...(c.toolset ? { toolset: c.toolset } : {}),
    ...(c.index ? { index: c.index } : {}),
    ...(c.retrievalUrl ? { retrievalUrl: c.retrievalUrl } : {}),
    ...(c.tools === 'simulated' ? {} : { toolRouting: `wiki_search=${c.tools === 'real' ? 'real' : `hybrid:${c.warmup}`}` }),
  };
}

const sumProgress = (a: Omit<Progress, 'download'>, b: Progress) => ({
  total: a.total + b.total,
  done: a.done + b.done,
  failed: a.failed + b.failed,
  tokens: a.tokens + b.tokens,
  calls: a.calls + b.calls,
});

/**
 * The run's traces read back and scored, in item order: the finished trace's answer ('' when it stopped at
 * max turns), or '' for an item whose traces all failed.
 */
async function scoreRun(db: string, runId: number, dataset: string, items: readonly DatasetItem[]): Promise<(Prediction & { failed: boolean })[]> {
  const store = await openStore(db);
  let traces: TraceRecord[];
  try {
    traces = await store.traces.list(runId);
  } finally {
    await store.close();
  }
  const byItem = new Map<string, TraceRecord>();
  for (const t of traces) if (byItem.get(t.item_id)?.status !== 'finished') byItem.set(t.item_id, t); // the finished one, else the last failed
  return items.map((item) => {
    const t = byItem.get(item.id);
    if (!t) throw new MtrError('E_INTERNAL', `eval: run ${runId} has no trace of item ${item.id} after generate`);
    const prediction = t.status === 'finished' ? (t.answer ?? '') : '';
    const s = answerScores(prediction, item.answers);
    return {
      dataset,
      id: item.id,
      question: item.question,
      prediction,
      golden_answers: item.answers,
      em: s.em,
      f1: s.f1,
      cover_em: s.cover_em,
      turns: t.steps.length,
      calls: t.steps.filter((step) => step.call).length,
      failed: t.status !== 'finished',
    };
  });
}

const SCORE_KEYS = ['em', 'f1', 'cover_em', 'turns', 'calls'] as const;

const emptyMetrics = (): EvalMetrics => ({ datasets: {}, mean: { em: 0, f1: 0, cover_em: 0, turns: 0, calls: 0, n: 0 } });

/** Means over each dataset's items, then the macro mean over datasets (each summed in order, so a reader can recompute them exactly). */
export function metricsOf(predictions: readonly Prediction[], datasets: readonly string[]): EvalMetrics {
  const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const per = Object.fromEntries(
    datasets.map((name) => {
      const rows = predictions.filter((p) => p.dataset === name);
      return [name, { ...Object.fromEntries(SCORE_KEYS.map((k) => [k, mean(rows.map((r) => r[k]))])), n: rows.length } as EvalScores];
    }),
  );
  const all = Object.values(per);
  return {
    datasets: per,
    mean: { ...Object.fromEntries(SCORE_KEYS.map((k) => [k, mean(all.map((r) => r[k]))])), n: predictions.length } as EvalScores,
  };
}

/** An earlier eval's metrics.json, for --compare. */
async function readMetrics(dir: string): Promise<EvalMetrics> {
  const file = join(dir, 'metrics.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new MtrError('E_USAGE', `--compare: expected an eval directory holding metrics.json (mtr eval --out ${dir}), got no ${file}`, { field: 'compare' });
  }
  let parsed: z.ZodSafeParseResult<EvalMetrics>;
  try {
    parsed = EvalMetricsSchema.safeParse(JSON.parse(text));
  } catch (e) {
    throw new MtrError('E_USAGE', `--compare: ${file}: expected JSON, got ${(e as Error).message}`, { field: 'compare' });
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MtrError('E_USAGE', `--compare: ${file}: ${issue.path.join('.') || 'metrics'}: ${issue.message}`, { field: 'compare' });
  }
  return parsed.data;
}
