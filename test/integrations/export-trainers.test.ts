import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tableFromIPC } from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { perItemStore } from '../export/stores.js';
import { runCli, spawnCli } from '../support/cli.js';
import { REPO_ROOT } from '../support/paths.js';

/**
 * Exported GRPO rows read the way the trainers read them, by python3: verl's RLHFDataset.__getitem__ and
 * ToolAgentLoop._call_tool (what they take from `extra_info`), its tool config loader, and TRL's
 * GRPOTrainer handing every non-prompt column to reward functions; rewards from the reward functions mtr
 * ships (integrations/*) asking a real `mtr serve reward`.
 */
const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'mtr-trainers-'));
const python = async (script: string, args: string[], env: Record<string, string> = {}) =>
  JSON.parse(
    (await run('python3', ['-c', script, ...args], { env: { PATH: process.env.PATH ?? '', PYTHONDONTWRITEBYTECODE: '1', ...env }, cwd: REPO_ROOT })).stdout,
  ) as unknown;
const readParquet = (file: string): unknown[] =>
  tableFromIPC(parquetWasm.readParquet(readFileSync(file)).intoIPCStream())
    .toArray()
    .map((r) => JSON.parse(JSON.stringify(r.toJSON())));

// verl/utils/dataset/rl_dataset.py __getitem__ (extra_info part) and tool_agent_loop.py _call_tool (kwargs part), as written there
const VERL_READ = `
import json, sys
rows = json.load(open(sys.argv[1]))
config = json.loads(open(sys.argv[2]).read().split("\\n", 1)[1])  # YAML's JSON subset after the comment line
out = []
for row_dict in rows:
    if "extra_info" not in row_dict or row_dict["extra_info"] is None:
        row_dict["extra_info"] = dict()
    tools_kwargs = row_dict.get("extra_info", {}).get("tools_kwargs", {})
    offered = [t["function"]["name"] for t in json.loads(row_dict["extra_info"]["tools"])]
    created = {}
    for tool_name in offered:
        kwargs = tools_kwargs.get(tool_name, {})
        created[tool_name] = kwargs.get("create_kwargs", {})
    out.append({"agent_name": row_dict["agent_name"], "created": created, "config_tools": [t["tool_schema"]["function"]["name"] for t in config["tools"]]})
print(json.dumps(out))
`;

// trl/trainer/grpo_trainer.py _calculate_rewards: every column but prompt/completion goes to reward functions
const TRL_CALL = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("mtr_reward", "integrations/trl/mtr_reward.py")
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
inputs = [json.loads(l) for l in open(sys.argv[1])]
completions = [[{"role": "assistant", "content": "<think>ok</think>\\n<answer>%s</answer>" % (x["answers"][0] if i % 2 == 0 else "Nobody")}] for i, x in enumerate(inputs)]
keys = [key for key in inputs[0] if key not in ["prompt", "completion", "completion_ids"]]
reward_kwargs = {key: [example[key] for example in inputs] for key in keys}
print(json.dumps({"keys": keys, "rewards": module.mtr_reward(prompts=[x["prompt"] for x in inputs], completions=completions, completion_ids=[[0]] * len(inputs), trainer_state=None, **reward_kwargs)}))
`;

describe("exported GRPO rows read by the trainers' own access paths", () => {
  let per: Awaited<ReturnType<typeof perItemStore>>;
  let reward: { url: string; stop: () => Promise<unknown> };
  beforeAll(async () => {
    per = await perItemStore(join(tmp, 'store'), { count: 6 });
    const started = spawnCli(['serve', 'reward', '--port', '0']);
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      started.child.stdout!.on('data', (d) => {
        out += d;
        const m = /(http:\/\/[\d.]+:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      void started.done.then((r) => reject(new Error(`exited early: ${r.stderr}`)));
    });
    reward = { url, stop: () => (started.child.kill('SIGINT'), started.done) };
  });
  afterAll(async () => {
    await reward?.stop();
  });

  it('verl: every offered tool gets a create_kwargs dict from the parquet rows; the tool config holds the server settings', async () => {
    const out = join(tmp, 'verl');
    const r = await runCli(['export', '--db', per.path, '--out', out, '--stage', 'grpo', '--format', 'verl', '--val-ratio', '0']);
    expect(r.code, r.stderr).toBe(0);
    const rowsFile = join(tmp, 'verl-rows.json');
    writeFileSync(rowsFile, JSON.stringify(readParquet(join(out, 'train.parquet'))));
    const read = (await python(VERL_READ, [rowsFile, join(out, 'tool_config.yaml')])) as {
      agent_name: string;
      created: Record<string, { item_id: string; item: { answers: string[] } }>;
      config_tools: string[];
    }[];
    expect(read).toHaveLength(6);
    expect(read[0]!.config_tools).toEqual(['wiki_search']);
    for (const row of read) {
      expect(row.agent_name).toBe('mtr_tool_agent');
      for (const [name, kwargs] of Object.entries(row.created)) {
        expect(kwargs.item_id, name).toMatch(/\S/);
        expect(kwargs.item.answers.length).toBeGreaterThan(0);
        expect(name).toMatch(/^(lookup_fact_\d|wiki_search)$/);
      }
    }
  });

  it('TRL: the gold columns reach mtr_reward as GRPOTrainer passes them; right answers outscore wrong ones', async () => {
    const out = join(tmp, 'trl');
    const r = await runCli(['export', '--db', per.path, '--out', out, '--stage', 'grpo', '--format', 'trl', '--val-ratio', '0']);
    expect(r.code, r.stderr).toBe(0);
    const { keys, rewards } = (await python(TRL_CALL, [join(out, 'train.jsonl')], { MTR_REWARD_URL: reward.url })) as { keys: string[]; rewards: number[] };
    expect(keys).toEqual(['answers', 'data_source', 'id']);
    expect(rewards).toHaveLength(6);
    expect(Math.min(...rewards.filter((_, i) => i % 2 === 0))).toBeGreaterThan(Math.max(...rewards.filter((_, i) => i % 2)));
  });
});
