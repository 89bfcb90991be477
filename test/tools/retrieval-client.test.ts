import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateJson } from '../../src/schema/json-schema.js';
import { responsesJsonSchema } from '../../src/schema/tool-convert.js';
import { openRealTools } from '../../src/tools/real.js';
import { RetrievalClient } from '../../src/tools/retrieval-client.js';
import { UTILITY_TOOLS } from '../../src/tools/utility.js';

/** A local stand-in for Search-R1's retrieval_server.py, with switchable misbehaviour. */
let mode: 'ok' | 'bare' | 'titled' | '500' | 'html' | 'shape' | 'short' = 'ok';
const bodies: any[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text);
      bodies.push({ path: req.url, ...body });
      const lists = body.queries.map((q: string) =>
        Array.from({ length: body.topk }, (_, i) => ({
          document: mode === 'titled' ? { title: `T${i}`, text: `${q} ${i}` } : { id: `${i}`, contents: `"Doc ${i}"\nabout ${q}` },
          score: 10 - i,
        })),
      );
      const send = (status: number, payload: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(payload);
      if (mode === '500') return send(500, '{"detail":"index not loaded"}');
      if (mode === 'html') return send(200, '<html>');
      if (mode === 'shape') return send(200, JSON.stringify({ result: [[{ document: { id: 1 }, score: 1 }]] }));
      if (mode === 'short') return send(200, JSON.stringify({ result: [] }));
      send(200, JSON.stringify(mode === 'bare' ? lists : { result: lists }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('RetrievalClient (Search-R1 POST /retrieve)', () => {
  it('sends {queries, topk, return_scores: true} and splits FlashRAG contents into title and text', async () => {
    mode = 'ok';
    const out = await new RetrievalClient(url).retrieve(['who wrote Hamlet', 'capital of Peru'], 2);
    expect(bodies.at(-1)).toEqual({ path: '/retrieve', queries: ['who wrote Hamlet', 'capital of Peru'], topk: 2, return_scores: true });
    expect(out).toEqual([
      [
        { id: '0', title: 'Doc 0', text: 'about who wrote Hamlet', score: 10 },
        { id: '1', title: 'Doc 1', text: 'about who wrote Hamlet', score: 9 },
      ],
      [
        { id: '0', title: 'Doc 0', text: 'about capital of Peru', score: 10 },
        { id: '1', title: 'Doc 1', text: 'about capital of Peru', score: 9 },
      ],
    ]);
  });

  it('accepts the unwrapped list and {title, text} documents; takes the /retrieve URL as given', async () => {
    mode = 'bare';
    expect((await new RetrievalClient(`${url}/retrieve/`).retrieve(['q'], 1))[0]![0]).toMatchObject({ title: 'Doc 0' });
    mode = 'titled';
    expect((await new RetrievalClient(url).retrieve(['q'], 1))[0]![0]).toMatchObject({ title: 'T0', text: 'q 0' });
  });

  it('reports server errors, non-JSON, wrong shapes and unreachable servers clearly', async () => {
    const client = new RetrievalClient(url);
    mode = '500';
    await expect(client.retrieve(['q'], 1)).rejects.toThrow(/expected status 200, got 500: .*index not loaded/);
    mode = 'html';
    await expect(client.retrieve(['q'], 1)).rejects.toThrow(/expected JSON, got "<html>"/);
    mode = 'shape';
    await expect(client.retrieve(['q'], 1)).rejects.toThrow(/expected \{result: \[\[\{document: \{contents\}, score\}\]\]\}, got/);
    mode = 'short';
    await expect(client.retrieve(['q'], 1)).rejects.toThrow(/expected 1 result lists, got 0/);
    await expect(new RetrievalClient('http://127.0.0.1:1', { timeoutMs: 2000 }).retrieve(['q'], 1)).rejects.toThrow(/cannot be reached/);
    expect(() => new RetrievalClient('localhost:8000')).toThrow(/--retrieval-url: expected an http\(s\) URL/);
  });

  it('backs the real wiki_search tool, answering in the utility response shape with top_k (default 3)', async () => {
    mode = 'ok';
    const { wiki_search } = openRealTools({ retrievalUrl: url });
    const out = await wiki_search!.call({ query: 'Oslo' });
    expect(bodies.at(-1)).toMatchObject({ queries: ['Oslo'], topk: 3 });
    expect(validateJson(responsesJsonSchema(UTILITY_TOOLS.wiki_search!), out).ok).toBe(true);
    expect(out).toEqual({ results: [0, 1, 2].map((i) => ({ title: `Doc ${i}`, text: 'about Oslo' })) });
    await wiki_search!.call({ query: 'Oslo', top_k: 5 });
    expect(bodies.at(-1)).toMatchObject({ topk: 5 });
    expect(() => openRealTools({ retrievalUrl: url, index: 'x.sqlite' })).toThrow(/expected one wiki_search backend, got both/);
  });
});
