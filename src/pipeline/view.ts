import { z } from 'zod';
import type { CallMinute, TraceMinute, TracePage, TracePageQuery, TraceRow, TraceShape, TraceVerdict, VerdictConfig } from '../schema/browse.js';
import { type EvalTable, evalTable } from '../carg/eval.js';
import { CARG_SAMPLE_KINDS, CARG_TOOL_STATUSES, type SampleRow } from '../schema/carg.js';
import { packagePath } from '../paths.js';
import { asMtrError, MtrError } from '../schema/errors.js';
import type { ModelCall } from '../schema/model-call.js';
import type { Provenance, RunRecord } from '../schema/run.js';
import type { RunStatusWithFailures } from '../schema/status.js';
import type { TraceRecord } from '../schema/trace.js';
import { REASON_CODES } from '../schema/verdict.js';
import { DEFAULT_REWARD_CONFIG, type RewardConfig } from '../reward/config.js';
import { openStore, type Store, type TraceStatus } from '../store/index.js';
import { summarizeVerdicts, type ValidationReport } from '../validate/index.js';
import { StoreFields } from './fields/store.js';
import { parseConfig } from './job.js';
import { type Listen, listenOf, serverFields } from './serve-fields.js';
import { rewardConfigOf } from './reward-fields.js';
import { RunRewards, type RewardProgress, runDialect, scoredOrNull, type TraceReward, traceReward } from './view-rewards.js';
import { callsByStep, type StepCalls } from './view-steps.js';

export const DEFAULT_VIEW_PORT = 8789;
/** The most traces one page holds (a page is one SQL LIMIT). */
export const MAX_PAGE = 500;

export const ViewConfigSchema = z.object({
  db: StoreFields.db,
  ...serverFields(DEFAULT_VIEW_PORT, 'every route, pages included; a browser opens /?token=T once'),
  rewardConfig: z.string().optional().meta({
    placeholder: 'FILE',
    description: "JSON reward config, the one mtr score --config takes, for the rewards the viewer computes (default: mtr score's default)",
  }),
});

/** A run as the run list and run page show it. */
export interface RunView {
  id: number;
  key: string;
  dataset: string;
  config: unknown;
  status: RunStatusWithFailures;
  /** models and prompt files (with hashes) behind the run's calls */
  models: Provenance[];
  progress: { finished: number; failed: number; running: number; pending: number; per_minute: number | null; eta_minutes: number | null };
}

/** A run as a run select names it: read from the runs table alone (no counts: those read the whole run). */
export type RunName = Pick<RunView, 'id' | 'key' | 'dataset'>;

export interface TraceQuery {
  run?: number;
  dataset?: string;
  status?: TraceStatus;
  reason?: string;
  /** a check the trace failed (the report's "by check" rows) */
  check?: string;
  /** an invalid_arguments error type (the report's "by the pre-check's error type" rows) */
  error_type?: string;
  /** validated at all, passed every check, or failed one (the report's headline counts) */
  verdict?: TraceVerdict;
  q?: string;
  /** the check config whose verdicts give reasons (default: the run's latest; every run's latest without a run) */
  config?: string;
  /** a reward range (inclusive; needs `run`): traces whose computed reward is in it */
  reward?: { min: number; max: number };
  offset: number;
  limit: number;
}

/** How far the run's rewards are computed (a reward-filtered page holds only the traces scored so far). */
export type RewardsState = Omit<RewardProgress, 'histograms'>;

export interface TraceView {
  row: TraceRow;
  trace: TraceRecord;
  calls: ModelCall[];
  /** the calls grouped as they happened: ToolMaker's first, then each step's */
  by_step: StepCalls;
  config_hash: string | null;
  /** computed with the viewer's reward config; null for a trace that did not finish */
  reward: TraceReward | null;
}

export interface ReportView {
  run: number;
  config_hash: string | null;
  configs: VerdictConfig[];
  report: ValidationReport;
}

export interface PlotsView {
  run: number;
  shapes: TraceShape[];
  trace_minutes: TraceMinute[];
  call_minutes: CallMinute[];
  failures_by_code: RunStatusWithFailures['failures_by_code'];
  /** histograms of the reward and each component over the finished traces scored so far */
  rewards: RewardProgress & { config: string };
}

