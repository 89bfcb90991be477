import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { ChatOpenAICompletions } from '@langchain/openai';
import { afterEach, describe, expect, it } from 'vitest';
import { parseModelConfig, type ModelConfigInput } from '../../src/llm/config.js';
import { createChatModel } from '../../src/llm/index.js';
import { OpenAIChatModel, probeServer, toOpenAIMessages } from '../../src/llm/openai.js';
import type { ChatMessage } from '../../src/llm/types.js';
import { isMtrError, ToolTemplateSchema, parametersJsonSchema, toOpenAIFunction, validateJson, type ToolTemplate } from '../../src/schema/index.js';
import { startFakeOpenAI, type FakeServer, type FakeServerOptions } from '../support/openai-server.js';
import { mtrError } from '../support/errors.js';

const DATA = new URL('../../../shared/datasets/tools/seal-tools/', import.meta.url);
const sealTool = (name: string): ToolTemplate => {
  const line = readFileSync(new URL('tool.jsonl', DATA), 'utf8')
    .split('\n')
    .find((l) => l.includes(`"api_name": "${name}"`));
  return ToolTemplateSchema.parse(JSON.parse(line ?? 'null'));
};
const sealCall = (id: string): { query: string; calling: { api: string; parameters: Record<string, unknown> }[] } =>
  JSON.parse(
    readFileSync(new URL('dev.jsonl', DATA), 'utf8')
      .split('\n')
      .find((l) => l.includes(`"id": "${id}"`)) ?? 'null',
  );

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(options: FakeServerOptions): Promise<FakeServer> {
  const s = await startFakeOpenAI(options);
  servers.push(s);
  return s;
}
const modelAt = (baseUrl: string, over: ModelConfigInput = {}) =>
  new OpenAIChatModel({
    ...parseModelConfig({ baseUrl, model: 'fake-model', timeoutMs: 3000, maxRetries: 3, retryBaseMs: 1, retryMaxMs: 50, ...over }),
    baseUrl,
  });
