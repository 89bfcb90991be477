import { inputError } from './errors.js';
import { openApiTools } from './openapi.js';
import { PythonLiteralError, parsePythonLiteral } from './python-literal.js';
import { normalizeType } from './tool-convert.js';
import { standardize, toolbenchFunctionName } from './toolbench-name.js';

/**
 * The one reader of tool files, for `serve tools --toolset` and `carg tools import` alike: the same text gives
 * the same candidates at the same places (`file:line` for JSON lines, `file#/json/pointer` in a document).
 * Pure: the callers read the bytes.
 */
export const TOOL_FORMATS = ['template', 'tooleyes', 'openai', 'openapi', 'toolalpaca', 'mcp', 'toolbench', 'bfcl', 'seal-tools', 'mtr-run'] as const;
export type ToolFormat = (typeof TOOL_FORMATS)[number];
/** The layouts a tool file may have, as the flags that take one say them (carg tools import, serve tools, --toolset). */
export const TOOL_FILE_LAYOUTS =
  'unified templates (JSON, JSONL), ToolEyes, OpenAI function lists, OpenAPI 3 / ToolAlpaca, MCP tools/list, StableToolBench / ToolBench tools and queries, BFCL questions and function docs, Seal-Tools fine-tuning files';

/** A tool as found in a file, shaped like the unified template but not normalised or checked yet. */
export interface ToolCandidate {
  /** `file:line` or `file#/json/pointer`: where the tool came from */
  source: string;
  format: ToolFormat;
  /** the template-shaped tool; anything that is no object stays as found and is refused by the check */
  raw: unknown;
  /** the entry as the file writes it, when `raw` is converted from it: a refusal describes this, not the conversion */
  entry?: unknown;
  field?: string;
  subfield?: string;
}

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** `Chemical Engineering/Forensic engineering` → field and subfield (Seal-Tools writes both in one string). */
export function splitField(field: unknown): { field?: string; subfield?: string } {
  if (typeof field !== 'string' || !field.trim()) return {};
  const [f, ...rest] = field.split('/');
  return { field: f!.trim(), ...(rest.length ? { subfield: rest.join('/').trim() } : {}) };
}

/**
 * An OpenAI function (`{type:'function', function}` or bare `{name, parameters}`), an MCP tool or a BFCL function
 * doc (`{name, description, parameters: {type: 'dict'}, response}`), template-shaped.
 */
function fromFunction(fn: Obj, field?: string): Obj {
  const f = isObj(fn.function) ? fn.function : fn;
  const input: Obj = isObj(f.parameters) ? f.parameters : isObj(f.inputSchema) ? f.inputSchema : {};
  const output: Obj | undefined = isObj(f.outputSchema) ? f.outputSchema : isObj(f.response) ? f.response : undefined;
  return {
    api_name: f.name,
    api_description: f.description ?? '',
    ...(field ? { field } : {}),
    parameters: input.properties ?? {},
    required: input.required ?? [],
    responses: output?.properties ?? {},
  };
}

const candidate = (source: string, format: ToolFormat, raw: unknown, entry: unknown = raw): ToolCandidate => ({
  source,
  format,
  raw,
  ...(entry === raw ? {} : { entry }),
  ...(isObj(raw) ? splitField(raw.field) : {}),
});

/** ToolBench's function name for an API of a tool: `/virtual` resolves `{tool_name, api_name}` back to it. */
export const toolbenchName = (api: string, tool: string): string => toolbenchFunctionName(api, standardize(tool));

/**
 * A ToolBench `template_response` (`{"data": [{"id": "str"}]}`: Python type names as values) as response specs.
 * `_list_length` is ToolBench's note of how long a list it cut was (`[{"id": "str", "_list_length": 2}]`), no field.
 */
