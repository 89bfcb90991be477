import { inputError } from './errors.js';
import { openApiTools } from './openapi.js';

/**
 * The one reader of tool files, for `serve tools --toolset` and `carg tools import` alike: the same text gives
 * the same candidates at the same places (`file:line` for JSON lines, `file#/json/pointer` in a document).
 * Pure: the callers read the bytes.
 */
export const TOOL_FORMATS = ['template', 'tooleyes', 'openai', 'openapi', 'toolalpaca', 'mcp', 'mtr-run'] as const;
export type ToolFormat = (typeof TOOL_FORMATS)[number];

/** A tool as found in a file, shaped like the unified template but not normalised or checked yet. */
export interface ToolCandidate {
  /** `file:line` or `file#/json/pointer`: where the tool came from */
  source: string;
  format: ToolFormat;
  /** the template-shaped tool; anything that is no object stays as found and is refused by the check */
  raw: unknown;
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

/** An OpenAI function (`{type:'function', function}` or bare `{name, parameters}`) or an MCP tool, template-shaped. */
function fromFunction(fn: Obj, field?: string): Obj {
  const f = isObj(fn.function) ? fn.function : fn;
  const input: Obj = isObj(f.parameters) ? f.parameters : isObj(f.inputSchema) ? f.inputSchema : {};
  const output: Obj | undefined = isObj(f.outputSchema) ? f.outputSchema : undefined;
  return {
    api_name: f.name,
    api_description: f.description ?? '',
    ...(field ? { field } : {}),
    parameters: input.properties ?? {},
    required: input.required ?? [],
    responses: output?.properties ?? {},
  };
}

const candidate = (source: string, format: ToolFormat, raw: unknown): ToolCandidate => ({ source, format, raw, ...(isObj(raw) ? splitField(raw.field) : {}) });

/** One entry in whichever layout it is written; a group (`{functions: [...]}`) expands to its functions. */
function entry(value: unknown, source: string, sep = '/'): ToolCandidate[] {
  if (isObj(value) && Array.isArray(value.functions)) {
    const field = [value.category, value.tool].filter((s) => typeof s === 'string' && s).join('/') || undefined;
    return value.functions.map((fn: unknown, i: number) =>
      candidate(`${source}${sep}functions/${i}`, 'tooleyes', isObj(fn) && !('api_name' in fn) ? fromFunction(fn, field) : fn),
    );
  }
  if (!isObj(value) || typeof value.api_name === 'string' || 'api_name' in value) return [candidate(source, 'template', value)];
  if ('inputSchema' in value) return [candidate(source, 'mcp', fromFunction(value))];
  if (isObj(value.function) || 'name' in value) return [candidate(source, 'openai', fromFunction(value))];
  return [candidate(source, 'template', value)];
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
 * MCP tools/list answer, an OpenAPI 3 document, a ToolAlpaca list. Unreadable JSON is an E_INPUT error
 * naming the file and line; an entry that is no tool is a candidate the check refuses, with where it is.
 */
export function parseToolText(text: string, file: string): { format: ToolFormat; candidates: ToolCandidate[] } {
  const read = parseLayout(text, file);
  // a file in which nothing is a named tool (a field taxonomy, a query set) is the wrong file, not N bad tools
  if (read.candidates.length && !read.candidates.some((c) => isObj(c.raw) && typeof c.raw.api_name === 'string')) {
    const first = read.candidates[0]!.raw;
    throw inputError(
      'E_INPUT',
      file,
      undefined,
      undefined,
      `expected a tool file (unified templates as JSON lines or a list, {tools: [...]}, ToolEyes library, OpenAI function list, OpenAPI 3 document, ToolAlpaca list with Documentation, MCP tools/list), got no named tool in it (first entry: ${isObj(first) ? `an object with ${Object.keys(first).slice(0, 5).join(', ') || 'no keys'}` : JSON.stringify(first)?.slice(0, 40)})`,
    );
  }
  return read;
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
    if (filled[0]!.l.trim().startsWith('[')) throw inputError('E_INPUT', file, undefined, undefined, `expected a JSON list of tools, got invalid JSON`);
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
