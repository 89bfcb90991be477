import { z } from 'zod';
import { type CallSink, jsonCall, type RoleModel } from '../llm/role.js';
import { fillPrompt, loadPrompt } from '../prompts/index.js';
import type { ModelCall } from '../schema/model-call.js';
import { JSON_TYPES } from '../schema/tool.js';
import { isModelOutputError } from './judge.js';

const TypeName = z.enum(JSON_TYPES.filter((t) => t !== 'null') as ['string', 'integer', 'number', 'boolean', 'array', 'object']);
export const CompletionSchema = z.object({
  parameter_types: z.record(z.string(), TypeName),
  responses: z.record(z.string(), z.object({ type: TypeName, description: z.string().min(1) })),
});
const COMPLETION_JSON_SCHEMA = z.toJSONSchema(CompletionSchema) as Record<string, unknown>;

/** A piece of a tool template walked by path: a parameter, or an object with properties. */
type Node = { properties?: Record<string, Node>; type?: unknown } & Record<string, unknown>;

/** Puts the model's answer where the tool said nothing; anything the tool already says is left as it is. Pure. */
export function applyCompletion(
  tool: Record<string, unknown>,
  missing: readonly string[],
  answer: z.infer<typeof CompletionSchema>,
): { tool: Record<string, unknown>; filled: string[] } {
  const copy = structuredClone(tool) as Node;
  const filled: string[] = [];
  for (const path of missing) {
    if (path === 'responses') {
      if (Object.keys(answer.responses).length) {
        copy.responses = answer.responses;
        filled.push('responses');
      }
      continue;
    }
    const keys = path.split('.').slice(1, -1); // parameters.<name>[.properties…].type
    const type = answer.parameter_types[keys.join('.')] ?? answer.parameter_types[keys.at(-1)!];
    const start = (path.startsWith('responses') ? copy.responses : copy.parameters) as Node | undefined;
    const target = keys.reduce<Node | undefined>((v, k) => v?.properties?.[k] ?? (v?.[k] as Node | undefined), start);
    if (type && target && typeof target === 'object' && target.type === undefined) {
      target.type = type;
      filled.push(path);
    }
  }
  return { tool: copy, filled };
}

/** Asks the model for what a tool file left out (`--complete`); the calls are returned for storage. */
export async function completeTool(
  model: RoleModel,
  tool: Record<string, unknown>,
  missing: readonly string[],
): Promise<{ tool: Record<string, unknown>; filled: string[]; calls: ModelCall[] }> {
  const prompt = loadPrompt('carg-complete');
  const calls: ModelCall[] = [];
  const sink: CallSink = (c) => calls.push(c);
  const content = fillPrompt(prompt, { missing: missing.map((m) => `- ${m}`).join('\n'), tool: JSON.stringify(tool, null, 2) });
  try {
    const answer = CompletionSchema.parse(await jsonCall(model, prompt, [{ role: 'user', content }], 'tool_completion', COMPLETION_JSON_SCHEMA, sink));
    return { ...applyCompletion(tool, missing, answer), calls };
  } catch (e) {
    // A model that cannot complete the tool leaves it incomplete; the failed calls are kept.
    if (isModelOutputError(e)) return { tool, filled: [], calls };
    throw e;
  }
}