const LIST_LENGTH = '_list_length';
function responseSpec(v: unknown): Obj {
  if (typeof v === 'string') {
    const type = normalizeType(v);
    return type ? { type } : {}; // an unknown name leaves the type open (reported missing), never guessed
  }
  if (Array.isArray(v)) return v.length ? { type: 'array', items: responseSpec(v[0]) } : { type: 'array' };
  if (isObj(v))
    return { type: 'object', properties: Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (k === LIST_LENGTH ? [] : [[k, responseSpec(x)]]))) };
  return { type: v === null ? 'null' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string' };
}

/** `{name, type: 'STRING', description, default}` → a parameter spec; a non-empty default is kept as an example. */
function toolbenchParam(p: Obj): [string, Obj] {
  const spec: Obj = { ...(typeof p.type === 'string' && p.type.trim() ? { type: p.type } : {}), description: p.description ?? '' };
  if (p.default !== undefined && p.default !== null && p.default !== '') spec.examples = [p.default];
  return [String(p.name), spec];
}

/**
 * A StableToolBench / ToolBench tool (`{tool_name, api_list: [...]}`) or query (`{query, api_list: [...]}`, each
 * API naming its own tool and category): one template per API. Required and optional parameters both kept,
 * `template_response` as the responses, named as ToolBench names the function, field `category/tool`.
 */
function fromToolbench(value: Obj, source: string, sep: string): ToolCandidate[] {
  return (value.api_list as unknown[]).map((api, i) => {
    const at = `${source}${sep}api_list/${i}`;
    if (!isObj(api)) return candidate(at, 'toolbench', api);
    const tool = String(api.tool_name ?? value.tool_name ?? value.name ?? value.title ?? '');
    const category = api.category_name ?? value.category_name;
    const name = api.api_name ?? api.name;
    const required = (Array.isArray(api.required_parameters) ? api.required_parameters : []).filter(isObj).map(toolbenchParam);
    const optional = (Array.isArray(api.optional_parameters) ? api.optional_parameters : []).filter(isObj).map(toolbenchParam);
    const tr = api.template_response;
    const named = typeof name === 'string' && name.trim() !== '';
    const raw = {
      api_name: named ? toolbenchName(name, tool) : name,
      ...(named ? { source_name: name } : {}), // the API's own name: /virtual and users map the function name back
      api_description: api.api_description ?? api.description ?? '',
      field: typeof category === 'string' && category ? `${category}/${tool}` : tool,
      parameters: Object.fromEntries([...required, ...optional]),
      required: required.map(([n]) => n),
      responses: isObj(tr) ? responseSpec(tr).properties : tr === undefined || tr === null || tr === '' ? {} : { result: responseSpec(tr) },
    };
    return candidate(at, 'toolbench', raw, api);
  });
}

/** The line of a Seal-Tools fine-tuning prompt that lists the tools, as Python writes the list (one line). */
const API_LIST_LINE = /^api_list = (.*)$/m;

/**
 * A Seal-Tools fine-tuning record (`dataset_for_finetune/*.json`: `{id, conversations: [{from, value}]}`): its
 * tools are the `api_list = [{'api_name': …}]` inside a turn's text, unified templates as a Python literal.
 */
function fromConversation(value: Obj, source: string, sep: string): ToolCandidate[] {
  return (value.conversations as unknown[]).flatMap((turn, t) => {
    const line = isObj(turn) && typeof turn.value === 'string' ? API_LIST_LINE.exec(turn.value)?.[1] : undefined;
    if (line === undefined) return [];
    const at = `${source}${sep}conversations/${t}/value`;
    let tools: unknown;
    try {
      tools = parsePythonLiteral(line.trimEnd());
    } catch (e) {
      if (!(e instanceof PythonLiteralError)) throw e;
      throw inputError('E_INPUT', at, undefined, 'api_list', `expected a Python list of tools, got ${e.message}`);
    }
    if (!Array.isArray(tools))
      throw inputError('E_INPUT', at, undefined, 'api_list', `expected a Python list of tools, got ${JSON.stringify(tools)?.slice(0, 40)}`);
    return tools.map((tool, i) => candidate(`${at}/api_list/${i}`, 'seal-tools', tool));
  });
}

