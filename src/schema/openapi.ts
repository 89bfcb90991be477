import type { ParamSpec } from './tool.js';

/** One OpenAPI 3 operation as a unified-template candidate (types are JSON Schema already). */
export interface OpenApiTool {
  api_name: string;
  api_description: string;
  parameters: Record<string, unknown>;
  required: string[];
  responses: Record<string, unknown>;
  pointer: string;
}

type Obj = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** Local `$ref`s (`#/components/schemas/X`) resolved one level at a time, cycles cut. */
function deref(doc: Obj, node: unknown, seen: ReadonlySet<string> = new Set()): any {
  if (!node || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map((n) => deref(doc, n, seen));
  const ref = (node as Obj).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    if (seen.has(ref)) return { type: 'object', description: `recursive ${ref}` };
    const target = ref
      .slice(2)
      .split('/')
      .reduce<any>((v, k) => v?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    return deref(doc, target, new Set([...seen, ref]));
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deref(doc, v, seen)]));
}

/** `GET /pets/{id}` → `get_pets_id` when an operation has no operationId. */
const operationName = (method: string, path: string): string =>
  `${method}_${path
    .replace(/[{}]/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .join('_')}`;

/** A JSON response schema's top-level fields; a non-object body becomes one `result` field. */
function responseFields(op: Obj): Record<string, unknown> {
  const ok = Object.entries<Obj>(op.responses ?? {}).find(([code]) => /^2\d\d$|^2XX$|^default$/i.test(code))?.[1];
  const content: Obj | undefined = ok?.content;
  const schema = content?.['application/json']?.schema ?? (content ? Object.values<Obj>(content)[0]?.schema : undefined);
  if (!schema) return {};
  if (schema.type === 'object' || schema.properties) return schema.properties ?? {};
  return { result: { ...schema, description: schema.description ?? ok?.description ?? 'The response body' } };
}

/** Every operation of an OpenAPI 3 document: path/query/header parameters and a JSON body's properties. */
export function openApiTools(doc: Obj): OpenApiTool[] {
  const resolved = deref(doc, doc) as Obj;
  const tools: OpenApiTool[] = [];
  for (const [path, item] of Object.entries<Obj>(resolved.paths ?? {})) {
    for (const method of METHODS) {
      const op: Obj | undefined = item[method];
      if (!op) continue;
      const parameters: Record<string, unknown> = {};
      const required: string[] = [];
      for (const p of [...(item.parameters ?? []), ...(op.parameters ?? [])] as Obj[]) {
        if (!p?.name) continue;
        parameters[p.name] = { ...(p.schema ?? {}), ...(p.description ? { description: p.description } : {}) };
        if (p.required) required.push(p.name);
      }
      const body = op.requestBody?.content?.['application/json']?.schema as Obj | undefined;
      for (const [name, spec] of Object.entries<ParamSpec>(body?.properties ?? {})) parameters[name] = spec;
      for (const name of (body?.required ?? []) as string[]) if (op.requestBody?.required !== false) required.push(name);
      tools.push({
        api_name: op.operationId ?? operationName(method, path),
        api_description: op.description ?? op.summary ?? '',
        parameters,
        required: [...new Set(required)],
        responses: responseFields(op),
        pointer: `/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}`,
      });
    }
  }
  return tools;
}
