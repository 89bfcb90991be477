import type { DatasetItem } from '../schema/item.js';
import type { RunTool } from '../schema/trace.js';
import { MTR_TOOL_AGENT, VERL_ABILITY, VERL_TOOL_AGENT, verlTools } from './verl.js';
import type { SplitName } from './split.js';

/** One Stage-2 prompt: the question, the tools ToolMaker made for it, the gold answers and the canonical data_source. */
export interface GrpoExample {
  item: DatasetItem;
  tools: RunTool[];
  dataSource: string;
  system?: string;
}

const chatPrompt = (e: GrpoExample) => [...(e.system ? [{ role: 'system', content: e.system }] : []), { role: 'user', content: e.item.question }];

export interface VerlRowOptions {
  /** every row offers the same tools (verl's tool_agent), or each item its own (mtr_tool_agent) */
  perItemTools: boolean;
}

/**
 * verl's RL row (as its data_preprocess scripts write them; Search-R1's `ground_truth: {target: [...]}`).
 * `tools_kwargs[name].create_kwargs` gives each tool the item to ground on, as MtrTool grounds a session
 * (integrations/verl/mtr_tool.py): `item_id` for a server started with --from-run, `item` {question, answers}
 * for any other; ToolMaker's template too when tools differ per item. With one tool set for the whole export every row
 * has the same keys, so datasets/pyarrow never fill a null in; per-item rows go to mtr_tool_agent, which
 * reads only the row's own tools (`extra_info.tools`, verl-shaped OpenAI functions as JSON).
 */
export function verlRow(e: GrpoExample, split: SplitName, index: number, o: VerlRowOptions) {
  const item = { item_id: e.item.id, item: { question: e.item.question, answers: e.item.answers } };
  const createKwargs = (t: RunTool) => (o.perItemTools ? { ...item, tool: JSON.stringify(t.tool) } : item);
  return {
    data_source: e.dataSource,
    agent_name: o.perItemTools ? MTR_TOOL_AGENT : VERL_TOOL_AGENT,
    prompt: chatPrompt(e),
    ability: VERL_ABILITY,
    reward_model: { style: 'rule', ground_truth: { target: e.item.answers } },
    extra_info: {
      split,
      index,
      id: e.item.id,
      question: e.item.question,
      need_tools_kwargs: true,
      tools_kwargs: Object.fromEntries(e.tools.map((t) => [t.tool.api_name, { create_kwargs: createKwargs(t) }])),
      tools: JSON.stringify(verlTools(e.tools)),
    },
  };
}

/**
 * TRL `GRPOTrainer` row: a conversational `prompt`; every other column reaches reward functions as a
 * keyword argument (grpo_trainer.py `_calculate_rewards`), so the gold aliases ride along as `answers`.
 * Tools are not a dataset column in GRPO: the trainer takes callables (`tools=`) and its chat template lists them.
 */
export const trlGrpoRow = (e: GrpoExample, prompt: { role: string; content: string }[] = chatPrompt(e)) => ({
  prompt,
  answers: e.item.answers,
  data_source: e.dataSource,
  id: e.item.id,
});

/** The data_sources Search-R1's trainer scores (verl/trainer/main_ppo.py `_select_rm_score_fn`); any other raises there. */
export const SEARCH_R1_DATA_SOURCES = ['nq', 'triviaqa', 'popqa', 'hotpotqa', '2wikimultihopqa', 'musique', 'bamboogle'] as const;

/** Search-R1's `extra_info.split` names the held-out split `test` (scripts/data_process/nq_search.py). */
const searchR1Split = (split: SplitName) => (split === 'validation' ? 'test' : split);

/** Exactly the row Search-R1's nq_search.py writes: its instruction as the only (user) turn, `fact-reasoning`. */
export const searchR1GrpoRow = (e: GrpoExample, prefix: string, split: SplitName, index: number) => ({
  data_source: e.dataSource,
  prompt: [{ role: 'user', content: prefix }],
  ability: 'fact-reasoning',
  reward_model: { style: 'rule', ground_truth: { target: e.item.answers } },
  extra_info: { split: searchR1Split(split), index },
});
