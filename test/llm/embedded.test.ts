import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/llm/config.js';
import { createEmbeddedModel, toChatHistory, toGrammarSchema } from '../../src/llm/embedded.js';
import type { ChatMessage, ChatModel } from '../../src/llm/types.js';
import { validateJson } from '../../src/schema/json-schema.js';
import { writeTinyGguf } from '../support/tiny-gguf.js';
import { mtrError } from '../support/errors.js';

// Every field bounded so the grammar closes within maxTokens (an integer may take 16 digits and an exponent).
const ANSWER_SCHEMA = {
  type: 'object',
  properties: {
    answer: { type: 'string', maxLength: 8 },
    score: { enum: [1, 2, 3, 4, 5] },
    sure: { type: 'boolean' },
    unit: { anyOf: [{ type: 'string', maxLength: 3 }, { type: 'null' }] },
  },
  required: ['answer', 'score', 'sure'],
  additionalProperties: false,
};
/** Tiny models gain nothing from threads, and spin-waiting threads crawl when tests share the cores. */
const OPTS = { threads: 1 };

const HISTORY: ChatMessage[] = [
  { role: 'system', content: 'You are a weather agent.' },
  { role: 'user', content: 'Weather in Paris and Rome?' },
  {
    role: 'assistant',
    content: '',
    toolCalls: [
      { name: 'get_weather', arguments: { city: 'Paris' } },
      { name: 'get_weather', arguments: { city: 'Rome' } },
    ],
  },
  { role: 'tool', content: '{"temp": 21}', toolCallId: 'a' },
  { role: 'tool', content: '{"temp": 25}', toolCallId: 'b' },
];

let dir: string;
let modelFile: string;
let model: ChatModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mtr-embedded-'));
  modelFile = join(dir, 'tiny.gguf');
  await writeTinyGguf(modelFile);
  model = await createEmbeddedModel(parseModelConfig({ modelFile, maxTokens: 64, temperature: 0 }), { ...OPTS, cacheDir: join(dir, 'cache') });
});

