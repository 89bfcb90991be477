import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REWARD_CONFIG } from '../../src/reward/config.js';
import { scoreRollout } from '../../src/reward/input.js';
import { defaultInstructions } from '../../src/pipeline/prompt-instructions.js';
import { serveCli, type ServingCli } from '../support/cli.js';
import { REPO_ROOT } from '../support/paths.js';

/**
 * The Python files mtr ships for trainers, run by python3 against real `mtr serve reward` processes started
 * as the README starts them (with and without --token), called the way verl, TRL and OpenRLHF call them.
 */
const run = promisify(execFile);
const VERL = join(REPO_ROOT, 'integrations/verl/mtr_reward.py');
const TRL = join(REPO_ROOT, 'integrations/trl/mtr_reward.py');

type Server = ServingCli;
const serveReward = (args: string[]): Promise<Server> => serveCli('reward', args);

const python = async (script: string, env: Record<string, string>): Promise<{ out: unknown; stderr: string }> => {
  const { stdout, stderr } = await run('python3', ['-c', script], {
    env: { PATH: process.env.PATH ?? '', PYTHONDONTWRITEBYTECODE: '1', ...env },
    cwd: REPO_ROOT,
  });
  return { out: JSON.parse(stdout), stderr };
};
const pythonFails = (script: string, env: Record<string, string>) =>
  run('python3', ['-c', script], { env: { PATH: process.env.PATH ?? '', PYTHONDONTWRITEBYTECODE: '1', ...env } }).then(
    () => '',
    (e: { stderr: string }) => e.stderr,
  );

// Rollouts as verl's Search-R1 data carries them (data_source searchR1_*, ground_truth {"target": [...]}) and mtr's own.
const R1 =
  '<think>Where did they play?</think>\n<search> Tinted Windows first show </search>\n\n<information>Doc 1(Title: Tinted Windows) The band played its first show in Tulsa.</information>\n\n<think>Tulsa.</think>\n<answer> Tulsa </answer>';
const HERMES =
  '<think>look</think>\n<tool_call>\n{"name":"wiki_search","arguments":{"query":"Tinted Windows"}}\n</tool_call>\nuser\n<tool_response>\n{"results":[{"title":"Tinted Windows","text":"First show in Tulsa."}]}\n</tool_response>\nassistant\n<think>ok</think>\n<answer>Tulsa</answer>';
const ROWS = [
  { data_source: 'searchR1_nq', solution_str: R1, ground_truth: { target: ['Tulsa'] } },
  { data_source: 'searchR1_hotpotqa', solution_str: R1.replace('<answer> Tulsa </answer>', '<answer> Tulsa'), ground_truth: { target: ['Tulsa'] } },
  { data_source: 'hotpotqa', solution_str: HERMES, ground_truth: ['Oklahoma', 'Tulsa'] },
  { data_source: 'bdsaglam/musique', solution_str: HERMES.replace('<answer>Tulsa', '<answer>Paris'), ground_truth: 'Tulsa' },
  { data_source: 'nq', solution_str: '<think>hm</think>', ground_truth: { target: ['Tulsa'] } },
];
const expected = ROWS.map((r) => {
  const gold = Array.isArray(r.ground_truth) ? r.ground_truth : typeof r.ground_truth === 'string' ? [r.ground_truth] : r.ground_truth.target;
  return scoreRollout(
    { data_source: r.data_source, completion: r.solution_str, answers: gold },
    DEFAULT_REWARD_CONFIG,
    { file: 'rows' },
    { instructions: defaultInstructions() },
  );
});

