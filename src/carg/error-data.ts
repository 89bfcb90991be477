import { z } from 'zod';
import { precheckCall } from '../validate/precheck.js';
import { type CallSink, jsonCall, type RoleModel } from '../llm/role.js';
import { fillPrompt, loadPrompt } from '../prompts/index.js';
import type { ModelCall } from '../schema/model-call.js';
import type { ToolTemplate } from '../schema/tool.js';
import { ToolErrorSchema } from '../schema/trace.js';
import type { NewSample } from '../schema/carg.js';
import type { CargRepository } from '../store/index.js';
import { type ErrorSample, mutationSamples } from './errors.js';
import { exampleInput } from './example.js';
import { isModelOutputError, judgeJson, type Verdict } from './judge.js';

export interface ErrorDataOptions {
  /** writes invalid-value errors; absent → only the three deterministic kinds */
  generator?: RoleModel;
  /** judges message quality (and the existence of invalid-value errors); absent → those checks are recorded as not run */
  judge?: RoleModel;
  /** valid inputs per tool to mutate (accepted single-turn inputs first, then a schema example) */
  bases: number;
}

const InvalidValueSchema = z.object({ input: z.record(z.string(), z.unknown()), parameter: z.string(), message: z.string().min(1) });
const INVALID_VALUE_JSON_SCHEMA = z.toJSONSchema(InvalidValueSchema) as Record<string, unknown>;
const ErrorJudgeSchema = z.object({ exists: z.boolean(), message_ok: z.boolean(), reason: z.string() });

export interface ErrorVerdicts {
  format: Verdict;
  existence: Verdict;
  message: Verdict | null;
}

/** Format by zod; existence by ajv for mutations, by the judge for invalid values; message quality by the judge. */
async function verifyError(tool: ToolTemplate, s: ErrorSample, judge: RoleModel | undefined, sink: CallSink): Promise<ErrorVerdicts> {
  const shape = ToolErrorSchema.safeParse(s.output.error);
  const format: Verdict =
    shape.success && shape.data.message.trim()
      ? { pass: true, reason: 'error object with type and message' }
      : { pass: false, reason: 'expected {error: {type, message}}' };
  let existence: Verdict;
  const pre = precheckCall(tool, s.input);
  if (s.kind === 'invalid_value') {
    existence =
      pre && pre.type !== 'invalid_value'
        ? { pass: false, reason: `the call fails the schema as ${pre.type}, not as an invalid value` }
        : { pass: false, reason: 'not judged' };
  } else {
    existence = pre?.type === s.kind ? { pass: true, reason: `ajv: ${pre.message}` } : { pass: false, reason: `ajv found ${pre?.type ?? 'no error'}` };
  }
  if (!judge) return { format, existence: s.kind === 'invalid_value' ? { pass: false, reason: 'no judge configured' } : existence, message: null };
  const v = await judgeJson(
    judge,
    'carg-judge-error',
    { tool: JSON.stringify(tool, null, 2), input: JSON.stringify(s.input), output: JSON.stringify(s.output) },
    ErrorJudgeSchema,
    sink,
  );
  const message: Verdict = 'error' in v ? { pass: false, reason: v.error } : { pass: v.message_ok, reason: v.reason };
  if (s.kind === 'invalid_value' && existence.reason === 'not judged')
    existence = 'error' in v ? { pass: false, reason: v.error } : { pass: v.exists, reason: v.reason };
  return { format, existence, message };
}

/** GTM's fourth kind: the model changes one argument to a well-typed but unacceptable value and words the error. */
export async function invalidValueSample(
  tool: ToolTemplate,
  base: Record<string, unknown>,
  generator: RoleModel,
  sink: CallSink,
): Promise<ErrorSample | undefined> {
  const prompt = loadPrompt('carg-invalid-value');
  try {
    const v = InvalidValueSchema.parse(
      await jsonCall(
        generator,
        prompt,
        [{ role: 'user', content: fillPrompt(prompt, { tool: JSON.stringify(tool, null, 2), input: JSON.stringify(base) }) }],
        'invalid_value_error',
        INVALID_VALUE_JSON_SCHEMA,
        sink,
      ),
    );
    return { kind: 'invalid_value', base, input: v.input, output: { error: { type: 'invalid_value', parameter: v.parameter, message: v.message } } };
  } catch (e) {
    if (isModelOutputError(e)) return undefined; // recorded in the calls
    throw e;
  }
}

/** Error data for one tool, stored with its job row in one transaction. */
export async function errorDataForTool(
  repo: CargRepository,
  job: string,
  toolId: number,
  tool: ToolTemplate,
  opts: ErrorDataOptions,
): Promise<{ samples: number; accepted: number }> {
  const fromSingle = (await repo.listSamples({ kinds: ['single'], acceptedOnly: true, toolId })).map((s) => s.input as Record<string, unknown>);
  const bases = [...fromSingle, exampleInput(tool)].filter((b) => !precheckCall(tool, b)).slice(0, Math.max(1, opts.bases));
  const calls: ModelCall[] = [];
  const sink: CallSink = (c) => calls.push(c);
  const generated: ErrorSample[] = [];
  for (const base of bases) {
    generated.push(...mutationSamples(tool, base));
    if (opts.generator) {
      const iv = await invalidValueSample(tool, base, opts.generator, sink);
      if (iv) generated.push(iv);
    }
  }
  const verdicts = await Promise.all(generated.map((s) => verifyError(tool, s, opts.judge, sink)));
  const samples: NewSample[] = generated.map((s, i) => {
    const v = verdicts[i]!;
    return {
      kind: 'error',
      errorType: s.kind,
      round: 0,
      input: s.input,
      output: s.output,
      context: { base: s.base },
      verdicts: v,
      accepted: v.format.pass && v.existence.pass && (v.message?.pass ?? true),
      ...(i === 0 ? { calls } : {}),
    };
  });
  await repo.saveJob(job, toolId, { samples: samples.length }, samples);
  return { samples: samples.length, accepted: samples.filter((s) => s.accepted).length };
}
