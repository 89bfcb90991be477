import type { DatasetItem } from '../src/schema/item.js';
import type { FakeReply, FakeRequest } from './openai-server.js';
import { scriptedModel } from './scripted-roles.js';

const text = (m: { content?: unknown }): string => (typeof m.content === 'string' ? m.content : '');

/**
 * A scripted model for `mtr eval`: an agent whose answers are fixed in advance (`answers`, by question), so the
 * correct scores of a run are known. When wiki_search is among its tools it searches the question once, then
 * answers; with no tools it answers at once. ToolMaker and ToolActor requests (JSON outputs) are answered as
 * scripted-roles answers them.
 */
export function scriptedEvalModel(items: readonly DatasetItem[], answers: ReadonlyMap<string, string>): (req: FakeRequest) => FakeReply {
  const roles = scriptedModel({ items });
  return (req) => {
    if (req.response_format) return roles(req);
    const all = req.messages.map(text).join('\n');
    const question = [...answers.keys()].find((q) => all.includes(q));
    const answer = question === undefined ? 'unknown' : answers.get(question)!;
    const native = (req.tools ?? []).some((t) => t.function?.name === 'wiki_search');
    const listed = native || text(req.messages[0] ?? {}).includes('"wiki_search"');
    const searched = req.messages.some((m) => m.role === 'assistant');
    if (!listed || searched) return { content: `<think>I can answer now.</think>\n<answer>${answer}</answer>` };
    const call = { name: 'wiki_search', arguments: { query: question ?? '' } };
    return native
      ? { content: '<think>I should search first.</think>', tool_calls: [call] }
      : { content: `<think>I should search first.</think>\n<tool_call>\n${JSON.stringify(call)}\n</tool_call>` };
  };
}
