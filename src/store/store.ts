import type {
  CargToolPatch,
  CargToolRow,
  CargToolStatus,
  EvalCase,
  EvalCaseRow,
  EvalJob,
  FieldRow,
  JobFailure,
  JobStats,
  NewCargTool,
  NewField,
  NewSample,
  SampleFilter,
  SampleRow,
} from '../schema/carg.js';
import type { CallMinute, TraceMinute, TracePage, TracePageQuery, TraceShape, VerdictConfig } from '../schema/browse.js';
import type { CallAudit, CallAuditRecord } from '../schema/fidelity.js';
import type { DatasetItem } from '../schema/item.js';
import type { ModelCall } from '../schema/model-call.js';
import type { ActorCacheStats, FailedAttempts, Provenance, RunRecord, RunToolRow } from '../schema/run.js';
import type { RunStatusWithFailures } from '../schema/status.js';
import type { ActorCacheEntry, Classification, Observation, RejectedTool, RunTool, Step, StopReason, TraceRecord } from '../schema/trace.js';
import type { Verdict } from '../schema/verdict.js';
import type { LeaseRules, WorkerRecord } from '../schema/worker.js';

/**
 * The one store interface: a repository per record family. Jobs see the store only through it, so the same job
 * runs on SQLite (the embedded default, src/store/sqlite/) and on PostgreSQL (issue 19). Every method returns a
 * Promise; every call that writes is one transaction; every record read back is parsed by its zod schema
 * (src/schema/*), and a row that does not parse is an E_STORE error naming the table, the row and the field.
 */
export interface Store {
  /** where the store lives (a file path): for messages */
  readonly location: string;
  readonly runs: RunRepository;
  readonly items: ItemRepository;
  readonly traces: TraceRepository;
  readonly verdicts: VerdictRepository;
  readonly modelCalls: ModelCallRepository;
  readonly actorCache: ActorCacheRepository;
  readonly carg: CargRepository;
  readonly workers: WorkerRepository;
  readonly audits: AuditRepository;
  close(): Promise<void>;
}

export interface RunRepository {
  /** A run is one (dataset, configuration) pair: the same key finds the same run; the stored config becomes this one. Returns its id. */
  upsert(key: string, dataset: string, config: unknown): Promise<number>;
  /** Gives a run its current key (a run stored under an older key is adopted). */
  rename(runId: number, key: string): Promise<void>;
  /** Runs in the store, oldest first (what `--run` picks from). */
  list(): Promise<RunRecord[]>;
  /** One process works on a run at a time; a lock held by a dead process is taken over. E_STORE when a live one holds it. */
  claim(runId: number, pid?: number): Promise<void>;
  release(runId: number, pid?: number): Promise<void>;
  /** Per item that failed and has no finished trace: its failed traces and last error code. */
  failedAttempts(runId: number): Promise<Map<string, FailedAttempts>>;
  /** Totals over one run, or over every run when `runId` is left out. */
  status(runId?: number): Promise<RunStatusWithFailures>;
  /**
   * The accepted tools of the store's traces, in trace order: of one run (or all), of one origin (or any), of
   * finished traces only (or any status). The one reader for `serve tools --from-run` and `carg tools import`.
   */
  tools(filter?: { runId?: number; origin?: string; finishedOnly?: boolean }): Promise<RunToolRow[]>;
}

export interface ItemRepository {
  /** Adds the run's items in order; items already there (a resumed run) are kept as they are. One transaction. */
  add(runId: number, items: readonly DatasetItem[]): Promise<void>;
  /** Every item of a run in dataset order, gold answers included. */
  list(runId: number): Promise<DatasetItem[]>;
  /** Items of the run (restricted to `ids` when given) with no finished trace yet, in dataset order. */
  pending(runId: number, ids?: readonly string[]): Promise<DatasetItem[]>;
}

/** A trace's pieces as the graph produced them: written together when the trace ends. */
export interface TracePieces {
  tools: readonly RunTool[];
  rejected: readonly RejectedTool[];
  classification?: Classification | undefined;
  steps: readonly Step[];
  calls: readonly ModelCall[];
  /** `generate --audit-rate`: the trace's simulated calls also answered by the real backend */
  audits?: readonly CallAudit[] | undefined;
}

