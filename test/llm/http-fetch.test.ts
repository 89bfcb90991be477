import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFetch } from '../../src/llm/http-fetch.js';

/** The node:http fetch behind the openai SDK: what the SDK reads of a Response, and failures as undici reports them. */
describe('httpFetch', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/echo') {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2', 'x-multi': ['a', 'b'] });
          res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, length: req.headers['content-length'], body }));
        } else if (req.url === '/moved') {
          res.writeHead(307, { location: '/echo' });
          res.end();
        } else if (req.url === '/cut') {
          res.writeHead(200, { 'content-length': '100' });
          res.write('{"partial":');
          setTimeout(() => res.destroy(), 5);
        } else if (req.url === '/empty') {
          res.writeHead(204);
          res.end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends method, headers and body; returns status, headers and text', async () => {
    const res = await httpFetch(`${base}/echo`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: 'héllo' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.headers.get('x-multi')).toBe('a, b');
    expect(await res.json()).toEqual({ method: 'POST', auth: 'Bearer k', length: '6', body: 'héllo' });
  });

  it('follows a redirect as fetch does, and gives a 204 no body', async () => {
    expect((await httpFetch(`${base}/moved`, { method: 'POST', body: 'x' })).status).toBe(429);
    const empty = await httpFetch(`${base}/empty`);
    expect([empty.status, await empty.text()]).toEqual([204, '']);
  });

  it('a body cut off mid-reply fails as undici does: TypeError "fetch failed", cause UND_ERR_SOCKET', async () => {
    const e = await httpFetch(`${base}/cut`).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TypeError);
    expect((e as { cause?: { code?: string } }).cause?.code).toBe('UND_ERR_SOCKET');
  });

  it('a refused connection keeps its code; an aborted request rejects with the signal reason', async () => {
    const refused = await httpFetch('http://127.0.0.1:59999/').catch((x: unknown) => x);
    expect((refused as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    const ac = new AbortController();
    const reason = new Error('stop');
    ac.abort(reason);
    await expect(httpFetch(`${base}/echo`, { signal: ac.signal })).rejects.toBe(reason);
  });
});