export interface CargView {
  tools: number;
  by_status: Record<string, number>;
  by_field: Record<string, Record<string, number>>;
  samples: Record<string, { total: number; accepted: number }>;
  /** per sample kind, a few samples with their judges' verdicts: the first rejected ones, then the first accepted */
  sample_verdicts: Record<string, Pick<SampleRow, 'id' | 'tool_id' | 'job' | 'round' | 'error_type' | 'input' | 'output' | 'verdicts' | 'accepted'>[]>;
  /** each carg eval job's table (GTM Table 1: per scenario, then All); audit jobs are audit fidelity's */
  evals: { job: string; model: string; cases: number; table: EvalTable }[];
}

/** Samples of each verdict (rejected, accepted) a CARG page shows per kind. */
export const SAMPLES_SHOWN = 3;

/** What the viewer's routes call: read-only queries over one open store. A missing run or trace is `undefined`. */
export interface ViewService {
  readonly location: string;
  runs(): Promise<RunView[]>;
  /** every run's id, key and dataset, cheap at any size (the trace list's run select asks it on every load) */
  runNames(): Promise<RunName[]>;
  run(id: number): Promise<RunView | undefined>;
  /** a page, the check config its reasons come from, and every reason code it can filter by */
  traces(
    query: TraceQuery,
  ): Promise<TracePage & { config_hash: string | null; reason_codes: readonly string[]; rewards?: RewardsState; items: (TraceRow & { reward?: number })[] }>;
  trace(id: number): Promise<TraceView | undefined>;
  report(run: number, config?: string): Promise<ReportView | undefined>;
  plots(run: number): Promise<PlotsView | undefined>;
  /** null when the store holds no CARG tools */
  carg(): Promise<CargView | null>;
  close(): Promise<void>;
}

/** Traces ended per minute over the last ten minutes with any, and when the pending ones should be done at that pace. */
export function pace(minutes: readonly TraceMinute[], pending: number): { per_minute: number | null; eta_minutes: number | null } {
  if (!minutes.length) return { per_minute: null, eta_minutes: null };
  const at = (m: string) => Date.parse(`${m}:00Z`) / 60_000;
  const last = at(minutes.at(-1)!.minute);
  const window = minutes.filter((m) => at(m.minute) > last - 10);
  const span = Math.max(1, last - at(window[0]!.minute) + 1);
  const perMinute = window.reduce((s, m) => s + m.finished + m.failed, 0) / span;
  return { per_minute: Math.round(perMinute * 100) / 100, eta_minutes: pending > 0 && perMinute > 0 ? Math.round((pending / perMinute) * 10) / 10 : null };
}

/** A store file as one clear line: missing, not an mtr store, locked, or unreadable. */
function openError(path: string, e: unknown): MtrError {
  const m = asMtrError(e, 'E_STORE', path).message;
  if (/no such store/.test(m)) return asMtrError(e, 'E_STORE');
  if (/no such table|not a database|file is encrypted/i.test(m))
    return new MtrError(
      'E_STORE',
      `${path}: expected an mtr store (made by mtr generate), got ${/no such table/.test(m) ? 'a SQLite database without its tables' : 'a file that is not one'}`,
    );
  if (/locked|busy/i.test(m)) return new MtrError('E_STORE', `${path}: the store is locked by another process (try again when it lets go)`);
  return new MtrError('E_STORE', `${path}: cannot read the store: ${m.replace(`${path}: `, '')}`);
}

/** Opens a store read only (never migrated, locked or written) and checks it answers as an mtr store. */
export async function openViewStore(path: string): Promise<Store> {
  let store: Store | undefined;
  try {
    store = await openStore(path, { readonly: true });
    await store.runs.list();
    await store.carg.countSamples();
    return store;
  } catch (e) {
    await store?.close().catch(() => {});
    throw openError(path, e);
  }
}

/** Which reward the viewer computes: a config and what to call it (the file, or mtr score's default). */
export interface ViewRewardOptions {
  config: RewardConfig;
  name: string;
}

/** Traces a reward-filtered page walks the other filters' matches by (one store page each). */
const WALK = 5000;

