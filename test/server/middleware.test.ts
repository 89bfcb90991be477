import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { bearerToken, limitBody } from '../../src/server/middleware.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('token middleware', () => {
  const app = new Hono().use(bearerToken('s3cret', { headers: ['toolbench_key'] })).get('/', (c) => c.text('ok'));
  const status = async (headers: Record<string, string>) => (await app.request('/', { headers })).status;

  it('accepts the token as Bearer, as a Basic-auth password (URL userinfo) or in a named header', async () => {
    expect(await status({ authorization: 'Bearer s3cret' })).toBe(200);
    expect(await status({ authorization: basic('mtr', 's3cret') })).toBe(200);
    expect(await status({ authorization: basic('', 's3cret') })).toBe(200);
    expect(await status({ toolbench_key: 's3cret' })).toBe(200);
  });

  it('refuses a missing or wrong token in every form, naming the ways in', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: basic('s3cret', 'x') },
      { toolbench_key: 'nope' },
      { authorization: 'Basic !!' },
    ];
    for (const headers of attempts) {
      const res = await app.request('/', { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(((await res.json()) as { error: string }).error).toMatch(/Bearer <token>.*Basic auth.*toolbench_key/);
    }
  });

  it('accepts only Bearer and Basic when no extra header is named', async () => {
    const strict = new Hono().use(bearerToken('s3cret')).get('/', (c) => c.text('ok'));
    expect((await strict.request('/', { headers: { toolbench_key: 's3cret' } })).status).toBe(401);
    expect((await strict.request('/', { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
  });

  it('lets everything through without a token', async () => {
    const open = new Hono().use(bearerToken(undefined)).get('/', (c) => c.text('ok'));
    expect((await open.request('/')).status).toBe(200);
  });
});

describe('body size limit', () => {
  const app = new Hono().use(limitBody(10)).post('/', async (c) => c.text(`read ${(await c.req.text()).length}`));
  /** A request whose `body` cannot be touched: only `text()` reads it (what @hono/node-server does cheaply). */
  const untouchable = (body: string, headers: Record<string, string>): Request => {
    const req = new Request('http://x/', { method: 'POST', body, headers });
    Object.defineProperty(req, 'body', {
      get() {
        throw new Error('limitBody touched request.body');
      },
    });
    return req;
  };

  it('decides a declared Content-Length from the header alone, without touching the body stream', async () => {
    const ok = await app.request(untouchable('{"a":1}', { 'content-length': '7' }));
    expect([ok.status, await ok.text()]).toEqual([200, 'read 7']);
    const big = await app.request(untouchable('x'.repeat(11), { 'content-length': '11' }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toMatch(/at most 10 bytes/);
  });

  it('counts a body sent without a length (a stream) as it arrives', async () => {
    const stream = (text: string) =>
      new Request('http://x/', {
        method: 'POST',
        body: new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(text));
            c.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
    const ok = await app.request(stream('0123456789'));
    expect([ok.status, await ok.text()]).toEqual([200, 'read 10']);
    expect((await app.request(stream('0123456789A'))).status).toBe(413);
  });
});
