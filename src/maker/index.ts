import { z } from 'zod';
import { type CallSink, jsonCall, type RoleModel } from '../llm/role.js';
import type { ChatMessage } from '../llm/types.js';
import { fillPrompt, loadPrompt } from '../prompts/index.js';
import { MtrError } from '../schema/errors.js';
import type { DatasetItem } from '../schema/item.js';
import { type ToolTemplate, ToolTemplateSchema } from '../schema/tool.js';
import { type Classification, ClassificationSchema, type RejectedTool, type RunTool } from '../schema/trace.js';
import { checkToolSet } from '../validate/tool-schema.js';

export interface MakerOptions {
  model: RoleModel;
  /** predefined tools merged into every trace's tool set */
  utilityTools: readonly ToolTemplate[];
  /** most task-specific tools kept per question */
  maxTools: number;
  /** rounds of validation feedback before invalid tools are given up */
  maxRepairs: number;
}

export interface MakerResult {
  classification: Classification;
  tools: RunTool[];
  rejected: RejectedTool[];
}

// JSON Schemas for the model come from the records, never written by hand.
const CLASSIFICATION_SCHEMA = z.toJSONSchema(ClassificationSchema, { io: 'input' }) as Record<string, unknown>;
const toolSetSchemas = new Map<number, Record<string, unknown>>();
/** One schema object per bound, built once: every item of a run asks for the same one (and ajv caches by object). */
function toolSetSchema(max: number): Record<string, unknown> {
  let schema = toolSetSchemas.get(max);
  if (!schema)
    toolSetSchemas.set(
      max,
      (schema = z.toJSONSchema(z.object({ tools: z.array(ToolTemplateSchema).min(1).max(max) }), { io: 'input' }) as Record<string, unknown>),
    );
  return schema;
}

/**
 * ToolMaker (MTR): classify the task, generate task-specific tools in the unified template, check each, feed
 * the problems back for a bounded number of repairs, and merge the run's utility tools.
 */
export async function makeTools(item: DatasetItem, opts: MakerOptions, sink: CallSink): Promise<MakerResult> {
  const classifyPrompt = loadPrompt('maker-classify');
  const classification = ClassificationSchema.parse(
    await jsonCall(
      opts.model,
      classifyPrompt,
      [{ role: 'user', content: fillPrompt(classifyPrompt, { question: item.question }) }],
      'task_classification',
      CLASSIFICATION_SCHEMA,
      sink,
    ),
  );

  const toolsPrompt = loadPrompt('maker-tools');
  const repairPrompt = loadPrompt('maker-repair');
  const schema = toolSetSchema(opts.maxTools);
  const reserved = opts.utilityTools.map((t) => t.api_name);
  const messages: ChatMessage[] = [
    {
      role: 'user',
      content: fillPrompt(toolsPrompt, {
        question: item.question,
        classification: JSON.stringify(classification),
        max_tools: opts.maxTools,
        utility_tools: reserved.length ? opts.utilityTools.map((t) => `- ${t.api_name}: ${t.api_description}`).join('\n') : '(none)',
      }),
    },
  ];
  const rejected: RejectedTool[] = [];
  let accepted: ToolTemplate[] = [];
  for (let attempt = 0; attempt <= opts.maxRepairs; attempt++) {
    const prompt = attempt === 0 ? toolsPrompt : repairPrompt;
    const output = (await jsonCall(opts.model, prompt, messages, 'tool_set', schema, sink)) as { tools: unknown[] };
    const check = checkToolSet(output.tools, reserved);
    rejected.push(...check.rejected.map((r) => ({ ...r, attempt })));
    accepted = check.accepted;
    if (check.rejected.length === 0) break;
    const problems = check.rejected.map((r) => `- ${describeTool(r.tool)}: ${r.reasons.join('; ')}`).join('\n');
    messages.push({ role: 'assistant', content: JSON.stringify(output) }, { role: 'user', content: fillPrompt(repairPrompt, { problems }) });
  }
  const tools: RunTool[] = [
    ...accepted.slice(0, opts.maxTools).map((tool) => ({ origin: 'maker' as const, tool })),
    ...opts.utilityTools.map((tool) => ({ origin: 'utility' as const, tool })),
  ];
  if (tools.length === 0) {
    throw new MtrError(
      'E_MODEL_OUTPUT',
      `ToolMaker produced no valid tool for item ${item.id} after ${opts.maxRepairs} repair round(s): ${rejected.at(-1)?.reasons.join('; ') ?? 'no tools'}`,
    );
  }
  return { classification, tools, rejected };
}

const describeTool = (t: unknown): string =>
  t && typeof t === 'object' && 'api_name' in t ? `tool "${String((t as { api_name: unknown }).api_name)}"` : 'a tool without api_name';
