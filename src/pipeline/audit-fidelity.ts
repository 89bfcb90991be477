import { join } from 'node:path';
import { z } from 'zod';
import { type GroundingConfig, GroundingConfigSchema } from '../actor/grounding.js';
import { observe } from '../actor/index.js';
import { loadDataset, resolveDataset } from '../data/index.js';
import { toJsonl, writeAtomic } from '../export/write.js';
import { callFidelity, CallFidelitySchema, FidelityEntrySchema, aggregateFidelity, fidelityGold, fidelityVerdict } from '../reward/fidelity.js';
import { asMtrError, MtrError } from '../schema/errors.js';
import type { DatasetItem } from '../schema/item.js';
import type { ToolTemplate } from '../schema/tool.js';
import { type GroundingMode, GroundingModeSchema, type ToolCall } from '../schema/trace.js';
import { checkRealTools, openRealTools, type RealTool } from '../tools/real.js';
import { openRunSpec } from '../tools/toolset.js';
import { UTILITY_TOOLS } from '../tools/utility.js';
import { precheckCall } from '../validate/precheck.js';
import { ActorFields } from './fields/actor.js';
import { ModelFields, modelConfigOf, roleModelFields } from './fields/model.js';
import type { RoleModel } from '../llm/role.js';
import { defineJob, type JobHooks, parseConfig } from './job.js';
import { roleModels } from './models.js';
import { isFatalError, type RunnerProgress, runItems } from './runner.js';

const MODES = GroundingModeSchema.options;

export const AuditFidelityConfigSchema = z.object({
  fromRun: z.string().min(1).optional().meta({
    placeholder: 'DB[:RUN]',
    description: "audit the wiki_search calls of a run's finished traces, judged by their items' gold (RUN: name or id; optional with one run)",
  }),
  dataset: z.string().min(1).optional().meta({
    placeholder: 'FILE|NAME',
    description: "audit searches for each item's question and each sub-question of its gold decomposition (#k replaced by hop k's answer)",
  }),
  index: ActorFields.index,
  retrievalUrl: ActorFields.retrievalUrl,
  modes: z
    .string()
    .default(MODES.join(','))
    .refine(
      (s) => {
        const ms = s.split(',').map((m) => m.trim());
        return new Set(ms).size === ms.length && ms.every((m) => (MODES as readonly string[]).includes(m));
      },
      `expected a comma-separated list of distinct grounding modes (${MODES.join(', ')})`,
    )
    .meta({
      placeholder: 'LIST',
      description:
        "ToolActor grounding modes to compare with the real tool; each call is simulated once per mode (noisy follows --noise-start/--noise-end over the run's items, or over the dataset items audited)",
    }),
  noiseStart: ActorFields.noiseStart,
  noiseEnd: ActorFields.noiseEnd,
  noiseBase: ActorFields.noiseBase,
  limit: z.number().int().min(1).optional().meta({ placeholder: 'N', description: 'Audit at most N calls (the first ones)' }),
  concurrency: z
    .number()
    .int()
    .min(1)
    .default(8)
    .meta({ placeholder: 'N', description: 'Calls audited at once (each: one real call, one simulation per mode)' }),
  maxAttempts: z.number().int().min(1).default(3).meta({ placeholder: 'N', description: 'Attempts per simulated observation before it counts as failed' }),
  out: z
    .string()
    .min(1)
    .meta({ placeholder: 'DIR', description: 'Folder for fidelity.json (per tool and mode) and calls.jsonl (every call, both answers, its figures)' }),
  ...ModelFields,
  ...roleModelFields(['actor']),
});
export type AuditFidelityInput = z.input<typeof AuditFidelityConfigSchema>;

/** One line of calls.jsonl. */
export const AuditedCallSchema = z.object({
  tool: z.string(),
  mode: GroundingModeSchema,
  /** where the call came from: `trace T step S` of the run, or `item ID question|hop K` of the dataset */
  from: z.string(),
  item_id: z.string(),
  arguments: z.record(z.string(), z.unknown()),
  gold: z.object({ answers: z.array(z.string()), titles: z.array(z.string()) }),
  real: z.unknown(),
  /** ToolActor's answer; null when its attempts failed (then `error` says why) */
  simulated: z.unknown(),
  error: z.string().optional(),
  failed: z.boolean(),
  latency_ms_real: z.number(),
  latency_ms_simulated: z.number(),
  metrics: CallFidelitySchema,
});
export type AuditedCallRow = z.infer<typeof AuditedCallSchema>;

/** `mtr audit fidelity --json`: scripts rely on these keys; add, never rename. */
export const AuditFidelitySummarySchema = z.object({
  source: z.string(),
  /** calls audited (each answered by the real tool once and simulated once per mode) */
  calls: z.number().int(),
  /** calls that could not be audited (the real tool failed, or the call fails the tool's pre-check) */
  skipped: z.number().int(),
  modes: z.array(GroundingModeSchema),
  entries: z.array(FidelityEntrySchema),
  verdicts: z.array(z.string()),
  aborted: z.boolean(),
  fidelity_file: z.string(),
  calls_file: z.string(),
});
export type AuditFidelitySummary = z.infer<typeof AuditFidelitySummarySchema>;

