import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeToolsNode } from '../../graphs/trace-graph.js';
import { openAIEmbedder } from '../../src/carg/embed.js';
import { resolveDataset } from '../../src/data/download.js';
import { parseModelConfig } from '../../src/llm/config.js';
import { createEmbeddedModel } from '../../src/llm/embedded.js';
import { HttpStatusError } from '../../src/llm/retry.js';
import { MtrError } from '../../src/schema/errors.js';
import { compilePattern, compileSchema } from '../../src/schema/json-schema.js';
import { mtrError } from '../support/errors.js';
import { REPO_ROOT } from '../support/paths.js';

/** Every .ts file under a folder of the repo. */
async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(join(REPO_ROOT, dir), { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => relative(REPO_ROOT, join(e.parentPath, e.name)));
}

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new MtrError('E_INTERNAL', 'expected a throw, got none');
};

describe('no plain Error reaches a face', () => {
  it('src/ and graphs/ construct no plain Error: every error is an MtrError with a code (internal carriers are named classes)', async () => {
    const found: string[] = [];
    for (const file of [...(await sources('src')), ...(await sources('graphs'))]) {
      const lines = (await readFile(join(REPO_ROOT, file), 'utf8')).split('\n');
      lines.forEach((line, i) => {
        if (/\bnew (Type|Range|Syntax)?Error\(|\bthrow Error\(|\breject\(Error\(/.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found, found.join('\n')).toEqual([]);
  });
});

describe('tool schemas (model-written or from tool files)', () => {
  it('a pattern RE2 refuses is E_TOOL_SCHEMA with the pattern, the reason and RE2 error as cause', () => {
    const e = thrown(() => compilePattern('(?=a)b')) as MtrError;
    expect(e).toBeInstanceOf(MtrError);
    expect(e.code).toBe('E_TOOL_SCHEMA');
    expect(e.message).toMatch(/^pattern "\(\?=a\)b": expected a regular expression a linear-time engine \(RE2\) accepts, got /);
    expect(e.details).toEqual({ pattern: '(?=a)b' });
    expect(e.cause).toBeInstanceOf(Error);
    expect(e.message).toContain((e.cause as Error).message);
  });

  it("a schema ajv cannot compile (an unresolvable $ref) is E_TOOL_SCHEMA keeping ajv's message, ajv's error as cause", () => {
    const e = thrown(() => compileSchema({ type: 'object', properties: { a: { $ref: '#/$defs/missing' } } })) as MtrError;
    expect(e).toBeInstanceOf(MtrError);
    expect(e.code).toBe('E_TOOL_SCHEMA');
    expect(e.message).toMatch(/can't resolve reference #\/\$defs\/missing/);
    expect((e.cause as Error).message).toBe(e.message);
    expect(e.cause).not.toBeInstanceOf(MtrError);
  });

  it('a bad pattern inside a schema surfaces from compileSchema as the same E_TOOL_SCHEMA', () => {
    const e = thrown(() => compileSchema({ type: 'string', pattern: '(a)\\1' })) as MtrError;
    expect(e).toBeInstanceOf(MtrError);
    expect(e.code).toBe('E_TOOL_SCHEMA');
    expect(e.message).toContain('pattern "(a)\\\\1": expected a regular expression a linear-time engine (RE2) accepts');
  });
});

describe('servers mtr fetches from', () => {
  let server: Server;
  let base: string;
  const hits: Record<string, number> = {};
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '';
      hits[url] = (hits[url] ?? 0) + 1;
      if (url.endsWith('/empty.jsonl')) res.writeHead(200, { 'content-length': 0 }).end();
      else if (url.startsWith('/500/')) res.writeHead(500).end('overloaded');
      else if (url.startsWith('/401/')) res.writeHead(401).end('bad key');
      else res.writeHead(404).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('a dataset download answering 200 with no bytes is E_DOWNLOAD "expected data", nothing kept', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'mtr-design-'));
    try {
      const local = ((_url: string | URL | Request, init?: RequestInit) => fetch(`${base}/empty.jsonl`, init)) as typeof fetch;
      const e = await mtrError(resolveDataset('bamboogle', { cacheDir: cache, fetchImpl: local }));
      expect(e.code).toBe('E_DOWNLOAD');
      expect(e.message).toMatch(
        /^could not download https:\/\/huggingface\.co\/.*bamboogle\/test\.jsonl: expected data, got an empty response\. Download it by hand/,
      );
      expect(await readdir(join(cache, 'datasets', 'bamboogle'))).toEqual([]);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it('an unreachable dataset server is E_DOWNLOAD with fetch error as cause', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'mtr-design-'));
    try {
      const refused = ((_url: string | URL | Request, init?: RequestInit) => fetch('http://127.0.0.1:1/x.jsonl', init)) as typeof fetch;
      const e = await mtrError(resolveDataset('bamboogle', { cacheDir: cache, fetchImpl: refused }));
      expect(e.code).toBe('E_DOWNLOAD');
      expect(e.cause).toBeInstanceOf(TypeError); // undici's "fetch failed"
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it('an embedding server answering 500 is retried, then E_MODEL_UNREACHABLE with the HTTP status as cause', async () => {
    const embedder = openAIEmbedder({ baseUrl: `${base}/500/v1`, model: 'e5' });
    const e = await mtrError(embedder.embed(['a tool name']));
    expect(e.code).toBe('E_MODEL_UNREACHABLE');
    expect(e.message).toMatch(/^cannot get embeddings from http:\/\/127\.0\.0\.1:\d+\/500\/v1\/embeddings: 500 overloaded; check --embed-base-url/);
    expect(e.cause).toBeInstanceOf(HttpStatusError);
    expect((e.cause as HttpStatusError).status).toBe(500);
    expect(hits['/500/v1/embeddings']).toBe(3); // the first try and two retries
  });

  it('an embedding server refusing the key (401) is not retried', async () => {
    const e = await mtrError(openAIEmbedder({ baseUrl: `${base}/401/v1`, model: 'e5' }).embed(['x']));
    expect(e.code).toBe('E_MODEL_UNREACHABLE');
    expect((e.cause as HttpStatusError).status).toBe(401);
    expect(hits['/401/v1/embeddings']).toBe(1);
  });
});

describe('--model-file', () => {
  it('a folder is E_USAGE "not a regular file"; a missing file keeps the fs error as cause', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtr-design-'));
    try {
      await mkdir(join(dir, 'model.gguf'));
      const folder = await mtrError(createEmbeddedModel(parseModelConfig({ modelFile: join(dir, 'model.gguf') }), { threads: 1 }));
      expect(folder.code).toBe('E_USAGE');
      expect(folder.message).toBe(`--model-file: expected a readable GGUF file, got ${JSON.stringify(join(dir, 'model.gguf'))} (not a regular file)`);
      const missing = await mtrError(createEmbeddedModel(parseModelConfig({ modelFile: join(dir, 'none.gguf') }), { threads: 1 }));
      expect(missing.code).toBe('E_USAGE');
      expect(missing.message).toContain('none.gguf');
      expect((missing.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('trace graph wiring', () => {
  it('a node run without its deps and sink is E_INTERNAL saying what it got', async () => {
    const e = await mtrError(makeToolsNode({} as Parameters<typeof makeToolsNode>[0], { configurable: { deps: {} } }));
    expect(e.code).toBe('E_INTERNAL');
    expect(e.message).toBe('trace graph: expected configurable.deps and configurable.sink, got deps and no sink');
  });
});
