import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/server/middleware.js';
import { type ServingCli, serveCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';

// The real `mtr serve tools` process over a real socket; its model refuses every simulation (a final 400).
let fake: FakeServer;
let server: ServingCli;
let stderr = '';
beforeAll(async () => {
  fake = await startFakeOpenAI({
    respond: () => ({ status: 400, body: JSON.stringify({ error: { message: 'context length exceeded', type: 'invalid_request_error' } }) }),
  });
  server = await serveCli('tools', ['--base-url', fake.url, '--model', 'fake-model', '--max-body-bytes', '4096']);
  server.child.stderr!.on('data', (d) => (stderr += d));
}, 30_000);
afterAll(async () => {
  await server?.stop();
  await fake?.close();
});

const post = (path: string, body: string) => fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

describe('mtr serve tools on a real socket: limits hold and its own failures are logged', () => {
  it('deep JSON 400, a big body 413, a model failure 502 logged with its cause on stderr; the server lives on', async () => {
    const deep = await post('/v1/batch', '['.repeat(1000) + ']'.repeat(1000));
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { error: string }).error).toBe(
      `body: expected JSON nested at most ${MAX_JSON_DEPTH} levels deep (the depth limit), got deeper`,
    );
    const big = await post('/v1/tools/wiki_search', JSON.stringify({ query: 'x'.repeat(5000) }));
    expect(big.status).toBe(413);
    expect(fake.requests).toHaveLength(0);

    const failed = await post('/v1/tools/wiki_search', '{"query": "Paris"}');
    expect(failed.status).toBe(502);
    const { error, code } = (await failed.json()) as { error: string; code: string };
    expect(error).toContain('context length exceeded');
    const line = `mtr serve: 502 POST /v1/tools/wiki_search: ${code}: ${error}`;
    for (let i = 0; i < 50 && !stderr.includes(line); i++) await new Promise((r) => setTimeout(r, 20));
    expect(stderr).toContain(line);
    expect(stderr).not.toContain('/v1/batch'); // the 400 was the caller's mistake
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
