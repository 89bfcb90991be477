import { metaSchemaErrors } from '../schema/json-schema.js';
import { typeProblems } from '../schema/tool-check.js';
import { parametersJsonSchema, responsesJsonSchema } from '../schema/tool-convert.js';
import { type ToolTemplate, ToolTemplateSchema } from '../schema/tool.js';

const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
/** What OpenAI-style function calling accepts as a name; imported tools keep their own naming style. */
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export interface ToolCheckOptions {
  /** ToolMaker's own tools must be snake_case; imported tool files only need a callable name. */
  nameStyle?: 'snake_case' | 'function';
}

export type ToolCheck = { ok: true; tool: ToolTemplate } | { ok: false; reasons: string[] };

/**
 * Checks one tool against the unified template (MTR's validation checking): shape, snake_case name,
 * descriptions, known types, `required` ⊆ parameters, responses present, both JSON Schemas meta-valid.
 * Reasons name the field, so they can be fed back to the model that wrote the tool.
 */
export function checkTool(candidate: unknown, options: ToolCheckOptions = {}): ToolCheck {
  const parsed = ToolTemplateSchema.safeParse(candidate);
  if (!parsed.success) {
    return { ok: false, reasons: parsed.error.issues.map((i) => `${i.path.join('.') || 'tool'}: ${i.message}`) };
  }
  const tool = parsed.data;
  const reasons: string[] = [];
  if ((options.nameStyle ?? 'snake_case') === 'snake_case' ? !SNAKE_CASE.test(tool.api_name) : !FUNCTION_NAME.test(tool.api_name)) {
    reasons.push(`api_name: expected ${options.nameStyle === 'function' ? 'letters, digits, _ or - (at most 64)' : 'snake_case'}, got "${tool.api_name}"`);
  }
  if (!tool.api_description.trim()) reasons.push('api_description: expected a non-empty description');
  for (const [name, spec] of Object.entries(tool.parameters)) {
    if (!spec.description?.trim()) reasons.push(`parameters.${name}.description: expected a non-empty description`);
    reasons.push(...typeProblems(`parameters.${name}.type`, spec));
  }
  for (const name of tool.required) {
    if (!(name in tool.parameters)) reasons.push(`required: "${name}" is not a parameter (parameters: ${Object.keys(tool.parameters).join(', ') || 'none'})`);
  }
  if (Object.keys(tool.responses).length === 0) reasons.push('responses: expected at least one response field');
  for (const [name, spec] of Object.entries(tool.responses)) reasons.push(...typeProblems(`responses.${name}.type`, spec));
  reasons.push(...metaSchemaErrors(parametersJsonSchema(tool)).map((e) => `parameters: invalid JSON Schema: ${e}`));
  reasons.push(...metaSchemaErrors(responsesJsonSchema(tool)).map((e) => `responses: invalid JSON Schema: ${e}`));
  return reasons.length ? { ok: false, reasons } : { ok: true, tool };
}

/** Checks a tool set: each tool alone, then names unique within the set and apart from `reservedNames`. */
export function checkToolSet(
  candidates: readonly unknown[],
  reservedNames: readonly string[] = [],
  options: ToolCheckOptions = {},
): { accepted: ToolTemplate[]; rejected: { tool: unknown; reasons: string[] }[] } {
  const accepted: ToolTemplate[] = [];
  const rejected: { tool: unknown; reasons: string[] }[] = [];
  const seen = new Set(reservedNames);
  for (const candidate of candidates) {
    const check = checkTool(candidate, options);
    if (!check.ok) {
      rejected.push({ tool: candidate, reasons: check.reasons });
    } else if (seen.has(check.tool.api_name)) {
      rejected.push({ tool: candidate, reasons: [`api_name: "${check.tool.api_name}" is already taken by another tool`] });
    } else {
      seen.add(check.tool.api_name);
      accepted.push(check.tool);
    }
  }
  return { accepted, rejected };
}