const ask = (content: string): ChatMessage[] => [{ role: 'user', content }];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('OpenAIChatModel over HTTP (real ChatOpenAI, fake server)', () => {
  it('returns the text, the reported tokens and model, and sends the configured parameters', async () => {
    const s = await serve({ respond: () => ({ content: 'Paris is the capital.', usage: { prompt_tokens: 17, completion_tokens: 5 } }) });
    const c = await modelAt(s.url, { temperature: 0.2, maxTokens: 64 }).generate([
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'Capital of France?' },
    ]);
    expect(c).toMatchObject({ text: 'Paris is the capital.', toolCalls: [], tokensIn: 17, tokensOut: 5, model: 'fake-model', retries: 0 });
    expect(c.latencyMs).toBeGreaterThanOrEqual(0);
    expect(s.requests[0]).toMatchObject({ model: 'fake-model', temperature: 0.2, max_tokens: 64 });
    expect(s.requests[0]?.messages).toEqual([
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'Capital of France?' },
    ]);
    expect(s.requests[0]?.response_format).toBeUndefined();
    expect(s.requests[0]?.raw.stream).toBeFalsy();
  });

  it('per-call temperature and max tokens override the config', async () => {
    const s = await serve({ respond: () => ({ content: 'ok' }) });
    const m = modelAt(s.url);
    await m.generate(ask('a'), { temperature: 0, maxTokens: 7, stop: ['</answer>'] });
    await m.generate(ask('b'));
    expect(s.requests[0]).toMatchObject({ temperature: 0, max_tokens: 7 });
    expect(s.requests[0]?.raw.stop).toEqual(['</answer>']);
    expect(s.requests[1]).toMatchObject({ temperature: 0.7, max_tokens: 1024 });
  });

  it('retries a 429 after the wait its Retry-After asks for', async () => {
    // a base backoff of a minute would outlast the test timeout: passing means the 10 ms hint was used
    const s = await serve({ respond: (_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after-ms': '10' } } : { content: 'done' }) });
    const c = await modelAt(s.url, { retryBaseMs: 60_000, retryMaxMs: 60_000 }).generate(ask('hi'));
    expect(c.text).toBe('done');
    expect(c.retries).toBe(1);
    expect(s.stats().received).toBe(2);
  }, 10_000);

  it('retries two 500s, then succeeds', async () => {
    const s = await serve({ respond: (_r, i) => (i < 2 ? { status: 500 } : { content: 'third time' }) });
    const c = await modelAt(s.url).generate(ask('hi'));
    expect(c).toMatchObject({ text: 'third time', retries: 2 });
    expect(s.requests).toHaveLength(3);
  });

  it('gives up on a request that hangs past the timeout and retries it', async () => {
    const s = await serve({ respond: (_r, i) => (i === 0 ? { hang: true } : { content: 'awake' }) });
    const c = await modelAt(s.url, { timeoutMs: 200 }).generate(ask('hi'));
    expect(c).toMatchObject({ text: 'awake', retries: 1 });
  });

  it('throws E_MODEL naming the cause and attempts when retries run out', async () => {
    const s = await serve({ respond: () => ({ status: 503, body: JSON.stringify({ error: { message: 'overloaded' } }) }) });
    const e = await mtrError(modelAt(s.url, { maxRetries: 2 }).generate(ask('hi')));
    expect(e.code).toBe('E_MODEL');
    expect(e.message).toContain('3 attempts');
    expect(e.message).toContain('HTTP 503');
    expect(e.message).toContain('overloaded');
    expect(s.requests).toHaveLength(3);
  });

  it('does not retry a 400 and reports it as E_MODEL', async () => {
    const s = await serve({ respond: () => ({ status: 400, body: JSON.stringify({ error: { message: 'bad stop' } }) }) });
    const e = await mtrError(modelAt(s.url).generate(ask('hi')));
    expect(e.code).toBe('E_MODEL');
    expect(e.message).toContain('bad stop');
    expect(s.requests).toHaveLength(1);
  });

  it.each([
    ['malformed JSON', { raw: '{"id": "x", "choices": [' }, 'malformed JSON'],
    ['a body cut off mid-reply', { truncate: '{"id": "x", "object": "chat.completion", "choi' }, 'connection'],
    ['JSON that is no completion', { raw: '{"id": "x"}' }, 'without a chat completion'],
    ['HTTP 500', { status: 500 }, 'HTTP 500'],
    ['HTTP 408', { status: 408 }, 'HTTP 408'],
    ['HTTP 409', { status: 409 }, 'HTTP 409'],
    ['HTTP 429 with Retry-After', { status: 429, headers: { 'retry-after': '0' } }, 'HTTP 429'],
    ['a timeout', { hang: true }, 'no answer within'],
  ] as const)('retries %s, reporting each failed request with its raw text', async (_kind, fault, reason) => {
    const s = await serve({ respond: (_r, i) => (i < 2 ? (fault as never) : { content: 'fine' }) });
    const failures: { retry: number; error: string; raw?: string }[] = [];
    const c = await modelAt(s.url, { timeoutMs: 300 }).generate(ask('hi'), { onRetry: (f) => failures.push(f) });
    expect(c.text).toBe('fine');
    expect(c.retries).toBe(2);
    expect(s.requests).toHaveLength(3);
    expect(failures.map((f) => f.retry)).toEqual([1, 2]);
    expect(failures[0]!.error).toContain(reason);
    if ('raw' in fault) expect(failures[0]!.raw).toBe(fault.raw);
  });

  it('reports a malformed body that persists as E_MODEL after every retry, keeping the raw text', async () => {
    const s = await serve({ respond: () => ({ raw: '{"id": "x", "choices": [' }) });
    const e = await mtrError(modelAt(s.url).generate(ask('hi')));
    expect(e.code).toBe('E_MODEL');
    expect(e.message).toContain('4 attempts');
    expect(e.message).toContain('malformed JSON');
    expect(e.details?.raw).toBe('{"id": "x", "choices": [');
    expect(s.requests).toHaveLength(4);
  });

  it.each([
    [422, 'invalid'],
    [404, 'unknown model'],
    [401, '--api-key'],
  ])('never retries HTTP %i', async (status, reason) => {
    const s = await serve({ respond: () => ({ status }) });
    const e = await mtrError(modelAt(s.url).generate(ask('hi')));
    expect(e.message).toContain(status === 422 ? 'HTTP 422' : reason);
    expect(s.requests).toHaveLength(1);
  });

  it('reports a refused connection as E_MODEL_UNREACHABLE on one line naming the URL and the ways out', async () => {
    const url = `http://127.0.0.1:${await freePort()}/v1`;
    const e = await mtrError(modelAt(url).generate(ask('hi')));
    expect(e.code).toBe('E_MODEL_UNREACHABLE');
    expect(e.message).toContain(url);
    expect(e.message).toContain('connection refused');
    expect(e.message).toContain('--base-url');
    expect(e.message).toContain('--model-file');
    expect(e.message).not.toContain('\n');
  });

  it.each([
    [401, '--api-key'],
    [403, '--api-key'],
    [404, 'unknown model "fake-model"'],
  ])('reports HTTP %i as E_MODEL_UNREACHABLE without retrying', async (status, hint) => {
    const s = await serve({ respond: () => ({ status }) });
    const e = await mtrError(modelAt(s.url).generate(ask('hi')));
    expect(e.code).toBe('E_MODEL_UNREACHABLE');
    expect(e.message).toContain(s.url);
    expect(e.message).toContain(hint);
    expect(s.requests).toHaveLength(1);
  });
});

describe('JSON mode', () => {
  const jsonSchema = { name: 'final answer', schema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] } };

  it('sends response_format json_schema (not strict) with a name the API accepts', async () => {
    const s = await serve({ respond: () => ({ content: '{"answer":"x"}' }) });
    const m = modelAt(s.url);
    await m.generate(ask('hi'), { jsonSchema });
    expect(s.requests[0]?.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'final_answer', schema: jsonSchema.schema, strict: false } });
    expect(m.structuredFormat).toBe('json_schema');
  });

  it('hands back text that is not JSON instead of failing inside the SDK', async () => {
    const s = await serve({ respond: () => ({ content: 'Sure! ```json\n{"answer":"x"}\n```' }) });
    const c = await modelAt(s.url).generate(ask('hi'), { jsonSchema });
    expect(c.text).toContain('```json');
  });

  it('falls back to json_object when the server rejects json_schema, and remembers it', async () => {
    const s = await serve({
      respond: (r) =>
        r.response_format?.type === 'json_schema'
          ? { status: 400, body: '{"error":{"message":"response_format json_schema unsupported"}}' }
          : { content: '{"answer":"x"}' },
    });
    const m = modelAt(s.url);
    expect((await m.generate(ask('one'), { jsonSchema })).text).toBe('{"answer":"x"}');
    await m.generate(ask('two'), { jsonSchema });
    expect(s.requests.map((r) => r.response_format?.type)).toEqual(['json_schema', 'json_object', 'json_object']);
    expect(m.structuredFormat).toBe('json_object');
  });

  it('falls back to no response_format when the server rejects both', async () => {
    const s = await serve({ respond: (r) => (r.response_format ? { status: 400 } : { content: '{"answer":"x"}' }) });
    const m = modelAt(s.url);
    await m.generate(ask('one'), { jsonSchema });
    await m.generate(ask('two'), { jsonSchema });
    expect(s.requests.map((r) => r.response_format?.type ?? 'none')).toEqual(['json_schema', 'json_object', 'none', 'none']);
    expect(m.structuredFormat).toBe('none');
  });

  it('keeps the format and reports E_MODEL when even a plain request gets a 400', async () => {
    const s = await serve({ respond: () => ({ status: 400, body: '{"error":{"message":"messages: field required"}}' }) });
    const m = modelAt(s.url);
    const e = await mtrError(m.generate(ask('one'), { jsonSchema }));
    expect(e.code).toBe('E_MODEL');
    expect(e.message).toContain('field required');
    expect(m.structuredFormat).toBe('json_schema');
  });

  it('does not fall back when the config pins json_schema', async () => {
    const s = await serve({ respond: () => ({ status: 400 }) });
    const e = await mtrError(modelAt(s.url, { structured: 'json_schema' }).generate(ask('one'), { jsonSchema }));
    expect(e.code).toBe('E_MODEL');
    expect(s.requests).toHaveLength(1);
  });

  it.each([
    ['json_object', { type: 'json_object' }],
    ['none', undefined],
  ] as const)('structured %s sends that format only', async (structured, expected) => {
    const s = await serve({ respond: () => ({ content: '{}' }) });
    await modelAt(s.url, { structured }).generate(ask('one'), { jsonSchema });
    expect(s.requests[0]?.response_format).toEqual(expected);
  });
});

