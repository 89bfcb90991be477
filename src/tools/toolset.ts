import { existsSync, readFileSync } from 'node:fs';
import { inputError, MtrError } from '../schema/errors.js';
import { metaSchemaErrors } from '../schema/json-schema.js';
import { fromOpenAIFunction, parametersJsonSchema, responsesJsonSchema } from '../schema/tool-convert.js';
import { OpenAIFunctionSchema, type ToolTemplate, ToolTemplateSchema } from '../schema/tool.js';
import { openDb } from '../store/db.js';
import { readRunTools } from '../store/read.js';
import { readItems } from '../store/verdicts.js';
import type { DatasetItem } from '../schema/item.js';

/**
 * A tool set to serve: unified templates, OpenAI function lists (also bare `{name, parameters}` functions and
 * ToolEyes-style groups), or the tools a run's ToolMaker made. Real files have quirks (names with spaces,
 * the same name in two groups): such tools are skipped with the reason and where they are, not fatal.
 */
export interface Toolset {
  source: string;
  tools: ToolTemplate[];
  skipped: { where: string; reasons: string[] }[];
  /** the run's items, in run order (from --from-run): sessions can then be grounded by item id */
  items?: DatasetItem[];
}

/** A tool as found in a file, before it is checked. */
export interface ToolCandidate {
  /** `file:line` or `file: tools[3].functions[1]` */
  where: string;
  value: unknown;
}

/** Names usable in a URL path segment, an OpenAI function and an MCP tool name. */
const SERVABLE_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One entry in whichever layout it is written; groups (`{functions: [...]}`) expand to their functions. */
function expand(value: unknown, where: string): ToolCandidate[] {
  if (isObject(value) && Array.isArray(value.functions)) {
    const field = [value.category, value.tool].filter((s) => typeof s === 'string').join('/');
    return value.functions.map((fn, i) => ({ where: `${where}.functions[${i}]`, value: isObject(fn) && !('api_name' in fn) ? { ...fn, field: field || undefined } : fn }));
  }
  return [{ where, value }];
}

/** Any supported spelling of one tool → the unified template, or the reasons it is not one. */
export function toTemplate(value: unknown): { ok: true; tool: ToolTemplate } | { ok: false; reasons: string[] } {
  if (!isObject(value)) return { ok: false, reasons: [`expected a tool object, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`] };
  let candidate: unknown = value;
  if (!('api_name' in value)) {
    const field = typeof value.field === 'string' ? value.field : undefined;
    const fn = OpenAIFunctionSchema.safeParse(value.type === 'function' ? value : { type: 'function', function: value });
    if (!fn.success) return { ok: false, reasons: fn.error.issues.map((i) => `${['function', ...i.path.slice(1)].join('.')}: ${i.message}`) };
    candidate = fromOpenAIFunction(fn.data, field);
  }
  const parsed = ToolTemplateSchema.safeParse(candidate);
  if (!parsed.success) return { ok: false, reasons: parsed.error.issues.map((i) => `${i.path.join('.') || 'tool'}: ${i.message}`) };
  return { ok: true, tool: parsed.data };
}

/**
 * What serving needs, and no more: a usable name, `required` naming real parameters, and valid JSON Schemas.
 * (Missing descriptions or responses are fine here: the simulator answers free-form then.) Schemas are
 * meta-validated, not compiled: each tool's validator is compiled at its first call, so 4,000 tools load in
 * well under a second.
 */
export function servableProblems(tool: ToolTemplate): string[] {
  const reasons: string[] = [];
  if (!SERVABLE_NAME.test(tool.api_name)) reasons.push(`api_name: expected letters, digits, "_", "-" or "." (at most 128), got ${JSON.stringify(tool.api_name)}`);
  for (const name of tool.required) if (!(name in tool.parameters)) reasons.push(`required: "${name}" is not a parameter`);
  reasons.push(...metaSchemaErrors(parametersJsonSchema(tool), { compile: false }).map((e) => `parameters: invalid JSON Schema: ${e}`));
  reasons.push(...metaSchemaErrors(responsesJsonSchema(tool), { compile: false }).map((e) => `responses: invalid JSON Schema: ${e}`));
  return reasons;
}

/** Checks candidates and merges them by name: identical copies are one tool, a different tool of a taken name is skipped. */
export function buildToolset(source: string, candidates: readonly ToolCandidate[]): Toolset {
  const byName = new Map<string, { tool: ToolTemplate; where: string; text: string }>();
  const skipped: Toolset['skipped'] = [];
  for (const { where, value } of candidates) {
    const t = toTemplate(value);
    const reasons = t.ok ? servableProblems(t.tool) : t.reasons;
    if (!t.ok || reasons.length) {
      skipped.push({ where, reasons });
      continue;
    }
    const text = JSON.stringify(t.tool);
    const first = byName.get(t.tool.api_name);
    if (!first) byName.set(t.tool.api_name, { tool: t.tool, where, text });
    else if (first.text !== text) skipped.push({ where, reasons: [`api_name: "${t.tool.api_name}" is already taken by a different tool at ${first.where}`] });
  }
  return { source, tools: [...byName.values()].map((v) => v.tool), skipped };
}

/** The candidates in a tool file: a JSON list, `{tools: [...]}`, one tool object, or JSON lines. */
export function readToolFile(file: string): ToolCandidate[] {
  if (!existsSync(file)) throw new MtrError('E_USAGE', `--toolset: expected an existing tool file, got "${file}" (not found)`);
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const first = /\S/.exec(text)?.[0];
  if (!first) throw inputError('E_INPUT', file, undefined, undefined, 'expected tools (JSON or JSON lines), got an empty file');
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    if (first === '[') throw inputError('E_INPUT', file, undefined, undefined, 'expected a JSON list of tools, got invalid JSON');
    return jsonLines(file, text);
  }
  const list = Array.isArray(whole) ? { key: '', items: whole } : isObject(whole) && Array.isArray(whole.tools) ? { key: 'tools', items: whole.tools } : undefined;
  if (!list) return expand(whole, `${file}`);
  return list.items.flatMap((v, i) => expand(v, `${file}: ${list.key}[${i}]`));
}

function jsonLines(file: string, text: string): ToolCandidate[] {
  return text.split('\n').flatMap((raw, i) => {
    if (raw.trim() === '') return [];
    try {
      return expand(JSON.parse(raw), `${file}:${i + 1}`);
    } catch (e) {
      throw inputError('E_INPUT', file, i + 1, undefined, `expected a JSON tool, got invalid JSON (${(e as Error).message})`);
    }
  });
}

export const loadToolsetFile = (file: string): Toolset => buildToolset(file, readToolFile(file));

/** `DB[:RUN]` → the accepted tools of the run's traces (RUN: key or id; optional when the store holds one run). */
export function loadToolsetFromRun(spec: string): Toolset {
  const at = /^(.*?)(?::([^:/\\]+))?$/.exec(spec)!;
  const [path, run] = existsSync(spec) ? [spec, undefined] : [at[1]!, at[2]];
  if (!path || !existsSync(path)) throw new MtrError('E_USAGE', `--from-run: expected DB[:RUN] naming an existing store file, got "${spec}"`);
  const db = openDb(path);
  try {
    const found = readRunTools(db, run);
    const set = buildToolset(`${path}:${found.runKey}`, found.tools.map((t) => ({ where: `${path}: run ${found.runKey}: trace ${t.traceId} (${t.itemId})`, value: t.tool })));
    return { ...set, items: readItems(db, found.runId) };
  } finally {
    db.close();
  }
}
