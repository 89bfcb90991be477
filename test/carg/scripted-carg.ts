import { precheckCall } from '../../src/validate/precheck.js';
import { parametersJsonSchema, responsesJsonSchema } from '../../src/schema/tool-convert.js';
import type { ToolTemplate } from '../../src/schema/tool.js';
import type { FakeReply, FakeRequest } from '../support/openai-server.js';
import { instanceOf } from '../support/scripted-roles.js';

/**
 * Plays CARG's generator, judge and simulator for the fake OpenAI server, reading the request the way a
 * model reads its prompt (response_format name, the tool named in the text), deterministically:
 * - generator: round 0 gives one valid sample and one whose output lacks a response field (fails V_format);
 *   the refined round gives two valid ones;
 * - judges pass everything, except V_sem on inputs whose text says "contradiction";
 * - simulator: an in-schema response, or an error object when the call breaks the schema.
 */
export function scriptedCarg(tools: readonly ToolTemplate[]): (req: FakeRequest) => FakeReply {
  const text = (req: FakeRequest) => req.messages.map((m: any) => (typeof m.content === 'string' ? m.content : '')).join('\n');
  const toolOf = (req: FakeRequest): ToolTemplate => {
    const all = text(req);
    const hit = tools.find((t) => all.includes(`"api_name": "${t.api_name}"`));
    if (!hit) throw new Error('scripted CARG: no known tool in the prompt');
    return hit;
  };
  return (req) => {
    const name = req.response_format?.json_schema?.name as string | undefined;
    if (name === 'multi_turn_dialogue') {
      const all = text(req);
      const final = /the LAST call must be to (\S+?)\./.exec(all)![1]!;
      const turns = Number(/across (\d+) tool/.exec(all)![1]);
      const group = tools.filter((t) => all.includes(`"api_name": "${t.api_name}"`));
      const seq = Array.from({ length: turns }, (_, i) => (i === turns - 1 ? final : group[i % group.length]!.api_name));
      return {
        content: JSON.stringify({
          turns: seq.map((n) => {
            const t = tools.find((x) => x.api_name === n)!;
            return {
              tool: n,
              context: `step toward ${final}`,
              input: instanceOf(parametersJsonSchema(t), 'session value'),
              output: instanceOf(responsesJsonSchema(t), 'session result'),
            };
          }),
        }),
      };
    }
    const tool = toolOf(req);
    const valid = () => ({
      context: `A user in ${tool.field ?? 'general'} needs ${tool.api_name}.`,
      input: instanceOf(parametersJsonSchema(tool), 'sample value'),
      output: instanceOf(responsesJsonSchema(tool), 'result value'),
    });
    switch (name) {
      case 'single_turn_samples': {
        const refining = req.messages.length > 1;
        const broken = { ...valid(), output: {} };
        return { content: JSON.stringify({ samples: refining ? [valid(), valid()] : [valid(), broken] }) };
      }
      case 'carg_judge_logic':
        return { content: JSON.stringify({ pass: true, reason: 'no contradiction' }) };
      case 'carg_judge_sem':
        return { content: JSON.stringify({ pass: !text(req).includes('contradiction'), reason: 'checked' }) };
      case 'invalid_value_error': {
        const input = instanceOf(parametersJsonSchema(tool), 'sample value') as Record<string, unknown>;
        const param = Object.keys(input)[0] ?? 'value';
        return {
          content: JSON.stringify({
            input: { ...input, [param]: 'INVALID-0000' },
            parameter: param,
            message: `parameter "${param}": INVALID-0000 is not a known value`,
          }),
        };
      }
      case 'audit_world_state': {
        // the first tool's pinned value is what the scripted actor says; the others' is not, so both verdicts occur
        const field = Object.keys(tool.responses)[0]!;
        const value = tool === tools[0] ? 'simulated' : 'something else';
        return {
          content: JSON.stringify({
            world_state: { fact: value },
            input: instanceOf(parametersJsonSchema(tool), 'sample value'),
            expected: { [field]: value },
          }),
        };
      }
      case 'carg_judge_coherence':
        return { content: JSON.stringify({ pass: true, reason: 'reuses the session values' }) };
      case 'carg_judge_error':
        return { content: JSON.stringify({ exists: true, message_ok: true, reason: 'names the parameter' }) };
      case 'carg_judge_eval':
        return { content: JSON.stringify({ logic: 8, sem: 9, cons: 10, det: 6, help: 7, reason: 'fine' }) };
      case undefined: {
        // the simulator under evaluation: last user message is the call
        const call = JSON.parse(req.messages.at(-1).content) as { arguments: Record<string, unknown> };
        const error = precheckCall(tool, call.arguments);
        return { content: JSON.stringify(error ? { error } : instanceOf(responsesJsonSchema(tool), 'simulated')) };
      }
      default:
        if (name?.endsWith('_response')) {
          // ToolActor (observe): refuses the model-written invalid value, otherwise an in-schema answer
          if (text(req).includes('INVALID-0000'))
            return { content: JSON.stringify({ error: { type: 'invalid_value', message: 'INVALID-0000 is not a known value' } }) };
          return { content: JSON.stringify(instanceOf(responsesJsonSchema(tool), 'simulated')) };
        }
        throw new Error(`scripted CARG: unexpected response_format ${name}`);
    }
  };
}
