import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveDataset, type DownloadProgress } from '../../src/data/download.js';
import { loadItems } from '../../src/data/load.js';
import { mtrError } from '../support/errors.js';

const BODY = [
  '{"id": "test_0", "question": "Who?", "golden_answers": ["Ann"]}',
  '{"id": "test_1", "question": "When?", "golden_answers": ["1999", "in 1999"]}',
  '',
].join('\n');

let server: Server;
let base: string;
let hits: string[] = [];
let cache: string;

/** A local stand-in for huggingface.co: /ok serves BODY, /broken dies mid-body, anything else 404s. */
beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url?.endsWith('/ok.jsonl')) {
      res.writeHead(200, { 'content-type': 'application/jsonl', 'content-length': Buffer.byteLength(BODY) });
      res.end(BODY);
    } else if (req.url?.endsWith('/broken.jsonl')) {
      res.writeHead(200, { 'content-length': 10_000 });
      res.write(BODY.slice(0, 30), () => res.destroy());
    } else {
      res.writeHead(404, 'Not Found').end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
});
beforeEach(async () => {
  hits = [];
  cache = await mkdtemp(join(tmpdir(), 'mtr-cache-'));
  return () => rm(cache, { recursive: true, force: true });
});

/** Sends the registry's URL to the local server instead, keeping the path so the test can pick a route. */
const localFetch = (path: string): typeof fetch =>
  (async (url: string | URL | Request, init?: RequestInit) => {
    expect(String(url)).toMatch(/^https:\/\/huggingface\.co\/datasets\/RUC-NLPIR\/FlashRAG_datasets\/resolve\/main\//);
    return fetch(`${base}${path}`, init);
  }) as typeof fetch;

describe('resolveDataset', () => {
  it('an existing path is used as is, without any request', async () => {
    const path = join(cache, 'hotpot_mine.jsonl');
    await writeFile(path, BODY);
    expect(await resolveDataset(path, { fetchImpl: localFetch('/ok.jsonl') })).toEqual({ path, name: 'hotpotqa' });
    expect(hits).toEqual([]);
  });

  it('downloads a registry dataset once into the cache, reports progress, then reuses it', async () => {
    const progress: DownloadProgress[] = [];
    const first = await resolveDataset('bamboogle', { cacheDir: cache, fetchImpl: localFetch('/ok.jsonl'), onProgress: (p) => progress.push(p) });
    expect(first).toEqual({ path: join(cache, 'datasets', 'bamboogle', 'test.jsonl'), name: 'bamboogle', split: 'test' });
    expect(await readFile(first.path, 'utf8')).toBe(BODY);
    expect(progress.at(-1)).toMatchObject({ received: Buffer.byteLength(BODY), total: Buffer.byteLength(BODY) });
    expect(await readdir(join(cache, 'datasets', 'bamboogle'))).toEqual(['test.jsonl']);

    const again = await resolveDataset('bamboogle', { cacheDir: cache, fetchImpl: localFetch('/ok.jsonl') });
    expect(again).toEqual(first);
    expect(hits).toHaveLength(1);

    const items = await loadItems(again.path, { dataset: again.name });
    expect(items.map((i) => [i.id, i.dataset, i.answers])).toEqual([
      ['test_0', 'bamboogle', ['Ann']],
      ['test_1', 'bamboogle', ['1999', 'in 1999']],
    ]);
  });

  it('aliases and explicit splits pick the cache file', async () => {
    const got = await resolveDataset('2wiki', { split: 'train', cacheDir: cache, fetchImpl: localFetch('/ok.jsonl') });
    expect(got).toEqual({ path: join(cache, 'datasets', '2wikimultihopqa', 'train.jsonl'), name: '2wikimultihopqa', split: 'train' });
  });

  it('unknown dataset names list the known ones', async () => {
    const e = await mtrError(resolveDataset('squad', { cacheDir: cache }));
    expect(e.code).toBe('E_DATASET');
    expect(e.message).toBe('unknown dataset "squad": expected a file path or one of bamboogle, hotpotqa, 2wikimultihopqa, musique');
  });

  it('a name close to a registry name or alias suggests it; one that looks like a path is a missing file', async () => {
    const near = await mtrError(resolveDataset('hotpotqq', { cacheDir: cache }));
    expect([near.code, near.message]).toEqual([
      'E_DATASET',
      'unknown dataset "hotpotqq" (did you mean hotpotqa or hotpot?): expected a file path or one of bamboogle, hotpotqa, 2wikimultihopqa, musique',
    ]);
    for (const path of [join(cache, 'missing.jsonl'), 'data/hotpotqa', 'hotpot.jsonl']) {
      const e = await mtrError(resolveDataset(path, { cacheDir: cache }));
      expect([e.code, e.message]).toEqual(['E_DATASET', `no such file: ${path}`]);
    }
  });

  it('unknown splits list the known ones', async () => {
    const e = await mtrError(resolveDataset('musique', { split: 'test', cacheDir: cache }));
    expect(e.message).toBe('unknown split "test" for musique: expected one of dev, train');
  });

  it('a directory is not a dataset file', async () => {
    await mkdir(join(cache, 'sub'));
    expect((await mtrError(resolveDataset(join(cache, 'sub')))).message).toContain('expected a dataset file, got a directory');
  });

  it('an HTTP error names the URL and says how to continue by hand; nothing is cached', async () => {
    const e = await mtrError(resolveDataset('hotpotqa', { cacheDir: cache, fetchImpl: localFetch('/missing.jsonl') }));
    expect(e.code).toBe('E_DOWNLOAD');
    expect(e.message).toContain(
      'could not download https://huggingface.co/datasets/RUC-NLPIR/FlashRAG_datasets/resolve/main/hotpotqa/dev.jsonl: HTTP 404 Not Found',
    );
    expect(e.message).toContain('Download it by hand');
    expect(e.message).toContain('pass the file path');
    expect(await readdir(join(cache, 'datasets', 'hotpotqa')).catch(() => [])).toEqual([]);
  });

  it('a connection dropped mid-download leaves neither the file nor a partial one', async () => {
    const e = await mtrError(resolveDataset('musique', { cacheDir: cache, fetchImpl: localFetch('/broken.jsonl') }));
    expect(e.code).toBe('E_DOWNLOAD');
    expect(await readdir(join(cache, 'datasets', 'musique'))).toEqual([]);
  });

  it('an unreachable server is an E_DOWNLOAD naming the URL', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const unreachable = ((_url: string | URL | Request, init?: RequestInit) => fetch(`http://127.0.0.1:${port}/x.jsonl`, init)) as typeof fetch;
    const e = await mtrError(resolveDataset('bamboogle', { cacheDir: cache, fetchImpl: unreachable }));
    expect(e.code).toBe('E_DOWNLOAD');
    expect(e.message).toMatch(/^could not download https:\/\/huggingface\.co\/.*bamboogle\/test\.jsonl: fetch failed/);
  });
});
