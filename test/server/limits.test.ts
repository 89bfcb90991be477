import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRewardApp } from '../../src/server/reward-app.js';
import { rewardService } from '../../src/pipeline/serve-reward.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../src/server/middleware.js';
import { createToolsApp } from '../../src/server/tools-app.js';
import type { FakeReply, FakeRequest } from '../support/openai-server.js';
import { simulated, toolsFixture, type ToolsFixture } from './tools-fixture.js';

let fx: ToolsFixture;
let reply: (req: FakeRequest, i: number) => FakeReply;
let stderr: string[];

beforeAll(async () => {
  fx = await toolsFixture({ fake: { respond: (req, i) => reply(req, i) } });
});
afterAll(() => fx.close());
beforeEach(() => {
  reply = simulated;
  fx.fake.requests.length = 0;
  stderr = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

/** `n` nested arrays (the outermost is level 1), as text: JSON.parse takes 100k of them, JSON.stringify a few thousand. */
const nested = (n: number, inner = ''): string => '['.repeat(n) + inner + ']'.repeat(n);
const MCP_HEADERS = { accept: 'application/json, text/event-stream' };
const send = (
  app: { request: (p: string, i: RequestInit) => Response | Promise<Response> },
  path: string,
  body: string,
  method = 'POST',
  headers: Record<string, string> = {},
) => app.request(path, { method, body, headers: { 'content-type': 'application/json', ...MCP_HEADERS, ...headers } });
const errorOf = async (res: Response): Promise<string> => {
  const body = (await res.json()) as { error: string | { message: string } };
  return typeof body.error === 'string' ? body.error : body.error.message;
};
const DEPTH = new RegExp(`expected JSON nested at most ${MAX_JSON_DEPTH} levels deep \\(the depth limit\\), got deeper`);

describe('request bodies: depth limit (400) and size limit (413) on every route', () => {
  const reward = () => createRewardApp(rewardService());
  const tools = (maxBodyBytes?: number) => createToolsApp(fx.service, maxBodyBytes ? { maxBodyBytes } : {}).app;

  it('100k nested arrays anywhere in a body answer 400 naming the depth limit, on every route; no model is asked', async () => {
    const deep = nested(100_000);
    const cases: [ReturnType<typeof reward> | ReturnType<typeof tools>, string, string, string?][] = [
      [reward(), '/get_reward', deep],
      [reward(), '/get_reward', `{"query": ["q<answer>a</answer>"], "labels": [${deep}]}`],
      [reward(), '/score', deep],
      [reward(), '/score', `{"items": [{"completion": "<answer>a</answer>", "answer": ${deep}}]}`],
      [tools(), '/v1/tools/wiki_search', deep],
      [tools(), '/v1/tools/wiki_search', `{"query": ${deep}}`],
      [tools(), '/v1/batch', deep],
      [tools(), '/v1/batch', `{"calls": [{"name": "wiki_search", "arguments": {"query": "x", "top_k": ${deep}}}]}`],
      [tools(), '/v1/sessions/s1', `{"item": ${deep}}`, 'PUT'],
      [tools(), '/virtual', `{"category": "c", "tool_name": "t", "api_name": "wiki_search", "tool_input": ${deep}}`],
      [tools(), '/retrieve', `{"queries": ${deep}}`],
      [tools(), '/mcp', `{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": ${deep}}`],
    ];
    for (const [app, path, body, method] of cases) {
      const res = await send(app, path, body, method);
      expect(res.status, `${path} ${body.slice(0, 50)}`).toBe(400);
      expect(await errorOf(res), path).toMatch(new RegExp(`^body: ${DEPTH.source}`));
    }
    expect(fx.fake.requests).toHaveLength(0);
    expect(stderr.join('')).toBe(''); // the caller's mistake, not ours: nothing to log
  });

  it('depth counts arrays and objects alike, the outermost as level 1; scalars and bracket characters in strings are no level', () => {
    const three = { a: [{ b: 1, c: '[[[[' }], d: null };
    expect(nestsDeeperThan(three, 3)).toBe(false);
    expect(nestsDeeperThan(three, 2)).toBe(true);
    expect(nestsDeeperThan([[], [[{}]]], 3)).toBe(true);
    expect(nestsDeeperThan('[[[', 0)).toBe(false);
    expect(nestsDeeperThan(JSON.parse(nested(100_000)), MAX_JSON_DEPTH)).toBe(true);
  });

  it(`JSON nested ${MAX_JSON_DEPTH} deep is served; one level more is refused`, async () => {
    const at = (depth: number) => send(tools(), '/v1/tools/wiki_search', `{"query": "x", "extra": ${nested(depth - 1)}}`);
    const ok = await at(MAX_JSON_DEPTH);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ source: 'precheck', error: { type: 'excess_parameter', parameter: 'extra' } });
    const over = await at(MAX_JSON_DEPTH + 1);
    expect(over.status).toBe(400);
    expect(await errorOf(over)).toMatch(DEPTH);
  });

  it("JSON inside a string field gets the same limit: /virtual's tool_input", async () => {
    const res = await send(tools(), '/virtual', JSON.stringify({ category: 'c', tool_name: 't', api_name: 'wiki_search', tool_input: nested(100_000) }));
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatch(new RegExp(`^tool_input: ${DEPTH.source}`));
    // a label given as JSON text that nests too deep is read as one plain answer, as any label text that is no list
    const label = await send(reward(), '/get_reward', JSON.stringify({ query: ['<answer>x</answer>'], labels: [nested(100_000, '"x"')] }));
    expect(label.status).toBe(200);
    expect(await label.json()).toMatchObject({ errors: [null] });
  });

  it('an MCP session refuses a deep message too (the body is parsed before the transport sees it)', async () => {
    const app = tools();
    const init = await send(
      app,
      '/mcp',
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    );
    expect(init.status).toBe(200);
    const session = init.headers.get('mcp-session-id')!;
    const call = (args: string) =>
      send(app, '/mcp', `{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "wiki_search", "arguments": ${args}}}`, 'POST', {
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-06-18',
      });
    const deep = await call(`{"query": ${nested(100_000)}}`);
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700, message: expect.stringMatching(DEPTH) } });
    const fine = await call('{"query": "Paris"}');
    expect(fine.status).toBe(200);
    expect(await fine.json()).toMatchObject({ id: 2, result: { structuredContent: { results: [{ title: 'simulated#0' }] } } });
    expect(fx.fake.requests).toHaveLength(1);
  });

  it('a body over the size limit answers 413 naming the limit, on every route', async () => {
    const big = JSON.stringify({ query: 'x'.repeat(3000) });
    const cases: [ReturnType<typeof reward> | ReturnType<typeof tools>, string, string?][] = [
      [createRewardApp(rewardService(), { maxBodyBytes: 2000 }), '/get_reward'],
      [createRewardApp(rewardService(), { maxBodyBytes: 2000 }), '/score'],
      ...(['/v1/tools/wiki_search', '/v1/batch', '/virtual', '/retrieve', '/mcp'] as const).map((p): [ReturnType<typeof tools>, string] => [tools(2000), p]),
      [tools(2000), '/v1/sessions/s1', 'PUT'],
    ];
    for (const [app, path, method] of cases) {
      const res = await send(app, path, big, method);
      expect(res.status, path).toBe(413);
      expect(await errorOf(res)).toBe('body: expected at most 2000 bytes (the size limit, --max-body-bytes), got more');
    }
  });
});

