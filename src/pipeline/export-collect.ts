import { agentStart, type AgentOptions } from '../agent/index.js';
import { canonicalDataSource, DATA_SOURCE_NAMES } from '../data/index.js';
import type { GrpoExample } from '../export/grpo.js';
import type { SftExample } from '../export/sft.js';
import { MtrError } from '../schema/errors.js';
import type { DatasetItem } from '../schema/item.js';
import type { RunTool, TraceRecord } from '../schema/trace.js';
import type { Store } from '../store/index.js';
import { CHECK_NAMES, type CheckConfig, type RemovalReason, removalReasons, sftTraceIds } from '../validate/index.js';
import { type Cause, checkCauses, validateRuns } from './validate.js';

/** The store side of `mtr export`: which traces and items go out, each with its system prompt and data_source. */

export type SystemChoice = 'native' | 'text' | 'none';

export interface CollectOptions {
  system: SystemChoice;
  /** `--data-source`: overrides what the items say */
  dataSource: string | undefined;
}

/**
 * The system prompt the agent itself was given (prompts/agent-*.md, filled exactly as generation fills it):
 * `native` leaves the tool list to the trainer's tools channel, `text` lists the tools in the prompt.
 */
function systemPrompt(choice: SystemChoice, item: DatasetItem, tools: readonly RunTool[], maxTurns: number): string | undefined {
  if (choice === 'none') return undefined;
  // agentStart reads only the format and the turn budget; no model is involved in filling a prompt
  const opts = { format: choice, maxTurns } as AgentOptions;
  return agentStart(item, tools, opts)[0]!.content as string;
}

const runMaxTurns = (config: unknown): number => {
  const n = (config as { maxTurns?: unknown }).maxTurns;
  return typeof n === 'number' ? n : 8;
};

/** The canonical data_source (never a raw file stem: the scorer rejects those), or a usage error saying how to name it. */
function dataSourceOf(item: DatasetItem, override: string | undefined): string {
  const name = override ?? canonicalDataSource(item);
  if (name) return name;
  throw new MtrError(
    'E_USAGE',
    `data_source: expected item ${item.id}'s dataset to be a known benchmark (${DATA_SOURCE_NAMES.join(', ')}), got "${item.dataset}"; name it with --data-source NAME`,
  );
}

export interface Collected<T> {
  examples: T[];
  counts: Record<string, number>;
}

/** SFT examples, the config hash of their verdicts, and why the finished traces left out failed. */
export async function collectSft(
  store: Store,
  runIds: readonly number[],
  config: CheckConfig,
  o: CollectOptions,
): Promise<Collected<SftExample> & { hash: string; reasons: RemovalReason[] }> {
  const { verdicts, hash } = await validateRuns(store, runIds, config);
  const keep = sftTraceIds(verdicts, CHECK_NAMES);
  const counts = { traces: 0, failed: 0, running: 0, invalid: 0, kept: 0 };
  const examples: SftExample[] = [];
  const invalid = new Set<number>();
  for (const run of (await store.runs.list()).filter((r) => runIds.includes(r.id))) {
    const items = new Map((await store.items.list(run.id)).map((i) => [i.id, i]));
    for (const trace of await store.traces.list(run.id)) {
      counts.traces++;
      if (trace.status !== 'finished') counts[trace.status]++;
      else if (!keep.has(trace.id)) {
        counts.invalid++;
        invalid.add(trace.id);
      } else {
        counts.kept++;
        const item = items.get(trace.item_id)!;
        const s = systemPrompt(o.system, item, trace.tools, runMaxTurns(run.config));
        examples.push({ item, trace, dataSource: dataSourceOf(item, o.dataSource), ...(s ? { system: s } : {}) });
      }
    }
  }
  // failed and running traces are counted apart (their way out is to resume generate)
  return { examples, counts, hash, reasons: removalReasons(verdicts.filter((v) => invalid.has(v.trace_id))) };
}

/** The tools an item's prompt offers: those of its finished trace, else of its latest trace that has any. */
function itemTools(traces: readonly TraceRecord[]): RunTool[] | undefined {
  const finished = traces.find((t) => t.status === 'finished' && t.tools.length);
  return (finished ?? [...traces].reverse().find((t) => t.tools.length))?.tools;
}

/** Stage-2 items; `needTools` false (Search-R1: its one tool is search) keeps items whose traces made no tools. */
export async function collectGrpo(
  store: Store,
  runIds: readonly number[],
  solved: Set<string> | undefined,
  o: CollectOptions & { needTools: boolean },
): Promise<Collected<GrpoExample>> {
  const counts = { items: 0, no_tools: 0, solved: 0, kept: 0 };
  const examples: GrpoExample[] = [];
  for (const run of (await store.runs.list()).filter((r) => runIds.includes(r.id))) {
    const tracesOf = new Map<string, TraceRecord[]>();
    for (const t of await store.traces.list(run.id)) {
      const list = tracesOf.get(t.item_id);
      if (list) list.push(t);
      else tracesOf.set(t.item_id, [t]);
    }
    for (const item of await store.items.list(run.id)) {
      counts.items++;
      const tools = itemTools(tracesOf.get(item.id) ?? []) ?? (o.needTools ? undefined : []);
      if (!tools) counts.no_tools++;
      else if (solved?.has(item.id)) counts.solved++;
      else {
        counts.kept++;
        const s = systemPrompt(o.system, item, tools, runMaxTurns(run.config));
        examples.push({ item, tools, dataSource: dataSourceOf(item, o.dataSource), ...(s ? { system: s } : {}) });
      }
    }
  }
  return { examples, counts };
}

const RESUME = 'resume the same mtr generate';

/** Why rows were left out, each cause with its way out: the summary of an empty or near-empty export. */
export function exportCauses(
  counts: Record<string, number>,
  reasons: readonly RemovalReason[],
  config: CheckConfig,
  o: { unsolvedBy?: string | undefined },
): Cause[] {
  const c = (what: string, hint: string): Cause[] => (counts[what] ? [{ what, count: counts[what]!, hint }] : []);
  return [
    ...c('failed', `traces failed in generation; ${RESUME} (transient failures are retried up to --max-item-attempts; --retry-failed retries every one)`),
    ...c('running', `traces not finished; ${RESUME}`),
    ...checkCauses(reasons, config),
    ...c('not_search_r1', 'traces calling tools other than search; export with --dialect hermes'),
    ...c('no_tools', `items without tool schemas in any trace; ${RESUME}, or --dialect search-r1 (it needs none)`),
    ...c('solved', `items a rollout in ${o.unsolvedBy ?? '--unsolved-by'} solved; leave out --unsolved-by or use another score file`),
    ...c('duplicates', 'rows repeating a kept question (normalised); kept once'),
  ];
}