describe('native tool calling', () => {
  it('round-trips a Seal-Tools call: tools out, tool_calls back, results in', async () => {
    const tool = sealTool('getHealthWorkforce');
    const gold = sealCall('dev-easy-0').calling[0]!;
    const s = await serve({
      respond: (_r, i) => (i === 0 ? { tool_calls: [{ name: gold.api, arguments: gold.parameters }] } : { content: 'About 28 million nurses.' }),
    });
    const m = modelAt(s.url);
    const history: ChatMessage[] = ask(sealCall('dev-easy-0').query);
    const first = await m.generate(history, { tools: [toOpenAIFunction(tool)] });

    expect(s.requests[0]?.tools?.[0]?.function).toMatchObject({ name: 'getHealthWorkforce', parameters: parametersJsonSchema(tool) });
    expect(first.toolCalls).toEqual([{ name: 'getHealthWorkforce', arguments: gold.parameters, id: expect.any(String) }]);
    expect(validateJson(parametersJsonSchema(tool), first.toolCalls[0]?.arguments)).toEqual({ ok: true });

    history.push(
      { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
      { role: 'tool', content: '{"workforce": 28000000}', toolCallId: first.toolCalls[0]?.id },
    );
    const second = await m.generate(history, { tools: [toOpenAIFunction(tool)] });
    expect(second.text).toBe('About 28 million nurses.');
    const sent = s.requests[1]?.messages ?? [];
    expect(sent[1]).toMatchObject({
      role: 'assistant',
      tool_calls: [{ id: first.toolCalls[0]?.id, type: 'function', function: { name: 'getHealthWorkforce' } }],
    });
    expect(JSON.parse(sent[1].tool_calls[0].function.arguments)).toEqual(gold.parameters);
    expect(sent[2]).toEqual({ role: 'tool', content: '{"workforce": 28000000}', tool_call_id: first.toolCalls[0]?.id });
  });

  it('reports tool-call arguments that are not a JSON object as E_MODEL_OUTPUT', async () => {
    const s = await serve({ respond: () => ({ tool_calls: [{ name: 'getHealthWorkforce', arguments: '{"location": "count' }] }) });
    const e = await mtrError(modelAt(s.url).generate(ask('hi'), { tools: [toOpenAIFunction(sealTool('getHealthWorkforce'))] }));
    expect(e.code).toBe('E_MODEL_OUTPUT');
    expect(e.message).toContain('getHealthWorkforce');
  });
});

describe('toOpenAIMessages', () => {
  it('gives id-less calls ids and pairs the following tool messages with them in order', () => {
    const out = toOpenAIMessages([
      { role: 'user', content: 'q' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { name: 'a', arguments: {} },
          { name: 'b', arguments: { x: 1 } },
        ],
      },
      { role: 'tool', content: 'ra' },
      { role: 'tool', content: 'rb' },
    ]);
    const ids = (out[1] as unknown as { tool_calls: { id: string }[] }).tool_calls.map((t) => t.id);
    expect(new Set(ids).size).toBe(2);
    expect(out.slice(2).map((m) => (m as unknown as { tool_call_id: string }).tool_call_id)).toEqual(ids);
  });

  it('rejects a tool message that answers no call, naming the field', () => {
    expect(() => toOpenAIMessages([{ role: 'tool', content: 'r' }])).toThrow(/messages\[0\]\.toolCallId: expected/);
  });
});

