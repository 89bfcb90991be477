import { describe, expect, it } from 'vitest';
import { responseOf } from '../../src/reward/response.js';
import { rewardService } from '../../src/pipeline/serve-reward.js';
import { createRewardApp, labelGold } from '../../src/server/reward-app.js';

const GOOD =
  '<think>s</think><tool_call>{"name":"search","arguments":{"q":"x"}}</tool_call><tool_response>Tulsa it is.</tool_response><think>ok</think><answer>Tulsa</answer>';
const post = (app: ReturnType<typeof createRewardApp>, path: string, body: string, headers: Record<string, string> = {}) =>
  app.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

describe('reward app (no socket)', () => {
  const app = createRewardApp(rewardService(), { token: 'secret', maxBodyBytes: 2000 });
  const auth = { authorization: 'Bearer secret' };

  it('answers /get_reward in the OpenRLHF shape, stripping the prompt', async () => {
    const res = await post(
      app,
      '/get_reward',
      JSON.stringify({ query: [`PROMPT${GOOD}`, `PROMPT<answer>Paris</answer>`], prompts: ['PROMPT', 'PROMPT'], labels: ['Tulsa', '["Oklahoma", "Tulsa"]'] }),
      auth,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rewards: number[]; scores: number[]; extra_logs: Record<string, number[]> };
    expect(body.rewards[0]).toBe(1);
    expect(body.rewards[1]).toBeLessThan(0.5);
    expect(body.scores).toEqual(body.rewards);
    expect(body.extra_logs.em).toEqual([1, 0]);
  });

  it('answers /score with results and a summary', async () => {
    const res = await post(app, '/score', JSON.stringify({ items: [{ completion: GOOD, answer: 'Tulsa' }] }), auth);
    const body = (await res.json()) as { results: { reward: number }[]; summary: Record<string, unknown> };
    expect(body.results[0]!.reward).toBe(1);
    expect(body.summary.reward).toEqual({ mean: 1, p50: 1, p90: 1 });
  });

  it('rejects bad input with 4xx and a message', async () => {
    const cases: [string, string, Record<string, string>, number, RegExp][] = [
      ['/get_reward', '{"query": ["a"], "labels": ["x"]}', {}, 401, /Bearer/],
      ['/get_reward', '{"query": ["a"], "labels": ["x"]}', { authorization: 'Bearer nope' }, 401, /wrong token/],
      ['/get_reward', '{"query": [', auth, 400, /expected JSON/],
      ['/get_reward', '', auth, 400, /empty body/],
      ['/get_reward', '{"query": "a", "labels": ["x"]}', auth, 400, /query: expected a list/],
      ['/get_reward', '{"query": ["a"], "labels": []}', auth, 400, /labels: expected 1 gold answers/],
      ['/get_reward', '{"query": ["a"], "prompts": ["a", "b"], "labels": ["x"]}', auth, 400, /prompts: expected 1 entries/],
      ['/get_reward', '{"query": ["a"], "labels": ["x"], "dialect": "xml"}', auth, 400, /dialect: expected one of hermes, search-r1, got "xml"/],
      ['/score', '"hello"', auth, 400, /expected a list of rollouts/],
      ['/score', JSON.stringify([{ completion: 'x'.repeat(3000), answer: 'y' }]), auth, 413, /at most 2000 bytes/],
    ];
    for (const [path, body, headers, status, message] of cases) {
      const res = await post(app, path, body, headers);
      expect(res.status, `${path} ${body.slice(0, 40)}`).toBe(status);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
    expect((await app.request('/nope')).status).toBe(404);
    expect((await app.request('/health')).status).toBe(200);
  });

  it('reads labels and responses as trainers send them', () => {
    expect(labelGold({ target: ['a', 'b'] }, 'l')).toEqual(['a', 'b']);
    expect(labelGold('[not json', 'l')).toEqual(['[not json']);
    expect(responseOf('<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<answer>x</answer>')).toBe('<answer>x</answer>');
    expect(responseOf('PQ<answer>x</answer>', { prompt: 'PQ' })).toBe('<answer>x</answer>');
  });

  it('scores a bad item 0 with its reason and the rest of the batch as usual', async () => {
    const res = await post(
      app,
      '/get_reward',
      JSON.stringify({ query: [GOOD, GOOD, GOOD, GOOD], labels: ['Tulsa', null, 7, 'Tulsa'], data_sources: ['hotpotqa', 'nq', 'nq', 'gsm8k'] }),
      auth,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rewards: number[]; extra_logs: Record<string, number[]>; errors: (string | null)[] };
    expect(body.rewards).toEqual([1, 0, 0, 0]);
    expect(body.extra_logs.error).toEqual([0, 1, 1, 1]);
    expect(body.extra_logs.em).toEqual([1, 0, 0, 0]);
    expect(body.errors[0]).toBeNull();
    expect(body.errors[1]).toMatch(/^labels\[1\]: expected a gold answer .*got null/);
    expect(body.errors[2]).toMatch(/^labels\[2\]: expected a gold answer .*got 7/);
    expect(body.errors[3]).toMatch(/^data_source: expected one of .*got "gsm8k"/);
    // every extra_logs value is a number: OpenRLHF makes a tensor of each
    expect(
      Object.values(body.extra_logs)
        .flat()
        .every((v) => typeof v === 'number'),
    ).toBe(true);
    const score = await post(
      app,
      '/score',
      JSON.stringify({ items: [{ completion: GOOD, answer: 'Tulsa' }, { completion: 'x' }, { completion: GOOD, answer: 'Tulsa', dialect: 'xml' }] }),
      auth,
    );
    expect(score.status).toBe(200);
    const scored = (await score.json()) as { results: { reward: number; error?: string }[] };
    expect(scored.results.map((r) => r.reward)).toEqual([1, 0, 0]);
    expect(scored.results[1]!.error).toMatch(/^request: items\[1\]\.answer: expected a gold answer/);
    expect(scored.results[2]!.error).toMatch(/items\[2\]\.dialect: expected one of hermes, search-r1, got "xml"/);
  });

  it("parses searchR1_* sources, a dialect field, and the server's configured dialect in Search-R1's tags", async () => {
    const r1 = '<think>t</think>\n<search> q </search>\n\n<information>Doc 1(Title: Tulsa) Tulsa.</information>\n\n<think>ok</think>\n<answer> Tulsa </answer>';
    const res = await post(
      app,
      '/get_reward',
      JSON.stringify({
        query: [r1, r1, r1],
        labels: ['Tulsa', 'Tulsa', 'Tulsa'],
        data_sources: ['searchR1_nq', 'nq', 'nq'],
        dialects: ['hermes', 'hermes', 'search-r1'],
      }),
      auth,
    );
    const body = (await res.json()) as { rewards: number[]; extra_logs: Record<string, number[]> };
    expect(body.extra_logs.format).toEqual([0, 0, 1]);
    expect(body.extra_logs.consistency).toEqual([0, 0, 1]);
    const configured = createRewardApp(
      rewardService({ config: { ...(await import('../../src/reward/config.js')).DEFAULT_REWARD_CONFIG, dialect: 'search-r1' } }),
    );
    const r = (await (await post(configured, '/get_reward', JSON.stringify({ query: [r1], labels: [{ target: ['Tulsa'] }] }))).json()) as { rewards: number[] };
    expect(r.rewards).toEqual([1]);
    const fromSource = (await (
      await post(app, '/get_reward', JSON.stringify({ query: [r1], labels: ['Tulsa'], data_source: 'searchR1_nq' }), auth)
    ).json()) as { rewards: number[] };
    expect(fromSource.rewards).toEqual([1]);
  });
});
