import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { createToolsApp, SESSION_HEADER } from '../../src/server/tools-app.js';
import type { FakeReply, FakeRequest } from '../support/openai-server.js';
import { promptOf, SEAL, simulated, toolsFixture, type ToolsFixture } from './tools-fixture.js';

let fx: ToolsFixture;
let reply: (req: FakeRequest, i: number) => FakeReply;

beforeAll(async () => {
  fx = await toolsFixture({ fake: { respond: (req, i) => reply(req, i) } });
});
afterAll(() => fx.close());
beforeEach(() => {
  reply = simulated;
  fx.fake.requests.length = 0;
});

const app = () => createToolsApp(fx.service).app;
const post = (path: string, body: unknown, headers: Record<string, string> = {}, a = app()) =>
  a.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('tool server routes (app.request, no port)', () => {
  it('GET /health and GET /v1/tools list the tool set in template and OpenAI form', async () => {
    expect(await (await app().request('/health')).json()).toMatchObject({ ok: true, tools: 2 });
    const list = (await (await app().request('/v1/tools')).json()) as {
      count: number;
      tools: { api_name: string }[];
      openai: { function: { name: string; parameters: { additionalProperties: boolean } } }[];
    };
    expect(list.count).toBe(2);
    expect(list.tools.map((t) => t.api_name)).toEqual(['wiki_search', SEAL.api_name]);
    expect(list.openai[1]!.function).toMatchObject({ name: SEAL.api_name, parameters: { additionalProperties: false } });
    expect((await app().request(`/v1/tools/${SEAL.api_name}`)).status).toBe(200);
    expect((await app().request('/v1/tools/nope')).status).toBe(404);
  });

  it('POST /v1/tools/{name} answers a good call from the simulator and a bad one by the pre-check, naming the parameter', async () => {
    const good = await post('/v1/tools/wiki_search', { query: 'Paris', top_k: 2 });
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ source: 'simulated', content: { results: [{ title: 'simulated#0' }] } });
    expect(fx.fake.requests).toHaveLength(1);

    const [required, other] = [SEAL.required[0]!, Object.keys(SEAL.parameters).find((k) => k !== SEAL.required[0])!];
    const cases: [string, unknown, string, string][] = [
      ['wiki_search', { query: 42 }, 'type_error', 'query'],
      [SEAL.api_name, { [other]: 'x' }, 'missing_required', required],
      [SEAL.api_name, { [required]: 'x', colour: 'red' }, 'excess_parameter', 'colour'],
      ['wiki_search', { query: 'Paris', top_k: 99 }, 'invalid_value', 'top_k'],
    ];
    for (const [name, args, type, parameter] of cases) {
      const res = await post(`/v1/tools/${name}`, args);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { source: string; error: { type: string; parameter: string; message: string } };
      expect(body).toMatchObject({ source: 'precheck', error: { type, parameter } });
      expect(body.error.message).toContain(parameter);
    }
    expect(fx.fake.requests).toHaveLength(1); // none of the bad calls reached the model
  });

  it('an unknown tool is a 404 carrying the unknown_tool observation; arguments that are not an object are malformed_call', async () => {
    const res = await post('/v1/tools/wiki_serch', { query: 'x' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { type: 'unknown_tool', message: expect.stringContaining('wiki_search') } });
    expect(await (await post('/v1/tools/wiki_search', [1, 2])).json()).toMatchObject({ error: { type: 'malformed_call' } });
  });

  it('malformed bodies are 400 with a message, never a crash', async () => {
    for (const body of ['{"query": "Par', '']) {
      const res = await post('/v1/tools/wiki_search', body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/^body: expected/);
    }
  });

  it('a failing simulator is a 502 with the reason', async () => {
    reply = () => ({ status: 500 });
    const res = await post('/v1/tools/wiki_search', { query: 'Paris' });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ code: expect.stringMatching(/^E_MODEL/) });
  });
});

