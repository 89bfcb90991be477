import http from 'node:http';
import https from 'node:https';

/**
 * `fetch` for the openai SDK over node:http with keep-alive agents. Node's own fetch (undici, web streams)
 * cost about 0.3 ms of CPU per model call more (bench/pipeline.ts at 256 in flight), a third of issue 17's
 * budget. It does what the SDK asks of fetch for chat completions — method, headers, a string body, the abort
 * signal (the SDK's timeout) — and hands anything else (a redirect, a body that is not text) to global fetch.
 * Socket failures keep undici's codes, so classifyError and describeCause read them as before.
 */
// timeout: an idle kept-alive socket closes after 4 s, or a second before the server's Keep-Alive hint (undici's
// defaults), so a request seldom goes out on a socket the server has just closed. Node's agent reads the hint only
// when a timeout is set; on a socket in use the timeout only notifies, it ends no request.
const KEEP_ALIVE = { keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, timeout: 4000 };
const agents = { 'http:': new http.Agent(KEEP_ALIVE), 'https:': new https.Agent(KEEP_ALIVE) };

/** A socket that closed under a sent request: undici calls this UND_ERR_SOCKET ("other side closed"). */
class SocketError extends Error {
  override readonly name = 'SocketError';
  readonly code = 'UND_ERR_SOCKET';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

/** fetch's TypeError("fetch failed") with the socket error as its cause, as undici throws it (a TypeError, named so). */
class FetchFailed extends TypeError {
  override readonly name = 'TypeError';
}
const fetchFailed = (cause: unknown): TypeError => new FetchFailed('fetch failed', { cause });

interface Reply {
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
}

/**
 * `check` sees each reply's status and text before the Response is made (and may throw): the one read of the
 * body, where a wrapper around fetch would read it again.
 */
export async function httpFetch(input: string | URL | Request, init: RequestInit = {}, check?: (status: number, text: string) => void): Promise<Response> {
  const r = await send(input, init);
  check?.(r.status, r.text);
  // a plain Response, read by the SDK through its body: the global may be @hono/node-server's (mtr serve), whose
  // text() and json() cannot be replaced on an instance
  return new Response(r.status === 204 || r.status === 304 ? null : r.text, { status: r.status, statusText: r.statusText, headers: r.headers });
}

/** What global fetch gives, read whole. */
async function viaFetch(input: string | URL | Request, init: RequestInit): Promise<Reply> {
  const res = await fetch(input, init);
  return { status: res.status, statusText: res.statusText, headers: res.headers, text: await res.text() };
}

async function send(input: string | URL | Request, init: RequestInit): Promise<Reply> {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const body = init.body;
  const agent = agents[url.protocol as keyof typeof agents];
  if (input instanceof Request || !agent || (body != null && typeof body !== 'string')) return viaFetch(input, init);
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((v, k) => {
    headers[k] = v;
  });
  if (body != null && headers['content-length'] === undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  const { res, text } = await new Promise<{ res: http.IncomingMessage; text: string }>((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(
      url,
      { method: init.method ?? 'GET', headers, agent, ...(signal ? { signal } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ res, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('aborted', () => reject(fetchFailed(new SocketError('other side closed', { cause: undefined }))));
        res.on('error', (e) => reject(signal?.aborted ? signal.reason : fetchFailed(new SocketError('other side closed', { cause: e }))));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (signal?.aborted) return reject(signal.reason); // the SDK tells its timeout from a cancel by its own signal
      // a reset or hang-up of a connected socket is undici's UND_ERR_SOCKET; refused, no host… keep their code
      reject(fetchFailed(e.code === 'ECONNRESET' || e.code === 'EPIPE' ? new SocketError('other side closed', { cause: e }) : e));
    });
    req.end(body ?? undefined);
  });
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && res.headers.location) return viaFetch(input, init); // fetch follows redirects
  const out = new Headers();
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : v);
  return { status, statusText: res.statusMessage ?? '', headers: out, text };
}
