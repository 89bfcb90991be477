import { metaSchemaErrors } from './json-schema.js';
import { normalizeType, parametersJsonSchema, responsesJsonSchema } from './tool-convert.js';
import { ANY_TYPE_NAME, type FileTool, FileToolSchema, JSON_TYPES, type ParamSpec, type ToolTemplate } from './tool.js';

/**
 * The one check of a tool read from a file, shared by `serve tools` and `carg tools import`: the same tool
 * gets the same name, the same refusals and the same gaps in both. Refused: not servable at all. Gaps: what
 * the file does not say (responses, a type, a description); serve answers free-form or unconstrained there,
 * carg keeps the tool `incomplete`. Pure.
 */

/** What OpenAI-style function calling accepts as a name: every served tool is also an OpenAI function. */
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

type Obj = Record<string, any>;

/**
 * `requestFirst Aid Assistance` → `requestFirst_Aid_Assistance`, `getPM2.5Level` → `getPM2_5Level`: a name
 * a function-calling API accepts, the original kept in the notes. Undefined when nothing usable is left.
 */
export function sanitizeName(name: string): string | undefined {
  const out = name
    .trim()
    .replace(/[^a-zA-Z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  return out || undefined;
}

export interface Normalized {
  tool: Record<string, unknown>;
  /** what was changed, e.g. a renamed tool */
  notes: string[];
  /** paths the file leaves out and only a model (or the user) may fill in, never guessed */
  missing: string[];
}

/** Types to JSON-Schema names, recursively; an absent type or description is reported at its path. */
function normalizeSpec(spec: unknown, path: string, missing: string[], described: boolean): unknown {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return spec;
  const out: Obj = { ...(spec as Obj) };
  if (typeof out.type === 'string' && !out.type.trim()) delete out.type; // BFCL writes `"type": ""`: no type given, a gap
  if (Array.isArray(out.items)) out.items = tupleItems(out.items);
  const isAny = (t: unknown) => typeof t === 'string' && t.trim().toLowerCase() === ANY_TYPE_NAME;
  if (isAny(out.type) || (Array.isArray(out.type) && out.type.some(isAny))) out.type = [...JSON_TYPES];
  else if (typeof out.type === 'string') out.type = normalizeType(out.type) ?? out.type;
  else if (Array.isArray(out.type)) out.type = out.type.map((t: unknown) => (typeof t === 'string' ? (normalizeType(t) ?? t) : t));
  else if (out.type === undefined) missing.push(`${path}.type`);
  if (described && !(typeof out.description === 'string' && out.description.trim())) missing.push(`${path}.description`);
  if (out.items !== undefined) out.items = normalizeSpec(out.items, `${path}.items`, missing, false);
  if (out.properties && typeof out.properties === 'object') out.properties = normalizeSpecs(out.properties, path, missing, false);
  return out;
}

/**
 * A tuple's `items: [{type: 'float'}, {type: 'string'}]` (BFCL's response docs) as the one element spec the template
 * holds: any of the element types, so every tuple the file describes passes; positions are not kept.
 */
function tupleItems(items: unknown[]): unknown {
  const specs = items.filter((i): i is Obj => !!i && typeof i === 'object' && !Array.isArray(i));
  if (!specs.length || specs.length !== items.length) return items; // left for the check to refuse
  if (specs.every((i) => JSON.stringify(i) === JSON.stringify(specs[0]))) return specs[0]; // [T, T]: each element a T
  const types = [...new Set(specs.flatMap((i) => [i.type].flat()))];
  return types.length && types.every((t) => typeof t === 'string') ? { type: types } : {};
}

function normalizeSpecs(specs: unknown, path: string, missing: string[], described: boolean): unknown {
  if (!specs || typeof specs !== 'object' || Array.isArray(specs)) return specs;
  return Object.fromEntries(Object.entries(specs).map(([k, v]) => [k, normalizeSpec(v, `${path}.${k}`, missing, described)]));
}

/** One template-shaped tool → the unified template as far as the file allows. */
export function normalizeCandidate(raw: Record<string, unknown>): Normalized {
  const notes: string[] = [];
  const missing: string[] = [];
  const tool: Obj = { ...raw };
  if (typeof tool.api_name === 'string' && !FUNCTION_NAME.test(tool.api_name)) {
    const clean = sanitizeName(tool.api_name);
    if (clean) {
      notes.push(`api_name: renamed "${tool.api_name}" to "${clean}" (function names allow only letters, digits, _ and -)`);
      tool.api_name = clean;
    }
  }
  if (tool.api_description === undefined || (typeof tool.api_description === 'string' && !tool.api_description.trim())) missing.push('api_description');
  tool.parameters = normalizeSpecs(tool.parameters ?? {}, 'parameters', missing, true);
  tool.responses = normalizeSpecs(tool.responses ?? {}, 'responses', missing, false);
  if (tool.responses && typeof tool.responses === 'object' && Object.keys(tool.responses).length === 0) missing.push('responses');
  return { tool, notes, missing };
}

/** Placeholders for what is missing, so the rest of the tool can be checked; never stored or served as the tool. */
export function withPlaceholders(tool: Record<string, unknown>, missing: readonly string[], type: ParamSpec['type'] = 'string'): Record<string, unknown> {
  const copy = structuredClone(tool) as Obj;
  for (const path of missing) {
    if (path === 'responses') copy.responses = { result: { type: 'string', description: 'placeholder' } };
    else if (path === 'api_description') copy.api_description ??= '';
    else if (path.endsWith('.type')) {
      const keys = path.split('.').slice(0, -1); // drop the trailing `.type`
      const target = keys.reduce<any>((v, k, i) => (i === 0 ? v[k] : (v?.properties?.[k] ?? v?.[k])), copy);
      if (target && typeof target === 'object') target.type = type;
    }
  }
  return copy;
}

/** `parameters.a.type: unknown type "strng"`, through items and properties. */
export function typeProblems(where: string, spec: ParamSpec): string[] {
  const types = Array.isArray(spec.type) ? spec.type : [spec.type];
  const out = types.filter((t) => !normalizeType(t)).map((t) => `${where}: unknown type "${t}"`);
  if (spec.items) out.push(...typeProblems(`${where}.items`, spec.items));
  for (const [k, v] of Object.entries(spec.properties ?? {})) out.push(...typeProblems(`${where}.${k}`, v));
  return out;
}

/** Why a tool cannot be served or stored as usable: name, known types, `required` ⊆ parameters, valid JSON Schemas (RE2 patterns). */
export function refusals(tool: ToolTemplate): string[] {
  const reasons: string[] = [];
  if (!FUNCTION_NAME.test(tool.api_name)) reasons.push(`api_name: expected letters, digits, _ or - (at most 64), got ${JSON.stringify(tool.api_name)}`);
  for (const [name, spec] of Object.entries(tool.parameters)) reasons.push(...typeProblems(`parameters.${name}.type`, spec));
  for (const name of tool.required)
    if (!(name in tool.parameters)) reasons.push(`required: "${name}" is not a parameter (parameters: ${Object.keys(tool.parameters).join(', ') || 'none'})`);
  for (const [name, spec] of Object.entries(tool.responses)) reasons.push(...typeProblems(`responses.${name}.type`, spec));
  // meta-validated without compiling (4,000 tools load in well under a second); patterns are tried with RE2
  reasons.push(...metaSchemaErrors(parametersJsonSchema(tool), { compile: false }).map((e) => `parameters: invalid JSON Schema: ${e}`));
  reasons.push(...metaSchemaErrors(responsesJsonSchema(tool), { compile: false }).map((e) => `responses: invalid JSON Schema: ${e}`));
  return reasons;
}

export interface CheckedTool {
  /** the (possibly renamed) name, or `?` when there is none */
  name: string;
  /** normalised, gaps left open */
  tool: Record<string, unknown>;
  /** empty: usable (served; stored accepted or incomplete) */
  refused: string[];
  /** paths the file leaves out (see normalizeCandidate) */
  missing: string[];
  notes: string[];
  /** the template to serve (no refusal): a missing type accepts any value, no responses mean free-form */
  servable?: FileTool;
}

const ANY_TYPE = [...JSON_TYPES];

export function checkToolCandidate(raw: unknown): CheckedTool {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      name: '?',
      tool: {},
      refused: [`tool: expected a tool object, got ${Array.isArray(raw) ? 'a list' : JSON.stringify(raw)?.slice(0, 80)}`],
      missing: [],
      notes: [],
    };
  }
  const { tool, notes, missing } = normalizeCandidate(raw as Record<string, unknown>);
  const name = typeof tool.api_name === 'string' && tool.api_name ? tool.api_name : '?';
  const parsed = FileToolSchema.safeParse(withPlaceholders(tool, missing, ANY_TYPE));
  if (!parsed.success) return { name, tool, refused: parsed.error.issues.map((i) => `${i.path.join('.') || 'tool'}: ${i.message}`), missing, notes };
  const refused = refusals(parsed.data);
  const servable = { ...parsed.data, responses: missing.includes('responses') ? {} : parsed.data.responses };
  return { name, tool, refused, missing, notes, ...(refused.length ? {} : { servable }) };
}