export type TraceStatus = TraceRecord['status'];

export interface TraceRepository {
  /** Starts a trace for an item: a 'running' row (visible to status; a resume drops it). Returns its id. */
  begin(runId: number, itemId: string): Promise<number>;
  /**
   * Writes the trace's tools, steps and model calls and marks it finished, in ONE transaction: a crash leaves
   * either the whole finished trace or none. An item has at most one finished trace (a second one is refused
   * by the store and nothing of it is written). E_STORE when the trace is not running.
   */
  finish(traceId: number, pieces: TracePieces, end: { stopReason: StopReason; answer?: string | undefined }): Promise<void>;
  /** Writes what the trace produced and marks it failed with the error, in one transaction (a resume retries the item). */
  fail(traceId: number, pieces: TracePieces, error: { code: string; message: string }): Promise<void>;
  /** Drops the run's running traces (work a killed process left), with whatever hangs off them. Returns how many. */
  dropUnfinished(runId: number): Promise<number>;
  get(traceId: number): Promise<TraceRecord | undefined>;
  /** Traces of a run with their tools and steps, in item order; `status` narrows. */
  list(runId: number, status?: TraceStatus): Promise<TraceRecord[]>;
  /** Of these item ids, those with a finished trace in the run named `runKey` (none when there is no such run). */
  finishedItemIds(runKey: string, ids: readonly string[]): Promise<Set<string>>;
  /** One page of traces under filters (by trace id), with the total that match: `mtr view`'s list, paged in the store. */
  page(query: TracePageQuery): Promise<TracePage>;
  /** A run's traces counted by status, steps and tool calls (what a histogram of turns and calls per trace needs). */
  shapes(runId: number): Promise<TraceShape[]>;
  /** A run's traces that ended, per minute (rate and ETA, progress over time). */
  minutes(runId: number): Promise<TraceMinute[]>;
}

/** How a worker's trace ended: stored, or dropped because another worker had the item (its lease had expired). */
export type WorkerEnd = 'stored' | 'lost';

/**
 * Workers (`mtr generate --worker`): many processes, on any hosts, on one run. An item is leased on its own row
 * (lease_owner, lease_until by the database's clock), so the transaction that ends its trace also frees it; a lease
 * not renewed by heartbeats expires and the item goes to another worker. The unique finished-trace index still
 * forbids a second finished trace: a slow worker that lost its item gets 'lost', not an error.
 */
export interface WorkerRepository {
  /** A worker process starts on a run. Returns its id. */
  register(runId: number, host: string, pid: number): Promise<number>;
  /**
   * Leases up to `n` of the run's items for `ttlMs`, in dataset order: those with no finished trace, no lasting
   * failure (see LeaseRules), and no live lease (never leased, freed, or expired). The running traces of an expired
   * lease are dropped in the same transaction. Concurrent leases never hand out the same item.
   */
  lease(workerId: number, n: number, ttlMs: number, rules: LeaseRules): Promise<DatasetItem[]>;
  /** Renews the worker's leases for `ttlMs` and stamps its heartbeat. Returns how many leases it still holds. */
  heartbeat(workerId: number, ttlMs: number): Promise<number>;
  /** TraceRepository.finish for a leased item, and the lease freed, in one transaction; 'lost' (trace dropped) when the item is another worker's now. */
  finish(workerId: number, traceId: number, pieces: TracePieces, end: { stopReason: StopReason; answer?: string | undefined }): Promise<WorkerEnd>;
  /** TraceRepository.fail likewise. */
  fail(workerId: number, traceId: number, pieces: TracePieces, error: { code: string; message: string }): Promise<WorkerEnd>;
  /** The worker exits: its leases are freed and their running traces dropped. */
  stop(workerId: number): Promise<void>;
  /** Workers of a run (or of every run), in start order. */
  list(runId?: number): Promise<WorkerRecord[]>;
}

