import { afterEach, describe, expect, it } from 'vitest';
import { baseUrlList, createChatModel, type FailedRequest, parseModelConfig } from '../../src/llm/index.js';
import { type FakeReply, type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { closedPort } from '../support/store.js';

/** Two (or more) real local servers behind one OpenAIChatModel: requests, retries and what each call reports. */
const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fake(respond: () => FakeReply = () => ({ content: 'hi' })): Promise<FakeServer> {
  const s = await startFakeOpenAI({ respond });
  servers.push(s);
  return s;
}

const config = (baseUrl: string) => parseModelConfig({ baseUrl, model: 'fake-model', maxRetries: 4, retryBaseMs: 1, retryMaxMs: 5, timeoutMs: 5000 });
const ask = { role: 'user' as const, content: 'hello' };

describe('OpenAIChatModel over a pool of servers', () => {
  it('spreads calls over both servers and names the one that answered', async () => {
    const [a, b] = [await fake(), await fake()];
    const model = await createChatModel(config(`${a.url},${b.url}`));
    const done = await Promise.all(Array.from({ length: 10 }, () => model.generate([ask])));
    expect(a.requests.length + b.requests.length).toBe(10);
    expect(done.filter((c) => c.server === a.url)).toHaveLength(a.requests.length);
    expect(done.filter((c) => c.server === b.url)).toHaveLength(b.requests.length);
    expect(a.requests.length).toBe(5); // fewest in flight: an even split
  });

  it('a URL listed twice is one server (its requests in flight counted once)', async () => {
    expect(baseUrlList(' http://a/v1, http://a/v1 ,http://b/v1,')).toEqual(['http://a/v1', 'http://b/v1']);
    const a = await fake();
    const model = await createChatModel(config(` ${a.url}, ${a.url} ,`));
    const done = await Promise.all(Array.from({ length: 4 }, () => model.generate([ask])));
    expect(done.map((c) => c.server)).toEqual([a.url, a.url, a.url, a.url]);
  });

  it('a server answering 500 is retried elsewhere, then taken out: later calls go to the healthy one only', async () => {
    const a = await fake();
    // B asks for no wait before a retry (retry-after-ms: 0) and stays out a minute (the retry base): the test
    // sees B's failures up to its taking out and none after, however slow the machine
    const b = await fake(() => ({ status: 500, headers: { 'retry-after-ms': '0' } }));
    const model = await createChatModel({ ...config(`${a.url},${b.url}`), retryBaseMs: 60_000, retryMaxMs: 60_000 });
    const failed: FailedRequest[] = [];
    for (let i = 0; i < 8; i++) {
      const c = await model.generate([ask], { onRetry: (f) => failed.push(f) });
      expect(c.server).toBe(a.url);
    }
    // each call failed on B at most once (its retry went to A); after 3 failures in a row B got no more
    expect(failed.map((f) => f.server)).toEqual([b.url, b.url, b.url]);
    expect(failed.every((f) => /HTTP 500/.test(f.error))).toBe(true);
    expect(b.requests).toHaveLength(3);
    expect(a.requests.length).toBe(8);
  });

  it('one URL: every request and retry goes to it, exactly as a single server', async () => {
    let n = 0;
    const a = await fake(() => (++n <= 3 ? { status: 503 } : { content: 'ok' }));
    const model = await createChatModel(config(a.url));
    const failed: FailedRequest[] = [];
    const c = await model.generate([ask], { onRetry: (f) => failed.push(f) });
    expect(c).toMatchObject({ text: 'ok', retries: 3, server: a.url });
    expect(failed.map((f) => f.server)).toEqual([a.url, a.url, a.url]);
    expect(a.requests).toHaveLength(4);
  });

  it('a server down at start-up starts out of the pool; none up is the usual unreachable error', async () => {
    const a = await fake();
    const dead = `http://127.0.0.1:${await closedPort()}/v1`;
    const model = await createChatModel(config(`${dead},${a.url}`));
    const calls = await Promise.all(Array.from({ length: 4 }, () => model.generate([ask])));
    expect(calls.map((c) => c.server)).toEqual([a.url, a.url, a.url, a.url]);
    await expect(createChatModel(config(`${dead},http://127.0.0.1:${await closedPort()}/v1`))).rejects.toMatchObject({
      code: 'E_MODEL_UNREACHABLE',
      message: expect.stringContaining(dead),
    });
  });

  it('a failed call names its last server (details.baseUrl), which the stored model call keeps', async () => {
    const a = await fake(() => ({ status: 500 }));
    const model = await createChatModel(parseModelConfig({ baseUrl: a.url, model: 'fake-model', maxRetries: 1, retryBaseMs: 1 }));
    await expect(model.generate([ask])).rejects.toMatchObject({ code: 'E_MODEL', details: { baseUrl: a.url } });
  });
});
