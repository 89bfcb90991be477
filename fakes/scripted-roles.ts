import { loadPrompt } from '../src/prompts/index.js';
import type { DatasetItem } from '../src/schema/item.js';
import type { FakeReply, FakeRequest } from './openai-server.js';

/**
 * A scripted "model" that plays ToolMaker, AutoAgent and ToolActor for the fake OpenAI server: it reads the
 * request (response_format name, tools, conversation) the way a model would read the prompt, and answers
 * deterministically, so tests can assert exactly what the pipeline stores.
 *
 * Agent policy: turn 0 calls the first task-specific tool, turn 1 calls wiki_search, turn 2 answers with the
 * item's gold answer (looked up by question).
 */
export const TASK_TOOL = {
  api_name: 'lookup_entity_fact',
  api_description: 'Returns a fact about a named entity.',
  field: 'encyclopedia',
  parameters: {
    entity: { type: 'str', description: 'Entity name.' },
    attribute: { type: 'str', description: 'Which fact to return.' },
  },
  required: ['entity'],
  responses: { value: { type: 'str', description: 'The fact.' }, source: { type: 'str', description: 'Where it comes from.' } },
};

/** A tool that breaks the template (required names a missing parameter): ToolMaker must repair it. */
export const BROKEN_TOOL = { ...TASK_TOOL, api_name: 'BrokenTool', required: ['entity', 'year'] };

export interface ScriptOptions {
  items: readonly DatasetItem[];
  /** native: OpenAI tool_calls; search-r1: Search-R1's dialect (see searchR1AgentTurn) */
  format?: 'text' | 'native' | 'search-r1';
  /** first tool_set answer carries a broken tool, fixed after the repair prompt */
  needsRepair?: boolean;
}

// ToolMaker's repair turn, recognised by the first line of its prompt file (not by message count: a
// JSON retry also lengthens the conversation).
const REPAIR_OPENING = loadPrompt('maker-repair').text.split('\n')[0]!;

const text = (m: { content?: unknown }): string => (typeof m.content === 'string' ? m.content : '');

/** Any JSON Schema → a value valid against it; strings carry `hint` so observations mention the answer. */
export function instanceOf(schema: any, hint: string, defs: Record<string, any> = schema?.$defs ?? {}): unknown {
  if (!schema || typeof schema !== 'object') return {};
  if (schema.$ref) return instanceOf(defs[String(schema.$ref).split('/').pop()!], hint, defs);
  if (schema.anyOf) return instanceOf(schema.anyOf[0], hint, defs);
  if (schema.enum) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries<any>(schema.properties ?? {})) out[k] = instanceOf(v, hint, defs);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => instanceOf(schema.items, hint, defs));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      return hint;
    default:
      return {};
  }
}

export function scriptedModel(opts: ScriptOptions): (req: FakeRequest) => FakeReply {
  const gold = new Map(opts.items.map((i) => [i.question, i.answers[0]!]));
  return (req) => {
    const format = req.response_format?.json_schema;
    const all = req.messages.map(text).join('\n');
    const question = [...gold.keys()].find((q) => all.includes(q)) ?? '';
    const answer = gold.get(question) ?? 'unknown';
    if (format?.name === 'task_classification') return { content: JSON.stringify({ domain: 'encyclopedia', reasoning_type: 'bridge', hops: 2 }) };
    if (format?.name === 'tool_set') {
      const repairing = req.messages.some((m) => text(m).startsWith(REPAIR_OPENING));
      return { content: JSON.stringify({ tools: opts.needsRepair && !repairing ? [TASK_TOOL, BROKEN_TOOL] : [TASK_TOOL] }) };
    }
    if (format?.name?.endsWith('_response'))
      return { content: JSON.stringify(instanceOf(format.schema.anyOf[0], `According to the record, the answer is ${answer}.`)) };
    if (opts.format === 'search-r1') return searchR1AgentTurn(req, question, answer);
    return agentTurn(req, question, answer, opts.format ?? 'text');
  };
}

/** Search-R1's make_prefix (scripts/data_process/nq_search.py, template base) written out: the expected user turn. */
export const searchR1Prefix = (question: string): string =>
  'Answer the given question. You must conduct reasoning inside <think> and </think> first every time you get new information. ' +
  'After reasoning, if you find you lack some knowledge, you can call a search engine by <search> query </search> and it will return the top searched results between <information> and </information>. ' +
  'You can search as many times as your want. If you find no further external knowledge needed, you can directly provide the answer inside <answer> and </answer>, without detailed illustrations. ' +
  `For example, <answer> Beijing </answer>. Question: ${question}\n`;

/** What an OpenAI-compatible server returns under `stop`: the text before the first stop string, which is dropped. */
export function applyStop(text: string, stop: unknown): string {
  const stops = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? (stop as string[]) : [];
  const cut = Math.min(...stops.map((s) => text.indexOf(s)).filter((i) => i >= 0));
  return Number.isFinite(cut) ? text.slice(0, cut) : text;
}

/**
 * Search-R1 agent policy: turn 0 searches the question, turn 1 searches the gold answer, turn 2 answers. Like a
 * model that does not stop by itself, each search runs on past `</search>` into an invented information block,
 * which the request's stop sequence must cut off.
 */
export function searchR1AgentTurn(req: FakeRequest, question: string, answer: string): FakeReply {
  const turn = req.messages.filter((m) => m.role === 'assistant').length;
  const queries = [question, answer];
  const query = queries[turn];
  const text =
    query === undefined
      ? `<think>The results agree.</think>\n<answer> ${answer} </answer>`
      : `<think>Step ${turn}: I need to search.</think>\n<search> ${query} </search>\n\n<information>made up</information>`;
  return { content: applyStop(text, req.raw.stop) };
}

function agentTurn(req: FakeRequest, question: string, answer: string, format: 'text' | 'native'): FakeReply {
  const turn = req.messages.filter((m) => m.role === 'assistant').length;
  const calls = [
    { name: TASK_TOOL.api_name, arguments: { entity: question, attribute: 'answer' } },
    { name: 'wiki_search', arguments: { query: question } },
  ];
  const call = calls[turn];
  if (format === 'native') {
    return call
      ? { content: `<think>Step ${turn}: look up ${call.name}.</think>`, tool_calls: [call] }
      : { content: `<think>I have enough.</think>\n<answer>${answer}</answer>` };
  }
  return call
    ? { content: `<think>Step ${turn}: I should use ${call.name}.</think>\n<tool_call>\n${JSON.stringify(call)}\n</tool_call>` }
    : { content: `<think>The results agree.</think>\n<answer>${answer}</answer>` };
}
