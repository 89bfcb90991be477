import type { OpenAIFunction } from '../schema/tool.js';
import type { RunTool } from '../schema/trace.js';
import { openAITools } from './sft.js';

/**
 * verl's side of a GRPO export, read from verl's own code: rows for `RLHFDataset`
 * (verl/utils/dataset/rl_dataset.py), per-row `agent_name` for the agent-loop registry
 * (verl/experimental/agent_loop/agent_loop.py), `extra_info.tools_kwargs[name].create_kwargs` as
 * `ToolAgentLoop._call_tool` reads it, and a tool config for `initialize_tools_from_config`
 * (verl/tools/utils/tool_registry.py).
 */

/** verl's own loop (registered in tool_agent_loop.py): every row is offered the tool config's tools. */
export const VERL_TOOL_AGENT = 'tool_agent';
/** mtr's loop (integrations/verl/): offers each row only its own tools, from `extra_info.tools`. */
export const MTR_TOOL_AGENT = 'mtr_tool_agent';
/**
 * The BaseTool in integrations/verl/mtr_tool.py that forwards calls to `mtr serve tools`, named as that folder
 * on PYTHONPATH imports it: mtr_tool_agent imports the same module, so both see one MtrTool class.
 */
export const MTR_TOOL_CLASS = 'mtr_tool.MtrTool';
export const VERL_ABILITY = 'tool_qa';

export interface VerlToolConfigOptions {
  /** base URL of `mtr serve tools` */
  url: string;
  /** seconds per call */
  timeout: number;
}

type Schema = Record<string, unknown>;

/** The JSON type of an untyped parameter's enum values (all integers, numbers or booleans), else string. */
const enumType = (values: unknown): string => {
  const list = Array.isArray(values) ? values : [];
  if (list.length && list.every((v) => Number.isInteger(v))) return 'integer';
  if (list.length && list.every((v) => typeof v === 'number')) return 'number';
  if (list.length && list.every((v) => typeof v === 'boolean')) return 'boolean';
  return 'string';
};

/**
 * verl validates every tool schema with pydantic (verl/tools/schemas.py): each parameter needs a string
 * `type` and an `enum` of strings. A union type keeps its first non-null member, an untyped parameter takes
 * its enum values' type (else string), a non-string enum is left to mtr's pre-check; everything else is kept.
 */
function verlProperty(spec: Schema): Schema {
  const types = (Array.isArray(spec.type) ? spec.type : [spec.type]).filter((t): t is string => typeof t === 'string');
  const { enum: values, ...rest } = spec;
  const stringEnum = Array.isArray(values) && values.every((v) => typeof v === 'string');
  return { ...rest, type: types.find((t) => t !== 'null') ?? types[0] ?? enumType(values), ...(stringEnum ? { enum: values } : {}) };
}

/** An OpenAI function in the shape verl's `OpenAIFunctionToolSchema` accepts. */
export function verlFunction(f: OpenAIFunction): OpenAIFunction {
  const params = f.function.parameters as Schema;
  const properties = Object.fromEntries(Object.entries((params.properties ?? {}) as Record<string, Schema>).map(([k, v]) => [k, verlProperty(v)]));
  return {
    type: 'function',
    function: { ...f.function, parameters: { ...params, type: 'object', properties, required: (params.required as string[] | undefined) ?? [] } },
  };
}

export const verlTools = (tools: readonly RunTool[]): OpenAIFunction[] => openAITools(tools).map(verlFunction);

/**
 * The tools the tool config lists. verl's ToolAgentLoop loads the whole config for every sample it rolls out
 * (PyYAML alone takes 6.6 s for 4,000 tools), so with per-item tools (mtr_tool_agent takes each row's own from
 * `extra_info.tools`) it lists only the tools every row shares, else the first one, for the server settings.
 * With one tool set it lists them all: verl's tool_agent offers exactly those.
 */
export function configTools(rows: readonly (readonly RunTool[])[], perItemTools: boolean): RunTool[] {
  const all = new Map(rows.flatMap((tools) => tools.map((t) => [t.tool.api_name, t] as const)));
  if (!perItemTools) return [...all.values()];
  const shared = [...all.values()].filter((t) => rows.every((tools) => tools.some((x) => x.tool.api_name === t.tool.api_name)));
  return shared.length ? shared : [...all.values()].slice(0, 1);
}

/** One row's tool kinds: the same tool set on every row (a toolset, utility tools) or ToolMaker's per-item tools. */
export const toolSetKey = (tools: readonly RunTool[]): string =>
  JSON.stringify([...tools].map((t) => t.tool).sort((a, b) => a.api_name.localeCompare(b.api_name)));

/** OmegaConf (which loads verl's tool config) would resolve `${…}` inside a description; `\${` keeps it literal. */
const escapeInterpolation = (v: unknown): unknown => {
  if (typeof v === 'string') return v.replaceAll('${', '\\${');
  if (Array.isArray(v)) return v.map(escapeInterpolation);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeInterpolation(x)]));
  return v;
};

/**
 * YAML's JSON subset, which PyYAML (under OmegaConf) also reads, with the characters JSON leaves raw but
 * PyYAML refuses (C1 controls, U+FEFF/FFFE/FFFF) or folds as line breaks (NEL, U+2028/2029) escaped.
 */
const yamlJson = (v: unknown): string =>
  JSON.stringify(v, null, 2).replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * verl's tool config (`actor_rollout_ref.rollout.multi_turn.tool_config_path`): one entry per tool of the
 * export, each the MtrTool class with the server's URL, the token from the trainer's MTR_SERVE_TOKEN
 * (OmegaConf's env resolver; null when unset) and the timeout.
 */
export function verlToolConfig(functions: readonly OpenAIFunction[], o: VerlToolConfigOptions): string {
  const config = { type: 'native', url: o.url, token: '${oc.env:MTR_SERVE_TOKEN,null}', timeout: o.timeout };
  const tools = functions.map((f) => ({ class_name: MTR_TOOL_CLASS, config, tool_schema: escapeInterpolation(f) }));
  return `# verl tool config written by mtr export: every tool of this export, served by \`mtr serve tools\`\n${yamlJson({ tools })}\n`;
}