export interface VerdictRepository {
  /** Finished or failed traces of a run with no verdicts yet under this check config (running ones wait). */
  unvalidated(runId: number, configHash: string): Promise<number[]>;
  /** Stores a batch of verdicts in one transaction; the same (trace, check, config) again replaces, never duplicates. */
  write(configHash: string, verdicts: readonly Verdict[]): Promise<void>;
  /** A run's verdicts under one check config, by trace then check name. */
  list(runId: number, configHash: string): Promise<Verdict[]>;
  /** The check configs with verdicts on a run's traces (every run's when left out), the last used first. */
  configs(runId?: number): Promise<VerdictConfig[]>;
  /** The check config whose verdicts were written last on a run's traces (every run's when left out); undefined: none. Cheap: a page asks it. */
  latestConfig(runId?: number): Promise<string | undefined>;
}

export interface ModelCallRepository {
  /** A trace's model calls in the order they were stored. */
  list(traceId: number): Promise<ModelCall[]>;
  /** Which models and prompt files (with hashes) produced a run's calls. */
  provenance(runId: number): Promise<Provenance[]>;
  /** A run's model calls per minute and role: count, failures, tokens, mean latency. */
  minutes(runId: number): Promise<CallMinute[]>;
}

/** The audits of simulated calls (`generate --audit-rate`), written by TraceRepository.finish/fail with their trace. */
export interface AuditRepository {
  /** Audits of finished traces, of one run (or all), in trace then step order. */
  list(runId?: number): Promise<CallAuditRecord[]>;
}

/** The run-level ToolActor cache: the first observation stored under a key wins; a get that finds one counts a hit. */
export interface ActorCacheRepository {
  get(key: string): Promise<Observation | undefined>;
  put(entry: ActorCacheEntry): Promise<void>;
  stats(): Promise<ActorCacheStats>;
}

export interface CargRepository {
  /** Inserts a batch of tools in one transaction; returns the ids in batch order. */
  insertTools(tools: readonly NewCargTool[]): Promise<number[]>;
  updateTool(id: number, patch: CargToolPatch): Promise<void>;
  listTools(statuses?: readonly CargToolStatus[]): Promise<CargToolRow[]>;
  /** Tools whose work for `job` is stored: what a resumed stage skips. */
  finishedTools(job: string): Promise<Set<number>>;
  /** One tool's samples and its job row (and its failure cleared) in one transaction. */
  saveJob(job: string, toolId: number, stats: JobStats, samples: readonly NewSample[]): Promise<void>;
  /** A tool's failure in a stage (the last one kept). */
  saveFailure(job: string, toolId: number, failure: { code: string; error: string }): Promise<void>;
  /** The stored failures of a stage's tools not finished since, in tool order. */
  listFailures(job: string): Promise<JobFailure[]>;
  countSamples(filter?: SampleFilter): Promise<number>;
  listSamples(filter?: SampleFilter): Promise<SampleRow[]>;
  /** One tool's eval (or audit) cases and its job row with `stats`, in one transaction. */
  saveEvalCases(job: string, model: string, toolId: number, cases: readonly EvalCase[], stats?: JobStats): Promise<void>;
  listEvalCases(job: string): Promise<EvalCaseRow[]>;
  /** The jobs with eval (or audit) cases stored, by name (`eval:<model>` unless named): what a viewer lists. */
  listEvalJobs(): Promise<EvalJob[]>;
  /** Per-tool stats of a stage, by tool id. */
  jobStats(job: string): Promise<Map<number, JobStats>>;
  /** Adds taxonomy rows, skipping ones already there; the first row carries the calls (a model round). Returns how many were new. */
  addFields(rows: readonly NewField[], calls?: readonly ModelCall[]): Promise<number>;
  listFields(): Promise<FieldRow[]>;
  /** A (field, subfield)'s generated tools and its done flag, in one transaction. */
  saveFieldTools(field: string, subfield: string, tools: readonly NewCargTool[]): Promise<number[]>;
  /** Field-proposal rounds already stored. */
  countFieldRounds(): Promise<number>;
}

export interface OpenStoreOptions {
  /** make the store when it does not exist (only `mtr generate` and the CARG stages that start one) */
  create?: boolean;
  /** read only: never migrated, locked or written (reading another tool's run store) */
  readonly?: boolean;
}