const isBfclDoc = (fn: Obj): boolean => isObj(fn.parameters) && fn.parameters.type === 'dict';

/** One entry in whichever layout it is written; a group (`{functions: [...]}`) expands to its functions. */
function entry(value: unknown, source: string, sep = '/'): ToolCandidate[] {
  if (isObj(value) && Array.isArray(value.conversations)) {
    const tools = fromConversation(value, source, sep);
    if (tools.length) return tools; // a chat record without an api_list is no tool: refused below like any other
  }
  if (isObj(value) && Array.isArray(value.api_list)) return fromToolbench(value, source, sep);
  if (isObj(value) && 'question' in value && (Array.isArray(value.function) || isObj(value.function))) {
    // a BFCL question (`{id, question, function: [...]}`): the functions it offers, each a tool
    const fns: unknown[] = Array.isArray(value.function) ? value.function : [value.function];
    return fns.map((fn, i) =>
      candidate(`${source}${sep}function${Array.isArray(value.function) ? `/${i}` : ''}`, 'bfcl', isObj(fn) ? fromFunction(fn) : fn, fn),
    );
  }
  if (isObj(value) && Array.isArray(value.functions)) {
    const field = [value.category, value.tool].filter((s) => typeof s === 'string' && s).join('/') || undefined;
    return value.functions.map((fn: unknown, i: number) =>
      candidate(`${source}${sep}functions/${i}`, 'tooleyes', isObj(fn) && !('api_name' in fn) ? fromFunction(fn, field) : fn, fn),
    );
  }
  if (!isObj(value) || typeof value.api_name === 'string' || 'api_name' in value) return [candidate(source, 'template', value)];
  if ('inputSchema' in value) return [candidate(source, 'mcp', fromFunction(value), value)];
  // BFCL's function docs write Python's `dict` where OpenAI writes `object`
  if (isObj(value.function) || 'name' in value) return [candidate(source, isBfclDoc(value) ? 'bfcl' : 'openai', fromFunction(value), value)];
  return [candidate(source, 'template', value)];
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function parseJson(text: string, file: string, line?: number): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw inputError('E_INPUT', file, line, undefined, `expected JSON, got invalid JSON: ${(e as Error).message}`);
  }
}