describe('failures of ours: one error handler, every 5xx on stderr with its cause', () => {
  it('an exception inside the reward server is a 500 E_INTERNAL for the caller and its stack on stderr', async () => {
    const app = createRewardApp(
      rewardService({
        scorers: {
          qa: () => {
            throw new TypeError('scorer bug: cannot read x of undefined');
          },
        },
      }),
    );
    const res = await send(app, '/get_reward', JSON.stringify({ query: ['<answer>a</answer>'], labels: ['a'] }));
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal error', code: 'E_INTERNAL' });
    const log = stderr.join('');
    expect(log).toMatch(/^mtr serve: 500 POST \/get_reward: TypeError: scorer bug: cannot read x of undefined\n\s+at /);
  });

  it('a model that refuses the simulator: 502 with the reason, logged; a batch entry and a /virtual reply log it too', async () => {
    reply = () => ({ status: 400, body: JSON.stringify({ error: { message: 'context length exceeded', type: 'invalid_request_error' } }) });
    const app = createToolsApp(fx.service).app;
    const one = await send(app, '/v1/tools/wiki_search', '{"query": "Paris"}');
    expect(one.status).toBe(502);
    const { error, code } = (await one.json()) as { error: string; code: string };
    expect(code).toMatch(/^E_MODEL/);
    expect(error).toContain('context length exceeded');
    expect(stderr[0]).toBe(`mtr serve: 502 POST /v1/tools/wiki_search: ${code}: ${error}\n`);

    const batch = await send(
      app,
      '/v1/batch',
      JSON.stringify({
        calls: [
          { name: 'wiki_search', arguments: { query: 'Rome' } },
          { name: 'wiki_search', arguments: { query: 7 } },
        ],
      }),
    );
    expect(batch.status).toBe(200);
    const { results } = (await batch.json()) as { results: [{ failure: { code: string; message: string } }, { source: string }] };
    expect(results[0].failure.message).toContain('context length exceeded');
    expect(results[1]).toMatchObject({ source: 'precheck' }); // the bad call is the caller's: answered, not logged
    expect(stderr[1]).toMatch(/^mtr serve: POST \/v1\/batch wiki_search: E_MODEL\w*: .*context length exceeded/);

    const virtual = await send(app, '/virtual', JSON.stringify({ category: 'c', tool_name: 't', api_name: 'wiki_search', tool_input: '{"query": "Oslo"}' }));
    expect(await virtual.json()).toMatchObject({ error: 'API not working error...', response: expect.stringContaining('context length exceeded') });
    expect(stderr[2]).toMatch(/^mtr serve: POST \/virtual wiki_search: E_MODEL\w*: .*context length exceeded/);
    expect(stderr).toHaveLength(3);
  });

  it('4xx are not logged', async () => {
    await send(createRewardApp(rewardService()), '/score', '{"items": [');
    await send(createToolsApp(fx.service).app, '/v1/batch', 'null');
    expect(stderr).toEqual([]);
  });
});

