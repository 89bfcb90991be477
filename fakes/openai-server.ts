import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OpenAI chat-completions server for tests: scripted replies, injected HTTP errors, hangs,
 * malformed bodies, latency and a capacity limit, over a real socket so the real client is exercised.
 */
export interface FakeRequest {
  model: string;
  messages: any[];
  response_format?: any;
  tools?: any[];
  temperature?: number;
  max_tokens?: number;
  stream?: boolean;
  raw: any;
}

export type FakeReply =
  | { content?: string; tool_calls?: { name: string; arguments: unknown }[]; usage?: { prompt_tokens: number; completion_tokens: number } }
  | { status: number; body?: string; headers?: Record<string, string> }
  | { hang: true }
  | { raw: string }
  /** a 200 whose body stops after `body` (the connection is cut, as a proxy dying mid-reply) */
  | { truncate: string }
  /** answer `then` after `delayMs` (a slow server) */
  | { delayMs: number; then: FakeReply };

export interface FakeServerOptions {
  respond: (req: FakeRequest, index: number) => FakeReply | Promise<FakeReply>;
  latencyMs?: number;
  /** max requests processed at once; the rest wait in a FIFO */
  capacity?: number;
  /** ids listed by GET /v1/models (default ['fake-model']); a number answers /models with that status instead */
  models?: string[] | number;
  /** loopback port to listen on (default: any free one); a stopped server restarts on its old port with it */
  port?: number;
}

export interface FakeServer {
  /** http://127.0.0.1:PORT/v1 */
  url: string;
  /** chat-completion requests in arrival order */
  requests: FakeRequest[];
  stats(): { received: number; maxInFlight: number; inFlight: number };
  close(): Promise<void>;
}

const words = (s: unknown): number => (typeof s === 'string' ? s.split(/\s+/).filter(Boolean).length : 0);
const messageText = (m: any): string => (typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? ''));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** FIFO semaphore: `capacity` holders at once, the others queue in arrival order. */
class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly capacity: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.capacity) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // the slot passes straight to the next waiter
    else this.active--;
  }
}

export async function startFakeOpenAI(options: FakeServerOptions): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const gate = new Gate(options.capacity ?? Number.POSITIVE_INFINITY);
  let completions = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let closed = false;

  async function chat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    let raw: any;
    try {
      raw = JSON.parse(text);
    } catch {
      return sendJson(res, 400, { error: { message: 'expected a JSON body', type: 'invalid_request_error' } });
    }
    const fake: FakeRequest = {
      model: raw.model,
      messages: raw.messages,
      response_format: raw.response_format,
      tools: raw.tools,
      temperature: raw.temperature,
      max_tokens: raw.max_tokens ?? raw.max_completion_tokens,
      stream: raw.stream,
      raw,
    };
    const index = requests.push(fake) - 1;
    await gate.acquire();
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      let reply: FakeReply;
      try {
        reply = await options.respond(fake, index);
      } catch (e) {
        reply = { status: 500, body: JSON.stringify({ error: { message: `fake respond() threw: ${(e as Error).message}` } }) };
      }
      while ('delayMs' in reply) {
        const { delayMs, then } = reply;
        const gone = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), delayMs);
          res.once('close', () => (clearTimeout(timer), resolve(true)));
        });
        if (gone) return;
        reply = then;
      }
      if ('truncate' in reply) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(reply.truncate) + 100) });
        res.write(reply.truncate);
        setTimeout(() => res.destroy(), 5);
        return;
      }
      if ('hang' in reply) {
        // never answer; hold the slot until the client gives up and the socket closes
        await new Promise<void>((resolve) => res.on('close', resolve));
        return;
      }
      if ('raw' in reply) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(reply.raw);
        return;
      }
      if ('status' in reply) {
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body ?? JSON.stringify({ error: { message: `fake error ${reply.status}`, type: 'fake_error', code: null } }));
        return;
      }
      const id = `chatcmpl-fake-${++completions}-${Math.random().toString(36).slice(2, 10)}`;
      const toolCalls = reply.tool_calls?.map((tc, i) => ({
        id: `call_${completions}_${i}`,
        type: 'function' as const,
        function: { name: tc.name, arguments: typeof tc.arguments === 'string' ? tc.arguments : JSON.stringify(tc.arguments) },
      }));
      const content = reply.content ?? (toolCalls ? null : '');
      const promptTokens = (raw.messages ?? []).reduce((n: number, m: any) => n + words(messageText(m)), 0);
      const completionTokens = words(content) + (toolCalls ? words(toolCalls.map((t) => `${t.function.name} ${t.function.arguments}`).join(' ')) : 0);
      const usage = reply.usage ?? { prompt_tokens: promptTokens, completion_tokens: completionTokens };
      const fullUsage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
      const finishReason = toolCalls?.length ? 'tool_calls' : 'stop';
      const created = Math.floor(Date.now() / 1000);
      if (raw.stream)
        return streamChunks(res, {
          id,
          created,
          model: fake.model,
          content,
          toolCalls,
          finishReason,
          usage: raw.stream_options?.include_usage ? fullUsage : undefined,
        });
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: fake.model,
        choices: [
          { index: 0, message: { role: 'assistant', content, ...(toolCalls ? { tool_calls: toolCalls } : {}) }, finish_reason: finishReason, logprobs: null },
        ],
        usage: fullUsage,
      });
    } finally {
      inFlight--;
      gate.release();
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      chat(req, res).catch((e) => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: String(e) } });
        else res.destroy();
      });
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      const models = options.models ?? ['fake-model'];
      if (typeof models === 'number') return sendJson(res, models, { error: { message: `fake /models status ${models}` } });
      return sendJson(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'mtr-test' })) });
    }
    sendJson(res, 404, { error: { message: `no route ${req.method} ${path}` } });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject); // the port is taken
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    stats: () => ({ received: requests.length, maxInFlight, inFlight }),
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections(); // keep-alive sockets and hung requests would hold close() forever
      });
    },
  };
}

interface StreamPlan {
  id: string;
  created: number;
  model: string;
  content: string | null;
  toolCalls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  finishReason: string;
  usage?: Record<string, number>;
}

/** Server-sent events in the OpenAI chunk layout, ending with `data: [DONE]`. */
function streamChunks(res: ServerResponse, p: StreamPlan): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const base = { id: p.id, object: 'chat.completion.chunk', created: p.created, model: p.model };
  const send = (choices: unknown[], extra: object = {}) => res.write(`data: ${JSON.stringify({ ...base, choices, ...extra })}\n\n`);
  send([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
  for (const piece of (p.content ?? '').match(/\S+\s*|\s+/g) ?? []) send([{ index: 0, delta: { content: piece }, finish_reason: null }]);
  p.toolCalls?.forEach((tc, i) => send([{ index: 0, delta: { tool_calls: [{ index: i, ...tc }] }, finish_reason: null }]));
  send([{ index: 0, delta: {}, finish_reason: p.finishReason }]);
  if (p.usage) send([], { usage: p.usage });
  res.end('data: [DONE]\n\n');
}