export function viewService(store: Store, rewardOptions: ViewRewardOptions = { config: DEFAULT_REWARD_CONFIG, name: 'default' }): ViewService {
  const latestConfig = async (run?: number): Promise<string | null> => (await store.verdicts.latestConfig(run)) ?? null;
  // a run's counts by status (index-only, milliseconds at 100k): what the whole-run aggregates below are kept by,
  // since a trace's steps, calls and tools are written when it ends or fails, and it counts as running from its start
  const statusStamp = async (run: number): Promise<string> => {
    const count = (status: TraceStatus) => store.traces.page({ runId: run, status, offset: 0, limit: 0 }).then((p) => p.total);
    return (await Promise.all([count('finished'), count('failed'), count('running')])).join('/');
  };
  // a run's status, models and pace read every trace and call of it (seconds at 100k): kept while its stamp holds
  // (items added with no trace begun yet show once one begins, as a resumed generate begins at once)
  const runViews = new Map<number, { stamp: string; view: RunView }>();
  const runView = async (r: RunRecord): Promise<RunView> => {
    const stamp = await statusStamp(r.id);
    const kept = runViews.get(r.id);
    if (kept?.stamp === stamp) return { ...kept.view, key: r.key, config: r.config };
    const view = await freshRunView(r);
    runViews.set(r.id, { stamp, view });
    return view;
  };
  const freshRunView = async (r: RunRecord): Promise<RunView> => {
    const [status, models, minutes] = await Promise.all([store.runs.status(r.id), store.modelCalls.provenance(r.id), store.traces.minutes(r.id)]);
    const pending = status.items_total - status.traces_finished - status.traces_failed - status.traces_running;
    return {
      id: r.id,
      key: r.key,
      dataset: r.dataset,
      config: r.config,
      status,
      models,
      progress: {
        finished: status.traces_finished,
        failed: status.traces_failed,
        running: status.traces_running,
        pending,
        ...pace(minutes, pending + status.traces_running),
      },
    };
  };
  const findRun = async (id: number) => (await store.runs.list()).find((r) => r.id === id);
  // a report read back from every verdict is the slow page (a second per 100k traces): kept while its config's
  // verdict count and last write are the same (validate only adds verdicts, each batch moves both)
  const reports = new Map<string, { stamp: string; report: ValidationReport }>();
  const rewards = new Map<number, RunRewards>();
  const walked = new Map<string, number[]>();
  const plotSeries = new Map<number, { stamp: string; value: Omit<PlotsView, 'run' | 'rewards'> }>();
  const rewardsOf = (r: RunRecord): RunRewards => {
    let rr = rewards.get(r.id);
    if (!rr) rewards.set(r.id, (rr = new RunRewards(store, r, rewardOptions.config)));
    return rr;
  };
  const row = async (id: number, config: string | null): Promise<TraceRow> =>
    (await store.traces.page({ traceId: id, ...(config !== null ? { configHash: config } : {}), offset: 0, limit: 1 })).items[0]!;
  return {
    location: store.location,
    runs: async () => Promise.all((await store.runs.list()).map(runView)),
    runNames: async () => (await store.runs.list()).map(({ id, key, dataset }) => ({ id, key, dataset })),
    run: async (id) => {
      const r = await findRun(id);
      return r && runView(r);
    },
    async traces(q) {
      const config = q.config ?? (await latestConfig(q.run));
      if (q.reward) return rewardPage(q, config);
      const page = await store.traces.page({ ...storeFilters(q, config), offset: q.offset, limit: Math.min(q.limit, MAX_PAGE) });
      return { ...page, config_hash: config, reason_codes: VIEW_REASONS };
    },
    async trace(id) {
      const trace = await store.traces.get(id);
      if (!trace) return undefined;
      const config = await latestConfig(trace.run_id);
      const [found, calls, run] = await Promise.all([row(id, config), store.modelCalls.list(id), findRun(trace.run_id)]);
      const reward = run ? scoredOrNull(() => traceReward(trace, found.gold, runDialect(run), rewardOptions.config)) : null;
      return { row: found, trace, calls, by_step: callsByStep(calls, trace.steps.length), config_hash: config, reward };
    },
    async report(run, config) {
      if (!(await findRun(run))) return undefined;
      const configs = await store.verdicts.configs(run);
      const hash = config ?? configs[0]?.config_hash ?? null;
      const written = configs.find((c) => c.config_hash === hash);
      const key = `${run}/${hash}`;
      const stamp = written ? `${written.traces}@${written.last_at}` : 'none';
      let cached = reports.get(key);
      if (cached?.stamp !== stamp) {
        cached = { stamp, report: summarizeVerdicts(written ? await store.verdicts.list(run, hash!) : []) };
        reports.set(key, cached);
      }
      return { run, config_hash: hash, configs, report: cached.report };
    },
    async plots(run) {
      const r = await findRun(run);
      if (!r) return undefined;
      // the series are whole-run aggregates (over a second at 100k traces) that change only when a trace ends (its
      // steps and calls are written then) or begins: kept while the run's counts by status are the same
      const stamp = await statusStamp(run);
      let series = plotSeries.get(run);
      if (series?.stamp !== stamp) {
        const [shapes, trace_minutes, call_minutes, status] = await Promise.all([
          store.traces.shapes(run),
          store.traces.minutes(run),
          store.modelCalls.minutes(run),
          store.runs.status(run),
        ]);
        series = { stamp, value: { shapes, trace_minutes, call_minutes, failures_by_code: status.failures_by_code } };
        plotSeries.set(run, series);
      }
      const progress = await rewardsOf(r).progress();
      return { run, ...series.value, rewards: { ...progress, config: rewardOptions.name } };
    },
    async carg() {
      const tools = await store.carg.listTools();
      if (!tools.length) return null;
      const by_status = Object.fromEntries(CARG_TOOL_STATUSES.map((s) => [s, tools.filter((t) => t.status === s).length]));
      const by_field: CargView['by_field'] = {};
      for (const t of tools) {
        const field = (by_field[t.field ?? '(none)'] ??= {});
        field[t.status] = (field[t.status] ?? 0) + 1;
      }
      const samples: CargView['samples'] = {};
      for (const kind of CARG_SAMPLE_KINDS)
        samples[kind] = {
          total: await store.carg.countSamples({ kinds: [kind] }),
          accepted: await store.carg.countSamples({ kinds: [kind], acceptedOnly: true }),
        };
      const sample_verdicts: CargView['sample_verdicts'] = {};
      for (const kind of CARG_SAMPLE_KINDS) {
        const all = await store.carg.listSamples({ kinds: [kind] });
        sample_verdicts[kind] = [...all.filter((x) => !x.accepted).slice(0, SAMPLES_SHOWN), ...all.filter((x) => x.accepted).slice(0, SAMPLES_SHOWN)].map(
          ({ id, tool_id, job, round, error_type, input, output, verdicts, accepted }) => ({
            id,
            tool_id,
            job,
            round,
            error_type,
            input,
            output,
            verdicts,
            accepted,
          }),
        );
      }
      const evals: CargView['evals'] = [];
      for (const j of await store.carg.listEvalJobs())
        if (!j.job.startsWith('audit:')) evals.push({ ...j, table: evalTable(await store.carg.listEvalCases(j.job)) });
      return { tools: tools.length, by_status, by_field, samples, sample_verdicts, evals };
    },
    close: () => store.close(),
  };

  /**
   * A page of the traces whose reward is in range, among those scored so far (the rest of the run's are being
   * scored): with no other filter, straight from the scores; with others, their matches walked WALK at a time.
   */
  async function rewardPage(q: TraceQuery, config: string | null) {
    const r = q.run !== undefined ? await findRun(q.run) : undefined;
    if (!r) throw new MtrError('E_INPUT', `run: expected an existing run for a reward filter, got ${q.run ?? 'none'}`, { field: 'run' });
    const rr = rewardsOf(r);
    const { histograms: _, ...state } = await rr.progress();
    const { min, max } = q.reward!;
    const inRange = (id: number) => {
      const x = rr.byTrace.get(id);
      return x !== undefined && x >= min && x <= max;
    };
    let ids: number[];
    const filters = storeFilters(q, config);
    const { runId: _run, configHash: _config, status, ...others } = filters;
    if (!Object.keys(others).length && (status ?? 'finished') === 'finished') ids = rr.ids().filter(inRange);
    else {
      // walked once per filter set while the scores stay the same (a second page of it is then cheap)
      const key = JSON.stringify([filters, min, max, rr.byTrace.size]);
      const hit = walked.get(key);
      if (hit) return answer(hit);
      ids = [];
      for (let offset = 0; ; offset += WALK) {
        const page = await store.traces.page({ ...filters, offset, limit: WALK });
        ids.push(...page.items.map((i) => i.trace_id).filter(inRange));
        if (page.items.length < WALK) break;
      }
      walked.clear(); // one filter set kept: the one being paged
      walked.set(key, ids);
    }
    return answer(ids);

    async function answer(ids: readonly number[]) {
      const rows = await Promise.all(ids.slice(q.offset, q.offset + Math.min(q.limit, MAX_PAGE)).map((id) => row(id, config)));
      return {
        total: ids.length,
        items: rows.map((x) => ({ ...x, reward: rr.byTrace.get(x.trace_id)! })),
        config_hash: config,
        reason_codes: VIEW_REASONS,
        rewards: state,
      };
    }
  }
}