/** The layout with the most candidates names the file (a mixed list is read entry by entry). */
function mainFormat(candidates: readonly ToolCandidate[], fallback: ToolFormat): ToolFormat {
  const counts = new Map<ToolFormat, number>();
  for (const c of candidates) counts.set(c.format, (counts.get(c.format) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? fallback;
}

/**
 * Every tool in a tool file's text. Recognised from the content, not the name: JSON lines (one tool or group
 * per line, also a single line), a JSON list, `{tools: [...]}`, one tool object, a ToolEyes library, an
 * MCP tools/list answer, an OpenAPI 3 document, a ToolAlpaca list, StableToolBench / ToolBench tools and
 * queries (`api_list`), BFCL questions (`function`) and function docs (`parameters.type: dict`, `response`), Seal-Tools
 * fine-tuning records (`conversations` whose prompt holds `api_list = [...]`). Unreadable JSON is an E_INPUT error
 * naming the file and line; an entry that is no tool is a candidate the check refuses, with where it is.
 */
export function parseToolText(text: string, file: string): { format: ToolFormat; candidates: ToolCandidate[] } {
  const read = parseLayout(text, file);
  // a file in which nothing is a named tool (a field taxonomy, a query set) is the wrong file, not N bad tools
  if (read.candidates.length && !read.candidates.some((c) => isObj(c.raw) && typeof c.raw.api_name === 'string')) {
    throw inputError(
      'E_INPUT',
      file,
      undefined,
      undefined,
      `expected a tool file (unified templates as JSON lines or a list, {tools: [...]}, ToolEyes library, OpenAI function list, OpenAPI 3 document, ToolAlpaca list with Documentation, MCP tools/list, StableToolBench tool or query with api_list, BFCL questions with function or function docs, Seal-Tools conversations with api_list), got ${unnamed(read.candidates[0]!)}`,
    );
  }
  return { format: read.format, candidates: dedupe(read.candidates) };
}

/**
 * Formats that repeat a tool in every entry that uses it (ToolBench queries, BFCL questions, Seal-Tools prompts):
 * a repeated copy is the same tool, read once. A different definition under a taken name stays a candidate, so
 * serve reports it skipped and carg stores it as a duplicate rather than losing it unseen (BFCL live files
 * define `get_current_weather` several ways).
 */
const REPEATING: readonly ToolFormat[] = ['toolbench', 'bfcl', 'seal-tools'];
function dedupe(candidates: readonly ToolCandidate[]): ToolCandidate[] {
  const seen = new Set<string>();
  return candidates.filter((c) => {
    if (!REPEATING.includes(c.format) || !isObj(c.raw) || typeof c.raw.api_name !== 'string') return true;
    const copy = JSON.stringify(c.raw);
    if (seen.has(copy)) return false;
    seen.add(copy);
    return true;
  });
}

function parseLayout(text: string, file: string): { format: ToolFormat; candidates: ToolCandidate[] } {
  const body = text.replace(/^\uFEFF/, '');
  const lines = body.split('\n');
  const filled = lines.map((l, i) => ({ l, i })).filter(({ l }) => l.trim());
  if (!filled.length) throw inputError('E_INPUT', file, undefined, undefined, 'expected tools (JSON or JSON lines), got an empty file');
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    // a list that spans lines and does not parse; a JSON-lines file whose lines are lists (Seal-Tools' old format) reads on
    if (filled[0]!.l.trim().startsWith('[') && !isJson(filled[0]!.l))
      throw inputError('E_INPUT', file, undefined, undefined, `expected a JSON list of tools, got invalid JSON`);
    const candidates = filled.flatMap(({ l, i }) => entry(parseJson(l, file, i + 1), `${file}:${i + 1}`, '#/'));
    return { format: mainFormat(candidates, 'template'), candidates };
  }
  // a JSON-lines file of one tool (or group) is that line, named as such; a one-line container stays a document
  if (filled.length === 1 && isObj(doc) && !('tools' in doc) && !('result' in doc) && typeof doc.openapi !== 'string') {
    const candidates = entry(doc, `${file}:${filled[0]!.i + 1}`, '#/');
    return { format: mainFormat(candidates, 'template'), candidates };
  }
  return fromDocument(doc, file);
}

function fromDocument(doc: unknown, file: string): { format: ToolFormat; candidates: ToolCandidate[] } {
  if (isObj(doc) && typeof doc.openapi === 'string') return { format: 'openapi', candidates: fromOpenApi(doc, file, 'openapi') };
  const mcp = isObj(doc) && isObj(doc.result) && Array.isArray(doc.result.tools) ? { base: '/result/tools', list: doc.result.tools as unknown[] } : undefined;
  if (mcp) return list(mcp.list, `${file}#${mcp.base}`, 'mcp');
  if (Array.isArray(doc) && doc.length && doc.every((d) => isObj(d) && typeof d.Documentation === 'string')) {
    const candidates = doc.flatMap((api: Obj, i: number) => {
      const spec = parseJson(api.Documentation, `${file}#/${i}/Documentation`);
      return isObj(spec) ? fromOpenApi(spec, `${file}#/${i}/Documentation`, 'toolalpaca', api.Category) : [];
    });
    return { format: 'toolalpaca', candidates };
  }
  if (Array.isArray(doc)) return list(doc, `${file}#`, 'template');
  if (isObj(doc) && Array.isArray(doc.tools)) return list(doc.tools, `${file}#/tools`, 'template');
  const candidates = entry(doc, `${file}#`);
  return { format: mainFormat(candidates, 'template'), candidates };
}

function list(items: readonly unknown[], base: string, fallback: ToolFormat): { format: ToolFormat; candidates: ToolCandidate[] } {
  const candidates = items.flatMap((v, i) => entry(v, `${base}/${i}`));
  return { format: mainFormat(candidates, fallback), candidates };
}

function fromOpenApi(doc: Obj, source: string, format: ToolFormat, field?: string): ToolCandidate[] {
  return openApiTools(doc).map(({ pointer, ...raw }) => ({
    source: `${source}#${pointer}`,
    format,
    raw: { ...raw, ...(field ? { field } : {}) },
    ...splitField(field),
  }));
}

/** How each layout reads to a user, and where its entries write the tool's name. */
const LOOKS_LIKE: Partial<Record<ToolFormat, { what: string; name: (entry: Obj) => string }>> = {
  openai: { what: 'an OpenAI function list', name: (e) => (isObj(e.function) ? 'function.name' : 'name') },
  toolbench: { what: 'a StableToolBench / ToolBench api_list', name: (e) => ('tool_name' in e || 'api_description' in e ? 'api_name' : 'name') },
  bfcl: { what: 'BFCL functions', name: () => 'name' },
  mcp: { what: 'an MCP tools/list answer', name: () => 'name' },
  tooleyes: { what: 'a ToolEyes library', name: () => 'name' },
  'seal-tools': { what: 'Seal-Tools prompts (api_list)', name: () => 'api_name' },
};

/**
 * The first entry of a file without a single named tool, as the file writes it: what the file is if it is a
 * known lookalike, else the layout it looked like and the name field its entry lacks, else its keys.
 */
function unnamed(first: ToolCandidate): string {
  const own = 'entry' in first ? first.entry : first.raw;
  const shown = isObj(own) ? `an object with ${Object.keys(own).slice(0, 5).join(', ') || 'no keys'}` : JSON.stringify(own)?.slice(0, 40);
  const known = lookalike(own);
  if (known) return `${known} (first entry: ${shown})`;
  const layout = LOOKS_LIKE[first.format];
  if (layout && isObj(own)) return `${layout.what} in which no entry names its tool: ${first.source} has no "${layout.name(own)}" (${shown})`;
  return `no named tool in it (first entry: ${shown})`;
}

/**
 * Files users take for tool files — the query or taxonomy file beside one, a QA dataset — named for what they are
 * and where the tools are, so the message says which file to give instead of only what is missing.
 */
function lookalike(entry: unknown): string | undefined {
  if (Array.isArray(entry) && entry.length === 2 && typeof entry[1] === 'string' && [entry[0]].flat().every((c) => isObj(c) && 'api' in c))
    return 'a Seal-Tools old-format query file ([calls, query] per line: each call names its tool by "api", no schema), not the tools: import the tool.jsonl beside it, or a dataset_for_finetune/*.json file (its prompts carry the tools)';
  if (!isObj(entry)) return undefined;
  if ('query' in entry && Array.isArray(entry.calling))
    return 'a Seal-Tools query file (calls of tools, {id, query, calling}), not the tools: import the tool.jsonl beside it';
  const values = Object.values(entry);
  if (values.length === 1 && Array.isArray(values[0]) && values[0].every((v) => typeof v === 'string'))
    return 'a field taxonomy ({"Field": ["subfield", …]} per line): give it to carg tools expand --seed-fields, and import the tool file';
  if ('question' in entry && Array.isArray(entry.involved_classes))
    return "BFCL multi-turn questions (they name classes in involved_classes, not functions): import the classes' function docs, multi_turn_func_doc/*.json";
  if ('question' in entry && ('answer' in entry || 'golden_answers' in entry || 'answers' in entry))
    return 'a QA dataset (question and answer), not tools: it is --dataset for mtr generate';
  return undefined;
}