describe('"got X" names what came: null, a list, a string', () => {
  it('each route says "got null" for a null body or field, never "got object"', async () => {
    const reward = createRewardApp(rewardService());
    const tools = createToolsApp(fx.service).app;
    const cases: [typeof reward, string, string, string, string?][] = [
      [reward, '/score', 'null', 'body: expected a list of rollouts or {"items": [...]}, got null'],
      [reward, '/score', '{"items": null}', 'body: expected a list of rollouts or {"items": [...]}, got "items": null'],
      [reward, '/score', '{"rollouts": []}', 'body: expected a list of rollouts or {"items": [...]}, got an object without "items"'],
      [reward, '/score', '"text"', 'body: expected a list of rollouts or {"items": [...]}, got a string'],
      [reward, '/get_reward', 'null', 'body: expected {"query": [...], "prompts": [...], "labels": [...]}, got null'],
      [reward, '/get_reward', '[1]', 'body: expected {"query": [...], "prompts": [...], "labels": [...]}, got a list'],
      [reward, '/get_reward', '{"query": null}', 'query: expected a list, got null'],
      [reward, '/get_reward', '{"query": {"a": 1}}', 'query: expected a list, got an object'],
      [reward, '/get_reward', '{"query": [null]}', 'query[0]: expected a string, got null'],
      [reward, '/get_reward', '{"query": ["x"], "labels": null}', 'labels: expected 1 gold answers (one per query), got null'],
      [tools, '/v1/batch', 'null', 'body: expected {"calls": [{"name", "arguments"}, ...]} or a list of calls, got null'],
      [tools, '/v1/batch', '[null]', 'calls[0]: expected {"name", "arguments"}, got null'],
      [tools, '/retrieve', 'null', 'body: expected {"queries": [...], "topk": k, "return_scores": true}, got null'],
      [tools, '/retrieve', '{"queries": null}', 'queries: expected a list of strings, got null'],
      [tools, '/virtual', 'null', 'body: expected {"category", "tool_name", "api_name", "tool_input", "strip"}, got null'],
      [
        tools,
        '/v1/sessions/s1',
        'null',
        'item: expected {"item": {"question", "answers", "context"?}, "position"?: {"index", "total"}} or {"item_id"}, got null',
        'PUT',
      ],
    ];
    for (const [app, path, body, message, method] of cases) {
      const res = await send(app, path, body, method);
      expect(res.status, `${path} ${body}`).toBe(400);
      expect(await errorOf(res)).toBe(message);
    }
  });

  it('a value shown in a message is cut at 80 characters (a body may be megabytes)', async () => {
    const res = await send(createToolsApp(fx.service).app, '/retrieve', JSON.stringify({ queries: ['q'], topk: 'x'.repeat(10_000) }));
    const message = await errorOf(res);
    expect(message).toBe(`topk: expected a whole number ≥ 0 or null, got "${'x'.repeat(79)}…`);
  });
});
