import { z } from 'zod';
import { type CallSink, jsonCall, type RoleModel } from '../llm/role.js';
import { fillPrompt, loadPrompt } from '../prompts/index.js';
import { formatErrors, validateJson } from '../schema/json-schema.js';
import type { ModelCall } from '../schema/model-call.js';
import { parametersJsonSchema, responsesJsonSchema } from '../schema/tool-convert.js';
import type { ToolTemplate } from '../schema/tool.js';
import type { NewSample } from '../schema/carg.js';
import type { CargRepository } from '../store/index.js';
import { judgeVerdict, type Verdict } from './judge.js';

export interface SingleOptions {
  generator: RoleModel;
  judge: RoleModel;
  /** samples asked for per round */
  count: number;
  /** a tool below this share of accepted samples gets a refined round */
  minPassRate: number;
  /** refined rounds at most, after the first */
  maxRefines: number;
}

// Loose on purpose: V_format checks each sample against the tool, so one bad sample does not void the answer.
const SamplesSchema = z.object({
  samples: z.array(z.object({ context: z.string(), input: z.record(z.string(), z.unknown()), output: z.record(z.string(), z.unknown()) })).min(1),
});
const SAMPLES_JSON_SCHEMA = z.toJSONSchema(SamplesSchema) as Record<string, unknown>;
type Generated = z.infer<typeof SamplesSchema>['samples'][number];

export interface SingleVerdicts {
  format: Verdict;
  logic: Verdict;
  sem: Verdict;
}

/** V_format: arguments valid against `parameters`, response valid against `responses` (ajv). Pure. */
export function formatVerdict(tool: ToolTemplate, input: unknown, output: unknown): Verdict {
  const problems: string[] = [];
  const i = validateJson(parametersJsonSchema(tool), input);
  if (!i.ok) problems.push(...formatErrors(i.errors).map((e) => `input${e}`));
  const o = validateJson(responsesJsonSchema(tool), output);
  if (!o.ok) problems.push(...formatErrors(o.errors).map((e) => `output${e}`));
  return problems.length ? { pass: false, reason: problems.join('; ') } : { pass: true, reason: 'valid against parameters and responses' };
}

const NOT_JUDGED: Verdict = { pass: false, reason: 'not judged: V_format failed' };

/** V_format by code, then V_logic and V_sem by the judge (skipped when the format is already wrong). */
export async function verifySingle(tool: ToolTemplate, input: unknown, output: unknown, judge: RoleModel, sink: CallSink): Promise<SingleVerdicts> {
  const format = formatVerdict(tool, input, output);
  if (!format.pass) return { format, logic: NOT_JUDGED, sem: NOT_JUDGED };
  const toolText = JSON.stringify(tool, null, 2);
  const [logic, sem] = await Promise.all([
    judgeVerdict(judge, 'carg-judge-logic', { tool: toolText, input: JSON.stringify(input) }, sink),
    judgeVerdict(judge, 'carg-judge-sem', { tool: toolText, input: JSON.stringify(input), output: JSON.stringify(output) }, sink),
  ]);
  return { format, logic, sem };
}

const failureLines = (rejected: { sample: Generated; verdicts: SingleVerdicts }[]): string =>
  rejected
    .slice(0, 8)
    .map(
      ({ sample, verdicts }) =>
        `- ${JSON.stringify(sample.input)}: ${Object.entries(verdicts)
          .filter(([, v]) => !v.pass)
          .map(([k, v]) => `${k}: ${v.reason}`)
          .join('; ')}`,
    )
    .join('\n');

/**
 * Single-turn data for one tool (GTM §2): generate (input, output) pairs with domain context, verify each,
 * and while the pass rate is below the bound, ask again with the failures spelled out. All samples, with
 * their verdicts and the model calls, are stored with the tool's job row in one transaction.
 */
export async function singleTurnForTool(
  repo: CargRepository,
  job: string,
  toolId: number,
  tool: ToolTemplate,
  opts: SingleOptions,
): Promise<{ rounds: number; accepted: number; total: number }> {
  const samples: NewSample[] = [];
  const conversation = [] as { role: 'user' | 'assistant'; content: string }[];
  const first = loadPrompt('carg-single');
  const refine = loadPrompt('carg-single-refine');
  conversation.push({ role: 'user', content: fillPrompt(first, { count: opts.count, field: tool.field ?? 'general', tool: JSON.stringify(tool, null, 2) }) });
  const rates: number[] = [];
  for (let round = 0; round <= opts.maxRefines; round++) {
    const calls: ModelCall[] = [];
    const sink: CallSink = (c) => calls.push(c);
    const answer = SamplesSchema.parse(
      await jsonCall(opts.generator, round === 0 ? first : refine, conversation, 'single_turn_samples', SAMPLES_JSON_SCHEMA, sink),
    );
    const judged = await Promise.all(
      answer.samples.map(async (sample) => ({ sample, verdicts: await verifySingle(tool, sample.input, sample.output, opts.judge, sink) })),
    );
    judged.forEach(({ sample, verdicts }, i) =>
      samples.push({
        kind: 'single',
        round,
        input: sample.input,
        output: sample.output,
        context: sample.context,
        verdicts,
        accepted: verdicts.format.pass && verdicts.logic.pass && verdicts.sem.pass,
        ...(i === 0 ? { calls } : {}), // the round's calls are stored once, with its first sample
      }),
    );
    const rejected = judged.filter((j) => !(j.verdicts.format.pass && j.verdicts.logic.pass && j.verdicts.sem.pass));
    rates.push(1 - rejected.length / judged.length);
    if (rates.at(-1)! >= opts.minPassRate || round === opts.maxRefines) break;
    conversation.push(
      { role: 'assistant', content: JSON.stringify(answer) },
      { role: 'user', content: fillPrompt(refine, { failures: failureLines(rejected), count: opts.count }) },
    );
  }
  const accepted = samples.filter((s) => s.accepted).length;
  await repo.saveJob(job, toolId, { rounds: rates.length, pass_rates: rates }, samples);
  return { rounds: rates.length, accepted, total: samples.length };
}
