import { z } from 'zod';
import { type CallSink, jsonCall, type RoleModel } from '../llm/role.js';
import { fillPrompt, loadPrompt } from '../prompts/index.js';
import { type JudgeVerdict, JudgeVerdictSchema } from '../schema/carg.js';
import { isMtrError, type MtrError } from '../schema/errors.js';

/** A model that answered, but never in the required shape (after its attempts): recorded, not fatal. */
export const isModelOutputError = (e: unknown): e is MtrError => isMtrError(e) && e.code === 'E_MODEL_OUTPUT';

/** A judge's pass/fail with its reason; stored as is in the sample's verdicts (the record: src/schema/carg.ts). */
export type Verdict = JudgeVerdict;

/** Fills the prompt `promptName` and asks for an answer of `schema` (named after the prompt); throws what the call throws. */
export async function askJson<S extends z.ZodType>(
  rm: RoleModel,
  promptName: string,
  values: Record<string, string | number>,
  schema: S,
  sink: CallSink,
): Promise<z.infer<S>> {
  const prompt = loadPrompt(promptName);
  const raw = await jsonCall(
    rm,
    prompt,
    [{ role: 'user', content: fillPrompt(prompt, values) }],
    promptName.replace(/-/g, '_'),
    z.toJSONSchema(schema) as Record<string, unknown>,
    sink,
  );
  return schema.parse(raw);
}

/** askJson for a judge: a judge that never answers in shape is a failed check, not a crash. */
export async function judgeJson<S extends z.ZodType>(
  rm: RoleModel,
  promptName: string,
  values: Record<string, string>,
  schema: S,
  sink: CallSink,
): Promise<z.infer<S> | { error: string }> {
  try {
    return await askJson(rm, promptName, values, schema, sink);
  } catch (e) {
    if (isModelOutputError(e)) return { error: e.message };
    throw e;
  }
}

export async function judgeVerdict(rm: RoleModel, promptName: string, values: Record<string, string>, sink: CallSink): Promise<Verdict> {
  const v = await judgeJson(rm, promptName, values, JudgeVerdictSchema, sink);
  return 'error' in v ? { pass: false, reason: `judge gave no verdict: ${v.error}` } : v;
}