describe('sessions: a per-session world memory', () => {
  it('calls with the same x-mtr-session see the earlier calls; a repeated call is replayed with no model request', async () => {
    const a = app();
    await post('/v1/tools/wiki_search', { query: 'Eiffel Tower' }, { [SESSION_HEADER]: 's1' }, a);
    await post('/v1/tools/wiki_search', { query: 'Gustave Eiffel' }, { [SESSION_HEADER]: 's1' }, a);
    await post('/v1/tools/wiki_search', { query: 'Louvre' }, { [SESSION_HEADER]: 's2' }, a);
    await post('/v1/tools/wiki_search', { query: 'Notre-Dame' }, {}, a);
    const prompts = fx.fake.requests.map(promptOf);
    expect(prompts[1]).toContain('Eiffel Tower');
    expect(prompts[1]).toContain('simulated#0');
    expect(prompts[2]).not.toContain('Eiffel');
    expect(prompts[3]).not.toContain('Eiffel');

    const again = await post('/v1/tools/wiki_search', { query: 'Eiffel Tower' }, { [SESSION_HEADER]: 's1' }, a);
    expect(await again.json()).toMatchObject({ source: 'cache', content: { results: [{ title: 'simulated#0' }] } });
    expect(fx.fake.requests).toHaveLength(4);

    expect(await (await a.request('/v1/sessions/s1', { method: 'DELETE' })).json()).toEqual({ ended: true });
    expect(await (await a.request('/v1/sessions/s1', { method: 'DELETE' })).json()).toEqual({ ended: false });
    await post('/v1/tools/wiki_search', { query: 'Eiffel Tower' }, { [SESSION_HEADER]: 's1' }, a);
    expect(fx.fake.requests).toHaveLength(5); // forgotten: asked again
  });

  it('PUT /v1/sessions/{id} grounds the session in an item: with --grounding gold the actor prompt shows its gold answer', async () => {
    const grounded = await toolsFixture({ actor: { grounding: { mode: 'gold', noiseStart: 0, noiseEnd: 0.5, noiseBase: 10 } } });
    try {
      const a = createToolsApp(grounded.service).app;
      const item = {
        question: 'Who designed the Eiffel Tower?',
        answers: ['Gustave Eiffel'],
        context: [{ title: 'Eiffel Tower', text: 'Designed by the company of Gustave Eiffel.', supporting: true }],
      };
      const put = await a.request('/v1/sessions/r1', { method: 'PUT', body: JSON.stringify({ item, position: { index: 3, total: 10 } }) });
      expect(put.status).toBe(200);
      await post('/v1/tools/wiki_search', { query: 'Eiffel Tower designer' }, { [SESSION_HEADER]: 'r1' }, a);
      await post('/v1/tools/wiki_search', { query: 'Eiffel Tower designer' }, { [SESSION_HEADER]: 'other' }, a);
      const [withItem, without] = grounded.fake.requests.map(promptOf);
      expect(withItem).toContain('Gustave Eiffel');
      expect(without).not.toContain('Gustave Eiffel');

      const bad = await a.request('/v1/sessions/r2', { method: 'PUT', body: JSON.stringify({ item: { question: 'Q?' } }) });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/^item\.answers:/);
      const badPosition = await a.request('/v1/sessions/r2', { method: 'PUT', body: JSON.stringify({ item, position: { index: 5, total: 2 } }) });
      expect(((await badPosition.json()) as { error: string }).error).toMatch(/^position:/);
    } finally {
      await grounded.close();
    }
  });
});

describe('the actor cache (--cache FILE)', () => {
  it('replays an identical call of another session or client from SQLite with no second model request', async () => {
    const store = await openStore(':memory:', { create: true });
    const cached = await toolsFixture({ actor: { cache: store.actorCache } });
    try {
      const a = createToolsApp(cached.service).app;
      const first = await (await post('/v1/tools/wiki_search', { top_k: 2, query: 'Paris' }, { [SESSION_HEADER]: 'x' }, a)).json();
      const again = await (await post('/v1/tools/wiki_search', { query: 'Paris', top_k: 2 }, { [SESSION_HEADER]: 'y' }, a)).json();
      expect(first).toMatchObject({ source: 'simulated' });
      expect(again).toMatchObject({ source: 'cache', content: (first as { content: unknown }).content });
      expect(cached.fake.requests).toHaveLength(1);
      expect(await store.actorCache.stats()).toMatchObject({ entries: 1, hits: 1 });
    } finally {
      await store.close();
      await cached.close();
    }
  });
});

describe('POST /v1/batch', () => {
  it('answers many calls in order; calls of one session run in turn and see each other', async () => {
    const res = await post('/v1/batch', {
      session: 'b1',
      calls: [
        { name: 'wiki_search', arguments: { query: 'first' } },
        { name: 'wiki_search', arguments: { query: 42 } },
        { name: 'nope', arguments: {} },
        { name: 'wiki_search', arguments: { query: 'second' } },
      ],
    });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: { source: string; error?: { type: string } }[] };
    expect(results.map((r) => r.source)).toEqual(['simulated', 'precheck', 'precheck', 'simulated']);
    expect(results.map((r) => r.error?.type)).toEqual([undefined, 'type_error', 'unknown_tool', undefined]);
    expect(promptOf(fx.fake.requests[1]!)).toContain('"first"');
  });

  it('a failed simulation fails only its entry; bad entries are 400 naming the entry', async () => {
    reply = (req, i) => (promptOf(req).includes('boom') ? { status: 500 } : simulated(req, i));
    const { results } = (await (
      await post('/v1/batch', [
        { name: 'wiki_search', arguments: { query: 'boom' } },
        { name: 'wiki_search', arguments: { query: 'fine' } },
      ])
    ).json()) as { results: Record<string, unknown>[] };
    expect(results[0]).toMatchObject({ failure: { code: expect.stringMatching(/^E_MODEL/) } });
    expect(results[1]).toMatchObject({ source: 'simulated' });

    for (const [body, field] of [
      [{ calls: [{ name: 'wiki_search' }, { arguments: {} }] }, 'calls[1].name'],
      [{ calls: 'x' }, 'body'],
      [{ calls: [], session: 3 }, 'session'],
    ] as const) {
      const res = await post('/v1/batch', body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error.startsWith(`${field}:`)).toBe(true);
    }
  });
});