const VERL_CALL = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("custom_module", ${JSON.stringify(VERL)})
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
rows = json.loads(sys.argv[1]) if len(sys.argv) > 1 else ${JSON.stringify(JSON.stringify(ROWS))}
rows = json.loads(rows) if isinstance(rows, str) else rows
fn = getattr(module, "compute_score")
# verl's managers: keyword arguments, extra_info carries num_turns and rollout_reward_scores
print(json.dumps([fn(data_source=r["data_source"], solution_str=r["solution_str"], ground_truth=r["ground_truth"], extra_info={"index": i, "num_turns": 2, "rollout_reward_scores": {}}) for i, r in enumerate(rows)]))
`;

const TRL_CALL = `
import importlib.util, json
spec = importlib.util.spec_from_file_location("mtr_reward", ${JSON.stringify(TRL)})
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
prompts = [[{"role": "user", "content": "Where did Tinted Windows first play?"}]] * 3
completions = [[{"role": "assistant", "content": ${JSON.stringify(HERMES.split('\nuser\n')[0])}}, {"role": "tool", "name": "wiki_search", "content": "First show in Tulsa."}, {"role": "assistant", "content": "<think>ok</think>\\n<answer>Tulsa</answer>"}],
               [{"role": "assistant", "content": "<think>ok</think>\\n<answer>Paris</answer>"}],
               [{"role": "assistant", "content": "<think>ok</think>"}]]
logged = []
conversational = module.mtr_reward(prompts=prompts, completions=completions, completion_ids=[[1], [2], [3]],
    answers=[["Tulsa"], ["Tulsa"], ["Tulsa"]], data_source=["hotpotqa", "hotpotqa", "hotpotqa"], id=["a", "b", "c"],
    trainer_state=None, log_extra=lambda *a, **k: None, log_metric=lambda *a, **k: None)
plain = module.mtr_reward(prompts=["Q", "Q", "Q", "Q"], completions=[${JSON.stringify(R1)}, "<think>x</think><answer>Tulsa</answer>", "<think>x</think><answer>1973</answer>", "<answer>x</answer>"],
    completion_ids=[[1]] * 4, golden_answers=[["Tulsa"], ["Tulsa"], [1973], None], data_source=["searchR1_nq", "nq", "nq", "nq"], trainer_state=None)
print(json.dumps({"conversational": conversational, "plain": plain}))
`;

describe.each([
  ['without a token', [] as string[], {} as Record<string, string>],
  ['with --token', ['--token', 's3cret'], { MTR_REWARD_TOKEN: 's3cret' }],
])('Python reward functions against `mtr serve reward` %s', (_name, args, tokenEnv) => {
  let server: Server;
  beforeAll(async () => {
    server = await serveReward(args);
  });
  afterAll(async () => {
    await server.stop();
  });

  it("verl compute_score (loaded as verl's custom_reward_function loads it) returns mtr score's reward", async () => {
    const { out } = await python(VERL_CALL, { MTR_REWARD_URL: server.url, ...tokenEnv });
    const results = out as Record<string, number>[];
    expect(results.map((r) => r.score)).toEqual(expected.map((e) => e.reward));
    expect(results.map((r) => r.score)).toEqual([1, 0, 1, expect.any(Number), 0]);
    for (const [i, r] of results.entries()) {
      expect(Object.keys(r).sort()).toEqual(['consistency', 'cover_em', 'efficiency', 'em', 'error', 'f1', 'format', 'precision', 'recall', 'score']);
      expect(r.format).toBe(expected[i]!.components.format);
    }
  });

  it('verl compute_score stops on an unknown data_source and scores a bad label 0', async () => {
    const rows = JSON.stringify([{ data_source: 'openai/gsm8k', solution_str: R1, ground_truth: '4' }]);
    expect(
      await pythonFails(`${VERL_CALL.replace('len(sys.argv) > 1', 'True')}`.replace('sys.argv[1]', JSON.stringify(rows)), {
        MTR_REWARD_URL: server.url,
        ...tokenEnv,
      }),
    ).toMatch(/ValueError: mtr reward: data_source: expected one of .*got "openai\/gsm8k"/);
    const bad = JSON.stringify([
      { data_source: 'nq', solution_str: R1, ground_truth: null },
      { data_source: 'nq', solution_str: R1, ground_truth: 1973 },
    ]);
    const { out, stderr } = await python(VERL_CALL.replace('len(sys.argv) > 1', 'True').replace('sys.argv[1]', JSON.stringify(bad)), {
      MTR_REWARD_URL: server.url,
      ...tokenEnv,
    });
    const [nullLabel, numberLabel] = out as { score: number; em: number; error: number }[];
    expect(nullLabel).toMatchObject({ score: 0, error: 1 });
    expect(numberLabel).toMatchObject({ em: 0, error: 0 }); // scored: "1973" is not "Tulsa"
    expect(stderr).toMatch(/mtr reward: scored 0: labels\[0\]: expected a gold answer/);
  });

  it("TRL mtr_reward takes GRPOTrainer's call: conversational and plain completions, gold from dataset columns", async () => {
    const { out, stderr } = await python(TRL_CALL, { MTR_REWARD_URL: server.url, ...tokenEnv });
    const { conversational, plain } = out as { conversational: number[]; plain: number[] };
    expect(conversational[0]).toBe(1);
    expect(conversational[1]).toBeLessThan(0.5);
    expect(conversational[2]).toBe(0);
    expect(plain[0]).toBe(1);
    expect(plain[1]).toBeCloseTo(0.9, 12); // right, but no search to ground it: consistency 0
    expect(plain[2]).toBeCloseTo(0.9, 12); // numeric gold 1973 read as "1973"
    expect(plain[3]).toBe(0);
    expect(stderr).toMatch(/scored 0: request: items\[3\]\.answer: expected a gold answer/);
  });
});

describe('token paths', () => {
  let server: Server;
  beforeAll(async () => {
    server = await serveReward(['--token', 'a/b+c s3cret']);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('a recipe without the token gets 401 with a message naming the ways to send it', async () => {
    const stderr = await pythonFails(VERL_CALL, { MTR_REWARD_URL: server.url });
    expect(stderr).toMatch(
      /RuntimeError: mtr reward server http:\/\/127\.0\.0\.1:\d+\/get_reward answered 401: .*expected the token as .*Authorization: Bearer <token>.*got none/,
    );
  });

  it("OpenRLHF's --remote_rm_url http://mtr:TOKEN@host/get_reward: URL userinfo becomes Basic auth, as requests and aiohttp send it", async () => {
    // requests: prepare_auth → get_auth_from_url (urlparse + unquote) → HTTPBasicAuth; aiohttp: strip_auth_from_url → BasicAuth.
    const script = `