/** One call to audit: the tool, its arguments, the item whose gold judges it, and where it came from. */
interface PendingCall {
  tool: ToolTemplate;
  call: ToolCall;
  item: DatasetItem;
  /** the step within its trace (the noisy schedule's draw is per item and step, as in a run) */
  step: number;
  /** the item's place in its run, or among the audited items of a dataset (the noise schedule's position) */
  position: { index: number; total: number };
  from: string;
  /** a sub-question's hop answers, beside the item's */
  hopAnswers: readonly string[];
}

/** The wiki_search calls of a run's finished traces, for the tools that have a real backend. */
async function callsFromRun(spec: string, real: readonly string[]): Promise<{ source: string; calls: PendingCall[] }> {
  const { store, path, run } = await openRunSpec(spec);
  try {
    const items = await store.items.list(run.id);
    const byId = new Map(items.map((it, index) => [it.id, { it, index }]));
    const calls: PendingCall[] = [];
    for (const trace of await store.traces.list(run.id, 'finished')) {
      const at = byId.get(trace.item_id);
      if (!at) continue;
      for (const s of trace.steps) {
        if (!s.call || !real.includes(s.call.name)) continue;
        const tool = trace.tools.find((t) => t.tool.api_name === s.call!.name)?.tool ?? UTILITY_TOOLS[s.call.name]!;
        calls.push({
          tool,
          call: s.call,
          item: at.it,
          step: s.index,
          position: { index: at.index, total: items.length },
          from: `trace ${trace.id} step ${s.index}`,
          hopAnswers: [],
        });
      }
    }
    return { source: `${path}:${run.key}`, calls };
  } finally {
    await store.close();
  }
}

/** Searches for each item's question, then each hop of its decomposition with `#k` filled by hop k's first answer. */
async function callsFromDataset(name: string): Promise<{ source: string; calls: PendingCall[] }> {
  const resolved = await resolveDataset(name);
  const { items } = await loadDataset(resolved.path, { dataset: resolved.name });
  const tool = UTILITY_TOOLS.wiki_search!;
  const calls = items.flatMap((item, index): PendingCall[] => {
    const position = { index, total: items.length }; // narrowed to the audited items once --limit has cut
    const hops = item.decomposition ?? [];
    const filled = (q: string) => q.replace(/#(\d+)/g, (m, k: string) => hops[Number(k) - 1]?.answers[0] ?? m);
    return [
      { tool, call: { name: tool.api_name, arguments: { query: item.question } }, item, step: 0, position, from: `item ${item.id} question`, hopAnswers: [] },
      ...hops.map((h, k) => ({
        tool,
        call: { name: tool.api_name, arguments: { query: filled(h.question) } },
        item,
        step: k + 1,
        position,
        from: `item ${item.id} hop ${k + 1}`,
        hopAnswers: h.answers,
      })),
    ];
  });
  return { source: resolved.path, calls };
}

const timed = async <T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = performance.now();
  const value = await f();
  return { value, ms: Math.round((performance.now() - started) * 10) / 10 };
};

/** One call: the real answer once, then one fresh simulation per mode (uncached, unrouted), each with its figures. */
async function auditCall(
  p: PendingCall,
  modes: readonly GroundingMode[],
  use: { model: RoleModel; realTools: Record<string, RealTool>; noise: Pick<GroundingConfig, 'noiseStart' | 'noiseEnd' | 'noiseBase'> },
): Promise<AuditedCallRow[]> {
  const real = await timed(() => use.realTools[p.tool.api_name]!.call(p.call.arguments));
  const gold = fidelityGold(p.item, p.hopAnswers);
  return Promise.all(
    modes.map(async (mode): Promise<AuditedCallRow> => {
      const grounding = GroundingConfigSchema.parse({ ...use.noise, mode });
      const opts = { model: use.model, grounding, position: () => p.position };
      const sim = await timed(async () => {
        try {
          return { content: (await observe(p.call, [{ origin: 'utility', tool: p.tool }], [], opts, () => undefined, { item: p.item, step: p.step })).content };
        } catch (e) {
          if (isFatalError(e)) throw e; // the model server is gone: the runner stops
          return { error: asMtrError(e, 'E_MODEL').message };
        }
      });
      const simulated = 'content' in sim.value ? sim.value.content : undefined;
      return {
        tool: p.tool.api_name,
        mode,
        from: p.from,
        item_id: p.item.id,
        arguments: p.call.arguments,
        gold,
        real: real.value,
        simulated: simulated ?? null,
        ...('error' in sim.value ? { error: sim.value.error } : {}),
        failed: simulated === undefined,
        latency_ms_real: real.ms,
        latency_ms_simulated: sim.ms,
        metrics: callFidelity(p.tool, real.value, simulated, gold),
      };
    }),
  );
}