describe('probeServer and createChatModel', () => {
  it('lists the served models; createChatModel uses the first when none is configured', async () => {
    const s = await serve({ respond: () => ({ content: 'hi' }), models: ['qwen2.5-7b', 'other'] });
    expect(await probeServer(s.url)).toEqual({ models: ['qwen2.5-7b', 'other'] });
    const m = await createChatModel(parseModelConfig({ baseUrl: s.url }));
    expect(m).toMatchObject({ backend: 'openai', model: 'qwen2.5-7b' });
    await m.generate(ask('x'));
    expect(s.requests[0]?.model).toBe('qwen2.5-7b');
    await m.close();
  });

  it('accepts a server without /models', async () => {
    const s = await serve({ respond: () => ({ content: 'hi' }), models: 404 });
    expect(await probeServer(s.url)).toEqual({ models: [] });
  });

  it('throws E_MODEL_UNREACHABLE when nothing listens or the key is refused', async () => {
    const url = `http://127.0.0.1:${await freePort()}/v1`;
    const e = await mtrError(createChatModel(parseModelConfig({ baseUrl: url, model: 'm' })));
    expect(e.code).toBe('E_MODEL_UNREACHABLE');
    expect(e.message).toContain(url);
    const s = await serve({ respond: () => ({ content: 'hi' }), models: 401 });
    expect((await mtrError(probeServer(s.url, 'wrong-key'))).message).toContain('--api-key');
  });
});

