import { z } from 'zod';
import { type CallSink, jsonCall, type RoleModel } from '../llm/role.js';
import { fillPrompt, loadPrompt } from '../prompts/index.js';
import type { ModelCall } from '../schema/model-call.js';
import { type ToolTemplate, ToolTemplateSchema } from '../schema/tool.js';
import type { NewSample } from '../schema/carg.js';
import type { CargRepository } from '../store/index.js';
import type { HistoryTurn } from './export.js';
import type { Embedder } from './dedup.js';
import { groupFor, similarityMatrix, type ToolGroup } from './groups.js';
import { judgeVerdict, type Verdict } from './judge.js';
import { verifySingle } from './single.js';

export interface MultiOptions {
  generator: RoleModel;
  judge: RoleModel;
  /** dialogue length L */
  turns: number;
}

const DialogueSchema = z.object({
  turns: z
    .array(z.object({ tool: z.string(), context: z.string(), input: z.record(z.string(), z.unknown()), output: z.record(z.string(), z.unknown()) }))
    .min(1),
});
const DIALOGUE_JSON_SCHEMA = z.toJSONSchema(DialogueSchema) as Record<string, unknown>;

const NO_TOOL = (name: string): Verdict => ({ pass: false, reason: `"${name}" is not a tool of the group` });

/**
 * One L-turn dialogue for a group (GTM §3), ending with the group's final API. Each turn is checked like a
 * single-turn sample plus a coherence check against the history; each turn becomes a sample whose history
 * is the turns before it, so the simulator learns to stay consistent within a session. Stored under the
 * final API's job row, with the group and its coherence score.
 */
export async function multiTurnForTool(
  repo: CargRepository,
  job: string,
  toolId: number,
  group: ToolGroup,
  byName: ReadonlyMap<string, { id: number; tool: ToolTemplate }>,
  opts: MultiOptions,
): Promise<{ turns: number; accepted: number }> {
  const final = group.names.at(-1)!;
  const prompt = loadPrompt('carg-multi');
  const calls: ModelCall[] = [];
  const sink: CallSink = (c) => calls.push(c);
  const content = fillPrompt(prompt, { turns: opts.turns, final, tools: group.names.map((n) => JSON.stringify(byName.get(n)?.tool, null, 2)).join('\n\n') });
  const dialogue = DialogueSchema.parse(await jsonCall(opts.generator, prompt, [{ role: 'user', content }], 'multi_turn_dialogue', DIALOGUE_JSON_SCHEMA, sink));
  const endsRight = dialogue.turns.at(-1)!.tool === final;
  const samples: NewSample[] = [];
  const history: HistoryTurn[] = [];
  for (const turn of dialogue.turns) {
    const tool = byName.get(turn.tool)?.tool;
    const inGroup = tool && group.names.includes(turn.tool);
    const base = inGroup
      ? await verifySingle(tool, turn.input, turn.output, opts.judge, sink)
      : { format: NO_TOOL(turn.tool), logic: NO_TOOL(turn.tool), sem: NO_TOOL(turn.tool) };
    const coherence =
      inGroup && history.length
        ? await judgeVerdict(
            opts.judge,
            'carg-judge-coherence',
            {
              history: history.map((h) => `${h.name}: ${JSON.stringify(h.input)} → ${JSON.stringify(h.output)}`).join('\n'),
              tool: JSON.stringify(tool, null, 2),
              input: JSON.stringify(turn.input),
              output: JSON.stringify(turn.output),
            },
            sink,
          )
        : { pass: inGroup === true, reason: history.length ? 'not judged' : 'first turn: no history' };
    const final_api: Verdict = endsRight
      ? { pass: true, reason: `ends with ${final}` }
      : { pass: false, reason: `expected the last call to be ${final}, got ${dialogue.turns.at(-1)!.tool}` };
    const verdicts = { ...base, coherence, final_api };
    samples.push({
      kind: 'multi',
      toolId: byName.get(turn.tool)?.id ?? toolId,
      round: 0,
      input: turn.input,
      output: turn.output,
      history: [...history],
      context: { tool: turn.tool, context: turn.context, group: group.names, coherence: group.coherence },
      verdicts,
      accepted: Object.values(verdicts).every((v) => v.pass),
      ...(samples.length === 0 ? { calls } : {}),
    });
    history.push({ name: turn.tool, input: turn.input, output: turn.output });
  }
  await repo.saveJob(job, toolId, { turns: samples.length, coherence: group.coherence }, samples);
  return { turns: samples.length, accepted: samples.filter((s) => s.accepted).length };
}

/** The accepted tools by name and a group for each, ready for the per-tool stage loop. */
export async function groupsOfRepository(
  repo: CargRepository,
  tau: number,
  size: number,
  embedder?: Embedder,
): Promise<{ byName: Map<string, { id: number; tool: ToolTemplate }>; groupOf: (name: string) => ToolGroup }> {
  const rows = await repo.listTools(['accepted']);
  const tools = rows.map((r) => ToolTemplateSchema.parse(r.template));
  const names = rows.map((r) => r.name);
  const sim = await similarityMatrix(tools, embedder);
  const index = new Map(names.map((n, i) => [n, i]));
  return {
    byName: new Map(rows.map((r, i) => [r.name, { id: r.id, tool: tools[i]! }])),
    groupOf: (name) => groupFor(index.get(name)!, names.length, sim, tau, size, names),
  };
}