afterAll(async () => {
  await model?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('tiny GGUF (test support)', () => {
  it('is a llama GGUF v3 with every required tensor at 32-byte aligned offsets', async () => {
    const info = await readGgufFileInfo(modelFile);
    expect(info.version).toBe(3);
    expect(info.metadata.general.architecture).toBe('llama');
    const names = (info.fullTensorInfo ?? info.tensorInfo ?? []).map((t) => t.name);
    for (const n of [
      'token_embd',
      'output_norm',
      'output',
      'blk.0.attn_norm',
      'blk.0.attn_q',
      'blk.0.attn_k',
      'blk.0.attn_v',
      'blk.0.attn_output',
      'blk.0.ffn_norm',
      'blk.0.ffn_gate',
      'blk.0.ffn_up',
      'blk.0.ffn_down',
    ])
      expect(names).toContain(`${n}.weight`);
    for (const t of info.fullTensorInfo ?? []) expect(Number(t.offset) % 32).toBe(0);
  });
});

describe('createEmbeddedModel', () => {
  it('constrains output to a JSON schema with a grammar, whatever the weights', async () => {
    const out = await model.generate([{ role: 'user', content: 'Answer in JSON.' }], { jsonSchema: { name: 'answer', schema: ANSWER_SCHEMA }, maxTokens: 160 }); // one token per char here
    const value: unknown = JSON.parse(out.text);
    expect(validateJson(ANSWER_SCHEMA, value)).toEqual({ ok: true });
    expect(model.backend).toBe('embedded');
    expect(out.model).toBe('tiny.gguf');
    expect(out.toolCalls).toEqual([]);
    expect(out.tokensIn).toBeGreaterThan(0);
    expect(out.tokensOut).toBeGreaterThan(0);
    expect(out.tokensOut).toBeLessThanOrEqual(160);
    expect(out.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('generates over the whole history, tool turns included, counting more input tokens for it', async () => {
    const short = await model.generate(HISTORY.slice(0, 2), { maxTokens: 4 });
    const long = await model.generate(HISTORY, { maxTokens: 4 });
    expect(long.tokensIn).toBeGreaterThan(short.tokensIn);
    expect(long.tokensOut).toBeLessThanOrEqual(4);
  });

  it('queues concurrent generations on its one sequence; close() lets them finish, then refuses more', async () => {
    const own = await createEmbeddedModel(parseModelConfig({ modelFile, maxTokens: 3 }), OPTS);
    const pending = [1, 2, 3].map((n) => own.generate([{ role: 'user', content: `call ${n}` }]));
    await own.close();
    for (const out of await Promise.all(pending)) expect(out.tokensOut).toBeGreaterThan(0);
    await expect(own.generate([{ role: 'user', content: 'late' }])).rejects.toMatchObject({ code: 'E_USAGE' });
    await own.close(); // idempotent
  });

  it('refuses native tool calling with E_USAGE', async () => {
    const e = await mtrError(model.generate(HISTORY, { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] as never }));
    expect(e.code).toBe('E_USAGE');
  });

  it('rejects a missing --model-file with E_USAGE naming the path', async () => {
    const missing = join(dir, 'nope.gguf');
    const e = await mtrError(createEmbeddedModel(parseModelConfig({ modelFile: missing }), OPTS));
    expect(e.code).toBe('E_USAGE');
    expect(e.message).toContain(missing);
  });

  it('rejects a --model-file that is not a GGUF with E_USAGE naming the path', async () => {
    const bogus = join(dir, 'bogus.gguf');
    await writeFile(bogus, 'not a model');
    const e = await mtrError(createEmbeddedModel(parseModelConfig({ modelFile: bogus }), OPTS));
    expect(e.code).toBe('E_USAGE');
    expect(e.message).toContain(bogus);
  });

  it('uses the default model from the cache without touching the network', async () => {
    const cache = join(dir, 'warm');
    await mkdir(join(cache, 'models'), { recursive: true });
    // node-llama-cpp's file name for the hf: URI of the default model
    await writeTinyGguf(join(cache, 'models', 'hf_Qwen_qwen2.5-1.5b-instruct-q4_k_m.gguf'));
    const progress: string[] = [];
    const onProgress = (msg: string) => progress.push(msg);
    const cached = await createEmbeddedModel(parseModelConfig({ maxTokens: 2 }), {
      ...OPTS,
      onProgress,
      cacheDir: cache,
      endpoint: 'http://127.0.0.1:1/',
      connectTimeoutMs: 200,
    });
    try {
      expect((await cached.generate([{ role: 'user', content: 'hi' }])).tokensOut).toBeLessThanOrEqual(2);
    } finally {
      await cached.close();
    }
    expect(progress.some((m) => m.includes(join(cache, 'models')))).toBe(true);
    expect(progress.some((m) => m.includes('downloading'))).toBe(false);
  });
});

describe('default model download', () => {
  let silent: Server;
  let silentPort = 0;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    silent = createServer((socket) => sockets.add(socket)); // accepts connections and never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  const cases = [
    ['refused', () => 'http://127.0.0.1:1/'],
    ['silent', () => `http://127.0.0.1:${silentPort}/`],
  ] as const;
  it.each(cases)('fails at once with E_DOWNLOAD naming both ways out (%s endpoint)', async (_, endpoint) => {
    const cache = await mkdtemp(join(dir, 'cold-'));
    const e = await mtrError(createEmbeddedModel(parseModelConfig({}), { cacheDir: cache, endpoint: endpoint(), connectTimeoutMs: 300 }));
    expect(e.code).toBe('E_DOWNLOAD');
    expect(e.message).toContain('--model-file');
    expect(e.message).toContain('--base-url');
    expect(e.message).toContain(join(cache, 'models'));
  });

  it('downloads the default model from a (local) mirror once, with progress, then loads it', async () => {
    const body = await readFile(modelFile);
    const requests: string[] = [];
    const mirror = createHttpServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      if (!req.url?.split('?')[0]?.endsWith('/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/qwen2.5-1.5b-instruct-q4_k_m.gguf'))
        return void res.writeHead(404).end();
      const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      const end = range?.[2] ? Number(range[2]) : body.length - 1;
      res.writeHead(range ? 206 : 200, {
        'content-length': end - start + 1,
        'accept-ranges': 'bytes',
        ...(range ? { 'content-range': `bytes ${start}-${end}/${body.length}` } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body.subarray(start, end + 1));
    });
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(mirror.address() as { port: number }).port}/`;
    const cache = await mkdtemp(join(dir, 'mirror-'));
    const progress: string[] = [];
    try {
      for (let run = 0; run < 2; run++) {
        const m = await createEmbeddedModel(parseModelConfig({ maxTokens: 2 }), {
          ...OPTS,
          cacheDir: cache,
          endpoint,
          onProgress: (msg) => progress.push(msg),
        });
        await m.close();
      }
    } finally {
      mirror.closeAllConnections();
      await new Promise((resolve) => mirror.close(resolve));
    }
    expect(progress.filter((m) => m.includes('100%'))).toHaveLength(1); // the second run found it in the cache
    expect(requests.filter((r) => r.startsWith('HEAD'))).toHaveLength(1);
    expect(await readFile(join(cache, 'models', 'hf_Qwen_qwen2.5-1.5b-instruct-q4_k_m.gguf'))).toEqual(body);
  });
});

describe('toChatHistory', () => {
  it('renders native tool calls as <tool_call> text and merges consecutive tool results into one user turn', () => {
    const h = toChatHistory(HISTORY);
    expect(h.map((i) => i.type)).toEqual(['system', 'user', 'model', 'user']);
    const calls = h[2]!.type === 'model' ? String(h[2]!.response[0]) : '';
    expect(calls.match(/<tool_call>/g)).toHaveLength(2);
    expect(JSON.parse(calls.split('\n')[1]!)).toEqual({ name: 'get_weather', arguments: { city: 'Paris' } });
    expect(h[3]).toEqual({ type: 'user', text: '<tool_response>\n{"temp": 21}\n</tool_response>\n<tool_response>\n{"temp": 25}\n</tool_response>' });
  });

  it('keeps tool results separated by a user turn apart', () => {
    const h = toChatHistory([
      { role: 'tool', content: 'a' },
      { role: 'user', content: 'b' },
      { role: 'tool', content: 'c' },
    ]);
    expect(h).toEqual([
      { type: 'user', text: '<tool_response>\na\n</tool_response>' },
      { type: 'user', text: 'b' },
      { type: 'user', text: '<tool_response>\nc\n</tool_response>' },
    ]);
  });
});

describe('toGrammarSchema', () => {
  it('rewrites what the grammar builder would turn into null, recursively', () => {
    const out = toGrammarSchema({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        a: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        b: {},
        c: { type: ['object', 'null'], properties: { d: { type: 'integer' } } },
        e: { type: 'array', items: { description: 'anything' } },
        f: { type: 'object' },
      },
    }) as any;
    expect(out.$schema).toBeUndefined();
    expect(out.properties.a).toEqual({ oneOf: [{ type: 'string' }, { type: 'null' }] });
    expect(out.properties.b.oneOf).toHaveLength(3);
    expect(out.properties.c.oneOf.map((x: any) => x.type)).toEqual(['object', 'null']);
    expect(out.properties.c.oneOf[0].properties.d).toEqual({ type: 'integer' });
    expect(out.properties.e.items.oneOf).toHaveLength(3);
    expect(out.properties.f).toEqual({ type: 'object', additionalProperties: true });
  });

  it('leaves schemas the builder understands as they are', () => {
    expect(toGrammarSchema(ANSWER_SCHEMA)).toEqual({
      ...ANSWER_SCHEMA,
      properties: { ...ANSWER_SCHEMA.properties, unit: { oneOf: ANSWER_SCHEMA.properties.unit.anyOf } },
    });
  });
});
