import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/reward-server.js';
import { importTools } from '../../src/carg/repository.js';
import type { ToolTemplate } from '../../src/schema/tool.js';
import { startToolsServer } from '../../src/server/tools-server.js';
import { buildIndex } from '../../src/tools/bm25.js';
import { serveCli, spawnCli } from '../support/cli.js';
import { memoryCarg } from '../carg/helpers.js';
import { closedPort } from '../support/store.js';
import { SEAL, toolsFixture, type ToolsFixture, WIKI } from './tools-fixture.js';

let fx: ToolsFixture;
let server: RunningServer;
const auth = { authorization: 'Bearer s3cret', 'content-type': 'application/json' };

beforeAll(async () => {
  fx = await toolsFixture({ fake: { latencyMs: 40 }, service: { maxConcurrencyPerClient: 3, maxQueuedPerClient: 64 } });
  server = await startToolsServer(fx.service, { port: 0, token: 's3cret', maxBodyBytes: 2048 });
});
afterAll(async () => {
  await server.close();
  await fx.close();
});

const post = (path: string, body: string | ReadableStream, headers: Record<string, string> = auth, extra: RequestInit = {}) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers, body, ...extra });

describe('tool server on a real socket', () => {
  it('binds loopback and answers calls, /virtual and /health', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({ ok: true, tools: 2 });
    const res = await post('/v1/tools/wiki_search', JSON.stringify({ query: 'Paris' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ source: 'simulated' });
    const v = (await (
      await post(
        '/virtual',
        JSON.stringify({ category: 'c', tool_name: 't', api_name: SEAL.api_name, tool_input: JSON.stringify({ [SEAL.required[0]!]: 'x' }), strip: '' }),
      )
    ).json()) as { error: string; response: string };
    expect(v.error).toBe('');
    expect(Object.keys(JSON.parse(v.response))).toEqual(Object.keys(SEAL.responses));
  });

  it('rejects a wrong or missing token (401), oversized bodies with or without Content-Length (413), malformed JSON (400)', async () => {
    expect((await post('/v1/tools/wiki_search', '{"query":"x"}', { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post('/v1/tools/wiki_search', '{"query":"x"}', {})).status).toBe(401);
    expect((await post('/v1/tools/wiki_search', JSON.stringify({ query: 'x'.repeat(5000) }))).status).toBe(413);
    const chunks = new ReadableStream({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode(`{"query": "${'y'.repeat(400)}"`));
        c.close();
      },
    });
    expect((await post('/v1/tools/wiki_search', chunks, auth, { duplex: 'half' } as RequestInit)).status).toBe(413);
    const bad = await post('/v1/batch', '{"calls": [');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/invalid JSON/);
    expect((await fetch(`${server.url}/health`)).status).toBe(200); // still up
  });

  it('runs concurrent calls of one client at most --max-concurrency-per-client at a time, all answered', async () => {
    fx.fake.requests.length = 0;
    const answers = await Promise.all(Array.from({ length: 9 }, (_, i) => post('/v1/tools/wiki_search', JSON.stringify({ query: `q${i}` }))));
    expect(answers.map((r) => r.status)).toEqual(Array(9).fill(200));
    expect(fx.fake.requests).toHaveLength(9);
    expect(fx.fake.stats().maxInFlight).toBeLessThanOrEqual(3);
  });
});

/** The real `mtr serve tools` binary against the fake model. */
const serveTools = (args: string[]) => serveCli('tools', ['--base-url', fx.fake.url, '--model', 'fake-model', ...args]);

