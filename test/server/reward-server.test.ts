import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startRewardServer } from '../../src/server/reward-server.js';
import { rewardService } from '../../src/pipeline/serve-reward.js';

describe('reward server over a real socket', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startRewardServer(rewardService(), { port: 0, token: 't0k', maxBodyBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await server.close();
  });
  const post = (path: string, body: string, token = 't0k') =>
    fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });

  it('binds loopback', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('scores concurrent batches, each answered with its own rewards, and survives bad requests in between (malformed, too big, wrong token, too deep)', async () => {
    const batch = (n: number) => ({
      query: Array.from({ length: 20 }, (_, i) => `Q${n}.${i}<think>t</think><answer>${i % 2 ? 'wrong' : `gold ${n}`}</answer>`),
      prompts: Array.from({ length: 20 }, (_, i) => `Q${n}.${i}`),
      labels: Array.from({ length: 20 }, () => `gold ${n}`),
    });
    const good = Array.from({ length: 12 }, (_, n) => post('/get_reward', JSON.stringify(batch(n))));
    const bad = [
      post('/get_reward', '{"query": [1'),
      post('/score', 'x'.repeat(70 * 1024)),
      post('/score', '[]', 'wrong'),
      post('/score', '['.repeat(30_000) + ']'.repeat(30_000)),
    ];
    const [goodRes, badRes] = await Promise.all([Promise.all(good), Promise.all(bad)]);
    for (const res of goodRes) {
      expect(res.status).toBe(200);
      const body = (await res.json()) as { extra_logs: { em: number[] } };
      expect(body.extra_logs.em).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? 0 : 1)));
    }
    expect(badRes.map((r) => r.status)).toEqual([400, 413, 401, 400]);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  });

  it('refuses a port that is taken', async () => {
    await expect(startRewardServer(rewardService(), { port: server.port })).rejects.toThrow(/expected a free port/);
  });
});