import base64, json, sys, urllib.parse, urllib.request, urllib.error
def post(remote_rm_url, payload):
    parsed = urllib.parse.urlparse(remote_rm_url)
    user, password = urllib.parse.unquote(parsed.username or ""), urllib.parse.unquote(parsed.password or "")
    bare = parsed._replace(netloc=parsed.hostname + (":%d" % parsed.port if parsed.port else "")).geturl()
    headers = {"Content-Type": "application/json", "Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode("latin1")).decode()}
    try:
        with urllib.request.urlopen(urllib.request.Request(bare, data=json.dumps(payload).encode(), headers=headers, method="POST")) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
host = ${JSON.stringify(server.url.replace('http://', ''))}
token = urllib.parse.quote("a/b+c s3cret", safe="")
payload = {"query": ["<|im_start|>user\\nQ<|im_end|>\\n<|im_start|>assistant\\n<think>t</think><answer>Tulsa</answer><|im_end|>", "x"], "prompts": ["<|im_start|>user\\nQ<|im_end|>\\n<|im_start|>assistant\\n", "x"], "labels": ["Tulsa", None]}
print(json.dumps([post("http://mtr:%s@%s/get_reward" % (token, host), payload), post("http://mtr:wrong@%s/get_reward" % host, payload)]))
`;
    const { out } = await python(script, {});
    const [[okStatus, ok], [badStatus]] = out as [[number, { rewards: number[]; errors: (string | null)[]; extra_logs: { error: number[] } }], [number]];
    expect(okStatus).toBe(200);
    expect(ok.rewards[0]).toBeCloseTo(0.9, 12); // EM 1, no search to ground it
    expect(ok.rewards[1]).toBe(0);
    expect(ok.extra_logs.error).toEqual([0, 1]);
    expect(ok.errors[1]).toMatch(/labels\[1\]: expected a gold answer/);
    expect(badStatus).toBe(401);
  });
});