/** The store's filters of a trace query (all but paging and the reward range, which the viewer computes). */
function storeFilters(q: TraceQuery, config: string | null): Omit<TracePageQuery, 'offset' | 'limit'> {
  const f: Omit<TracePageQuery, 'offset' | 'limit'> = {};
  if (q.run !== undefined) f.runId = q.run;
  if (q.dataset !== undefined) f.dataset = q.dataset;
  if (q.status !== undefined) f.status = q.status;
  if (q.reason !== undefined) f.reason = q.reason;
  if (q.check !== undefined) f.check = q.check;
  if (q.error_type !== undefined) f.errorType = q.error_type;
  if (q.verdict !== undefined) f.verdict = q.verdict;
  if (q.q !== undefined) f.q = q.q;
  if (config !== null) f.configHash = config;
  return f;
}

/** `--reward-config FILE`: read as `mtr score --config` reads its file, errors naming this flag. */
function rewardConfigOfFile(file: string): RewardConfig {
  try {
    return rewardConfigOf({ config: file });
  } catch (e) {
    const err = asMtrError(e, 'E_USAGE');
    throw new MtrError('E_USAGE', err.message.replace(/^--config:/, '--reward-config:'), { field: 'rewardConfig' }, { cause: e });
  }
}

/** Where the built pages are: the package's dist/web (`npm run build:web`, run by `npm ci`'s prepare). */
export const viewWebRoot = (): string => packagePath('dist', 'web');