describe('POST /virtual (StableToolBench)', () => {
  const virtual = (body: unknown) => post('/virtual', body);

  it('answers {error, response} for tool_input as a JSON string or an object, matching ToolBench names', async () => {
    const asString = (await (
      await virtual({ category: 'Data', tool_name: 'Wiki', api_name: 'wiki_search', tool_input: '{"query": "Paris"}', strip: '' })
    ).json()) as { error: string; response: string };
    expect(asString.error).toBe('');
    expect(JSON.parse(asString.response)).toMatchObject({ results: [{ title: 'simulated#0' }] });
    const standardized = (await (
      await virtual({ category: 'Data', tool_name: 'Wiki', api_name: 'Wiki Search', tool_input: { query: 'Rome' }, strip: 'filter' })
    ).json()) as { error: string };
    expect(standardized.error).toBe('');
    expect(fx.fake.requests).toHaveLength(2);
  });

  it('bad tool_input and bad calls come back in the error field; a bad body is a 400', async () => {
    expect(await (await virtual({ category: 'c', tool_name: 't', api_name: 'wiki_search', tool_input: '{query: Paris', strip: '' })).json()).toEqual({
      error: 'Tool input parse error...\n',
      response: '',
    });
    const typed = (await (await virtual({ category: 'c', tool_name: 't', api_name: 'wiki_search', tool_input: '{"query": 7}', strip: '' })).json()) as {
      error: string;
    };
    expect(typed.error).toMatch(/^type_error: parameter "query"/);
    const unknown = (await (await virtual({ category: 'c', tool_name: 't', api_name: 'no_such_api', tool_input: '{}', strip: '' })).json()) as {
      error: string;
    };
    expect(unknown.error).toMatch(/^unknown_tool:/);
    expect(fx.fake.requests).toHaveLength(0);
    const res = await virtual({ category: 'c', tool_input: '{}' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^api_name: expected a non-empty string/);
  });
});

describe('guards', () => {
  it('a token guards every route but /health (401); bodies over the limit are 413', async () => {
    const guarded = createToolsApp(fx.service, { token: 's3cret', maxBodyBytes: 64 }).app;
    expect((await guarded.request('/health')).status).toBe(200);
    expect((await guarded.request('/v1/tools')).status).toBe(401);
    expect((await post('/v1/tools/wiki_search', { query: 'x' }, { authorization: 'Bearer wrong' }, guarded)).status).toBe(401);
    expect((await post('/virtual', {}, {}, guarded)).status).toBe(401);
    expect((await post('/mcp', {}, {}, guarded)).status).toBe(401);
    const auth = { authorization: 'Bearer s3cret' };
    expect((await post('/v1/tools/wiki_search', { query: 'x' }, auth, guarded)).status).toBe(200);
    const big = await post('/v1/tools/wiki_search', { query: 'x'.repeat(200) }, auth, guarded);
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toMatch(/at most 64 bytes/);
  });

  it('a client over its queue allowance gets 429 with Retry-After; the admitted calls still finish', async () => {
    const slow = await toolsFixture({ fake: { latencyMs: 150 }, service: { maxConcurrencyPerClient: 1, maxQueuedPerClient: 2 } });
    try {
      const a = createToolsApp(slow.service).app;
      const answers = await Promise.all([1, 2, 3].map((i) => post('/v1/tools/wiki_search', { query: `q${i}` }, {}, a)));
      expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 429]);
      expect(answers.find((r) => r.status === 429)!.headers.get('retry-after')).toBe('1');
      expect(slow.fake.stats().maxInFlight).toBe(1);
      const tooBig = await post('/v1/batch', { calls: [1, 2, 3].map((i) => ({ name: 'wiki_search', arguments: { query: `q${i}` } })) }, {}, a);
      expect(tooBig.status).toBe(400);
    } finally {
      await slow.close();
    }
  });

  it('/mcp without a session must start with initialize; unknown routes are 404 with the route list', async () => {
    const res = await post('/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { accept: 'application/json, text/event-stream' });
    expect(res.status).toBe(400);
    expect((await app().request('/v2/anything')).status).toBe(404);
  });
});