describe('mtr serve tools (the real binary)', () => {
  it('serves a tool file on a free port, answers over HTTP, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtr-serve-tools-'));
    const file = join(dir, 'tools.json');
    writeFileSync(
      file,
      JSON.stringify([WIKI, SEAL, { ...SEAL, api_name: 'typo_type', parameters: { a: { type: 'strng', description: 'A.' } }, required: [] }]),
    );
    const { child, done, url, out } = await serveTools(['--toolset', file]);
    expect(out()).toContain('2 tools');
    const res = await fetch(`${url}/v1/tools/wiki_search`, { method: 'POST', body: JSON.stringify({ query: 'Paris' }) });
    expect(await res.json()).toMatchObject({ source: 'simulated' });
    child.kill('SIGTERM');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/skipped .*tools\.json#\/2: parameters\.a\.type: unknown type "strng"/);
  });

  it('serves an OpenAPI 3 document: the operations carg tools import keeps, $refs resolved, calls pre-checked then simulated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtr-serve-openapi-'));
    const file = join(dir, 'petstore.json');
    const pet = { type: 'object', properties: { id: { type: 'integer', description: 'Pet id.' }, name: { type: 'string', description: 'Name.' } } };
    const ok = (schema: unknown) => ({ '200': { description: 'OK', content: { 'application/json': { schema } } } });
    writeFileSync(
      file,
      JSON.stringify({
        openapi: '3.0.0',
        info: { title: 'Petstore', version: '1' },
        components: { schemas: { Pet: pet } },
        paths: {
          '/pets': {
            get: {
              operationId: 'listPets',
              summary: 'List pets.',
              parameters: [{ name: 'limit', in: 'query', description: 'At most this many.', schema: { type: 'integer' } }],
              responses: ok({ type: 'object', properties: { pets: { type: 'array', items: { $ref: '#/components/schemas/Pet' } } } }),
            },
          },
          '/pets/{petId}': {
            get: {
              summary: 'One pet by id.',
              parameters: [{ name: 'petId', in: 'path', required: true, description: 'The pet.', schema: { type: 'integer' } }],
              responses: ok({ $ref: '#/components/schemas/Pet' }),
            },
          },
        },
      }),
    );
    const db = await memoryCarg();
    const imported = await importTools(db, [file]);
    expect(imported).toMatchObject({ files: [{ format: 'openapi', tools: 2 }], rejected: 0 });
    const { child, done, url } = await serveTools(['--toolset', file]);
    const listed = (await (await fetch(`${url}/v1/tools`)).json()) as { tools: ToolTemplate[] };
    expect(listed.tools.map((t) => t.api_name)).toEqual((await db.listTools()).map((r) => r.name));
    expect(listed.tools.map((t) => t.api_name)).toEqual(['listPets', 'get_pets_petId']);
    expect(listed.tools[0]!.responses.pets).toMatchObject({ type: 'array', items: pet });
    const call = (name: string, args: unknown) => fetch(`${url}/v1/tools/${name}`, { method: 'POST', body: JSON.stringify(args) }).then((r) => r.json());
    expect(await call('get_pets_petId', {})).toMatchObject({ source: 'precheck', error: { type: 'missing_required', parameter: 'petId' } });
    expect(await call('get_pets_petId', { petId: 7 })).toMatchObject({ source: 'simulated' });
    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
  });

  it('routes wiki_search to a real BM25 index with --index, other tools to the simulator', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtr-serve-real-'));
    const file = join(dir, 'tools.json');
    const index = join(dir, 'corpus.sqlite');
    writeFileSync(file, JSON.stringify([WIKI, SEAL]));
    await buildIndex(index, [
      { id: 'p1', title: 'Eiffel Tower', text: 'The Eiffel Tower stands in Paris and was finished in 1889.' },
      { id: 'p2', title: 'Colosseum', text: 'The Colosseum is in Rome.' },
    ]);
    const { child, done, url } = await serveTools(['--toolset', file, '--index', index]);
    const real = (await (await fetch(`${url}/v1/tools/wiki_search`, { method: 'POST', body: JSON.stringify({ query: 'Eiffel Tower year' }) })).json()) as {
      source: string;
      content: { results: { title: string }[] };
    };
    expect(real.source).toBe('real');
    expect(real.content.results[0]!.title).toBe('Eiffel Tower');
    const simulatedCall = await fetch(`${url}/v1/tools/${SEAL.api_name}`, { method: 'POST', body: JSON.stringify({ [SEAL.required[0]!]: 'x' }) });
    expect(await simulatedCall.json()).toMatchObject({ source: 'simulated' });
    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
  });

  it('fails with a usage error naming the flags when given two tool sets', async () => {
    const { done } = spawnCli(['serve', 'tools', '--base-url', fx.fake.url, '--toolset', 'a.json', '--from-run', 'b.sqlite']);
    const result = await done;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/expected at most one of --toolset FILE or --from-run DB\[:RUN\], got both/);
  });

  it('stops before listening when --retrieval-url does not answer, naming it', async () => {
    const port = await closedPort();
    const result = await spawnCli(['serve', 'tools', '--port', '0', '--retrieval-url', `http://127.0.0.1:${port}/retrieve`]).done;
    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toMatch(/tool server on/);
    expect(result.stderr).toMatch(new RegExp(`--retrieval-url: cannot use the retrieval server at http://127\\.0\\.0\\.1:${port}/retrieve`));
  });
});