/** The verdict reasons a trace list can filter by (the report's keys). */
export const VIEW_REASONS: readonly string[] = REASON_CODES;

export const ViewSummarySchema = z.object({ db: z.string(), runs: z.number().int() });
export type ViewSummary = z.output<typeof ViewSummarySchema>;

export interface ReadyView {
  service: ViewService;
  listen: Listen;
  summary: ViewSummary;
}

/**
 * `mtr view`'s setup: the store opened read only and checked, as a service for the viewer's routes. The face binds
 * the port (src/server/view-app.ts) and closes the service when it stops.
 */
export const viewJob = {
  name: 'view',
  description:
    'Look at a store in the browser: runs, traces (filtered by status, verdict reason, text), each trace step by step with its model calls, the validation report and plots. Read only; a JSON API under /api/',
  examples: ['mtr view --db runs/bamboogle.sqlite', 'mtr view --db runs/hotpot.sqlite --port 9000 --token s3cret'],
  config: ViewConfigSchema,
  summary: ViewSummarySchema,
  async run(input: z.input<typeof ViewConfigSchema>): Promise<ReadyView> {
    const c = parseConfig(ViewConfigSchema, input);
    const reward = c.rewardConfig === undefined ? DEFAULT_REWARD_CONFIG : rewardConfigOfFile(c.rewardConfig);
    const store = await openViewStore(c.db);
    const runs = (await store.runs.list()).length;
    const options = { config: reward, name: c.rewardConfig ?? 'default' };
    return { service: viewService(store, options), listen: listenOf(c), summary: { db: c.db, runs } };
  },
} as const;