export const auditFidelityJob = defineJob({
  name: 'audit fidelity',
  description:
    "Measure how far ToolActor is from the real tool: each wiki_search call (of a run, or searches for a dataset's questions and sub-questions) goes to the real backend (a BM25 index or a retrieval server) and to ToolActor in each grounding mode, uncached; per tool and mode: schema validity, answer support of each side, title overlap, token F1, agreement, contradiction and latency. Writes DIR/fidelity.json and DIR/calls.jsonl.",
  examples: [
    'mtr audit fidelity --from-run runs/hotpot.sqlite --index corpus.sqlite --base-url http://localhost:8000/v1 --out audit/',
    'mtr audit fidelity --dataset ../shared/datasets/musique/musique_train_100_with_paragraphs.json --retrieval-url http://127.0.0.1:8001 --actor-base-url http://localhost:8000/v1 --modes none,gold --limit 200 --out audit/',
  ],
  config: AuditFidelityConfigSchema,
  summary: AuditFidelitySummarySchema,
  async run(input, hooks: JobHooks<RunnerProgress> = {}) {
    const c = parseConfig(AuditFidelityConfigSchema, input);
    if (!c.index && !c.retrievalUrl)
      throw new MtrError(
        'E_USAGE',
        'expected a real backend to compare with: --index FILE (a BM25 index from "mtr index") or --retrieval-url URL, got neither',
      );
    if (Boolean(c.fromRun) === Boolean(c.dataset))
      throw new MtrError('E_USAGE', `expected one source of calls: --from-run DB[:RUN] or --dataset FILE|NAME, got ${c.fromRun ? 'both' : 'neither'}`);
    const modes = c.modes.split(',').map((m) => GroundingModeSchema.parse(m.trim()));
    const realTools: Record<string, RealTool> = openRealTools({
      ...(c.index ? { index: c.index } : {}),
      ...(c.retrievalUrl ? { retrievalUrl: c.retrievalUrl } : {}),
    });
    try {
      const found = c.fromRun ? await callsFromRun(c.fromRun, Object.keys(realTools)) : await callsFromDataset(c.dataset!);
      if (!found.calls.length)
        throw new MtrError(
          'E_EMPTY',
          c.fromRun
            ? `nothing to audit (E_EMPTY): ${found.source} has no ${Object.keys(realTools).join(' or ')} call in its finished traces (only tools with a real backend can be audited)`
            : `nothing to audit (E_EMPTY): ${found.source} has no items`,
        );
      const pending = found.calls.slice(0, c.limit ?? found.calls.length);
      // A dataset's noise schedule runs over the items audited (a run's calls keep their item's place in the run).
      if (c.dataset) {
        const order = [...new Set(pending.map((p) => p.item))];
        for (const p of pending) p.position = { index: order.indexOf(p.item), total: order.length };
      }
      await checkRealTools(realTools);
      const models = await roleModels({ actor: { config: modelConfigOf(c, 'actor'), concurrency: c.concurrency * modes.length, maxAttempts: c.maxAttempts } });
      const rows: AuditedCallRow[][] = [];
      let skipped = 0;
      let result: Awaited<ReturnType<typeof runItems>>;
      try {
        result = await runItems(
          pending.map((p, i) => ({ p, i })),
          async ({ p, i }) => {
            const problem = precheckCall(p.tool, p.call.arguments);
            if (!problem)
              rows[i] = await auditCall(p, modes, {
                model: models.roles.actor,
                realTools,
                noise: { noiseStart: c.noiseStart, noiseEnd: c.noiseEnd, noiseBase: c.noiseBase },
              });
            else {
              skipped++; // not a call a tool would answer
              hooks.onNotice?.(`skipped ${p.from}: ${problem.message}`);
            }
          },
          {
            concurrency: c.concurrency,
            ...(hooks.signal ? { signal: hooks.signal } : {}),
            onFailure: ({ p }, e) => {
              skipped++;
              hooks.onNotice?.(`skipped ${p.from}: ${e.message}`);
            },
            ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
          },
        );
      } finally {
        await models.close();
      }
      const audited = rows.flat().filter(Boolean);
      const entries = aggregateFidelity(audited);
      const fidelityFile = join(c.out, 'fidelity.json');
      const callsFile = join(c.out, 'calls.jsonl');
      writeAtomic(callsFile, toJsonl(audited));
      writeAtomic(fidelityFile, `${JSON.stringify({ source: found.source, modes, entries }, null, 2)}\n`);
      return {
        source: found.source,
        calls: rows.filter(Boolean).length,
        skipped,
        modes,
        entries,
        verdicts: entries.map(fidelityVerdict),
        aborted: result.aborted,
        fidelity_file: fidelityFile,
        calls_file: callsFile,
      };
    } finally {
      for (const t of Object.values(realTools)) t.close?.();
    }
  },
});
