import { z } from 'zod';
import { type CallSink, textCall, type RoleModel } from '../llm/role.js';
import { extractJson } from '../llm/structured.js';
import { loadPrompt } from '../prompts/index.js';
import { validateJson } from '../schema/json-schema.js';
import type { ModelCall } from '../schema/model-call.js';
import { responsesJsonSchema } from '../schema/tool-convert.js';
import type { ToolTemplate } from '../schema/tool.js';
import { ToolErrorSchema } from '../schema/trace.js';
import type { EvalCase } from '../schema/carg.js';
import type { CargRepository } from '../store/index.js';
import { type HistoryTurn, simulatorMessages } from './export.js';
import { judgeJson } from './judge.js';

/** GTM Table 1 columns: Format and Comp by code, the rest by a judge (0–10, shown ×10 as a percentage). */
export const EVAL_METRICS = ['format', 'comp', 'logic', 'sem', 'cons', 'det', 'help'] as const;
export type EvalMetric = (typeof EVAL_METRICS)[number];
const JUDGED = ['logic', 'sem', 'cons', 'det', 'help'] as const;

const Score = z.number().min(0).max(10);
const EvalJudgeSchema = z.object({ logic: Score, sem: Score, cons: Score, det: Score, help: Score, reason: z.string() });

/** Format: a JSON object of the right shape (responses schema, or an error object when an error is expected); Comp: every response field present. Pure. */
export function deterministicScores(tool: ToolTemplate, expectError: boolean, text: string): { format: number; comp: number; output: unknown } {
  const parsed = extractJson(text);
  if (!parsed.ok || !parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) return { format: 0, comp: 0, output: text };
  const value = parsed.value as Record<string, unknown>;
  if (expectError) {
    const ok = ToolErrorSchema.safeParse(value.error).success;
    return { format: ok ? 1 : 0, comp: ok ? 1 : 0, output: value };
  }
  const format = validateJson(responsesJsonSchema(tool), value).ok ? 1 : 0;
  const fields = Object.keys(tool.responses);
  const comp = fields.every((f) => f in value) ? 1 : 0;
  return { format, comp, output: value };
}

export interface EvalOptions {
  simulator: RoleModel;
  judge: RoleModel;
  /** most cases per tool and scenario */
  perTool: number;
}

/** Evaluates the simulator on one held-out tool: its accepted samples are the calls and the references. */
export async function evalTool(repo: CargRepository, job: string, toolId: number, tool: ToolTemplate, opts: EvalOptions): Promise<number> {
  const refs = await repo.listSamples({ acceptedOnly: true, toolId });
  const byKind = new Map<string, typeof refs>();
  for (const r of refs) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r].slice(0, opts.perTool));
  const toolText = JSON.stringify(tool, null, 2);
  const cases: EvalCase[] = await Promise.all(
    [...byKind.values()].flat().map(async (ref) => {
      const calls: ModelCall[] = [];
      const sink: CallSink = (c) => calls.push(c);
      const history = (ref.history ?? []) as HistoryTurn[];
      const completion = await textCall(opts.simulator, loadPrompt('carg-system'), simulatorMessages(tool, ref.input, history), sink);
      const det = deterministicScores(tool, ref.kind === 'error', completion.text);
      const judged = await judgeJson(
        opts.judge,
        'carg-judge-eval',
        {
          tool: toolText,
          history: history.length ? history.map((h) => `${JSON.stringify(h.input)} → ${JSON.stringify(h.output)}`).join('\n') : '(none)',
          input: JSON.stringify(ref.input),
          reference: JSON.stringify(ref.output),
          output: typeof det.output === 'string' ? det.output : JSON.stringify(det.output),
        },
        EvalJudgeSchema,
        sink,
      );
      const scores: Record<string, number | null> = { format: det.format, comp: det.comp };
      for (const m of JUDGED) scores[m] = 'error' in judged ? null : judged[m] / 10;
      return { scenario: ref.kind, input: ref.input, output: det.output, scores, calls };
    }),
  );
  await repo.saveEvalCases(job, opts.simulator.model.model, toolId, cases);
  return cases.length;
}

export type EvalTable = { scenario: string; cases: number; scores: Record<EvalMetric, number | null> }[];

/** Mean of each metric per scenario and over all cases ("All"), as GTM Table 1; null where nothing was scored. Pure. */
export function evalTable(cases: readonly Pick<EvalCase, 'scenario' | 'scores'>[]): EvalTable {
  const scenarios = [...new Set(cases.map((c) => c.scenario))].sort();
  const row = (scenario: string, of: readonly Pick<EvalCase, 'scores'>[]) => ({
    scenario,
    cases: of.length,
    scores: Object.fromEntries(
      EVAL_METRICS.map((m) => {
        const vals = of.map((c) => c.scores[m]).filter((v): v is number => typeof v === 'number');
        return [m, vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null];
      }),
    ) as Record<EvalMetric, number | null>,
  });
  return [
    ...scenarios.map((s) =>
      row(
        s,
        cases.filter((c) => c.scenario === s),
      ),
    ),
    row('All', cases),
  ];
}

const HEAD: Record<EvalMetric, string> = { format: 'Format', comp: 'Comp', logic: 'Logic', sem: 'Sem', cons: 'Cons', det: 'Det', help: 'Help' };

/** Plain-text table: one row per scenario plus All, percentages with one decimal. */
export function renderEvalTable(model: string, table: EvalTable): string {
  const cols = ['Scenario', 'N', ...EVAL_METRICS.map((m) => HEAD[m])];
  const rows = table.map((r) => [r.scenario, String(r.cases), ...EVAL_METRICS.map((m) => (r.scores[m] === null ? '-' : (r.scores[m]! * 100).toFixed(1)))]);
  const width = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
  return [`Simulator ${model}`, line(cols), width.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