describe('fake server', () => {
  it('never has more than `capacity` requests in flight under 20 concurrent calls, and every id is unique', async () => {
    const s = await serve({ respond: (r) => ({ content: `echo ${r.messages[0].content}` }), capacity: 3, latencyMs: 15 });
    const m = modelAt(s.url);
    const out = await Promise.all(Array.from({ length: 20 }, (_, i) => m.generate(ask(String(i)))));
    expect(out.map((c) => c.text)).toEqual(Array.from({ length: 20 }, (_, i) => `echo ${i}`));
    expect(s.stats().received).toBe(20);
    expect(s.stats().maxInFlight).toBeLessThanOrEqual(3);
    expect(s.stats().maxInFlight).toBeGreaterThan(1);
  });

  it('streams SSE chunks that ChatOpenAI assembles, tool calls and usage included', async () => {
    const s = await serve({ respond: () => ({ content: 'a streamed answer', tool_calls: [{ name: 'f', arguments: { k: 'v' } }] }) });
    const chat = new ChatOpenAICompletions({
      model: 'fake-model',
      apiKey: 'EMPTY',
      configuration: { baseURL: s.url },
      streaming: true,
      streamUsage: true,
      maxRetries: 0,
    });
    let text = '';
    let last;
    for await (const chunk of await chat.stream('hello there')) {
      text += chunk.text;
      last = last ? last.concat(chunk) : chunk;
    }
    expect(text).toBe('a streamed answer');
    expect(last?.tool_calls?.[0]).toMatchObject({ name: 'f', args: { k: 'v' } });
    expect(last?.usage_metadata).toMatchObject({ input_tokens: 2, output_tokens: 5 });
    expect(s.requests[0]?.stream).toBe(true);
  });

  it('closes promptly with a request still hanging', async () => {
    const s = await startFakeOpenAI({ respond: () => ({ hang: true }) });
    const pending = modelAt(s.url, { timeoutMs: 60_000, maxRetries: 0 })
      .generate(ask('hi'))
      .catch((e: unknown) => e);
    while (s.stats().received === 0) await new Promise((r) => setTimeout(r, 5));
    await s.close();
    expect(isMtrError(await pending)).toBe(true);
  });
});
