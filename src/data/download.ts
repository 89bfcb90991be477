import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { cacheDir as defaultCacheDir } from '../paths.js';
import { MtrError } from '../schema/errors.js';
import { findDataset, inferDatasetName, unknownDatasetError } from './registry.js';

export interface DownloadProgress {
  url: string;
  /** bytes written so far */
  received: number;
  /** from Content-Length, when the server sends it */
  total?: number;
}

export interface ResolveOptions {
  /** registry split; default: the dataset's defaultSplit */
  split?: string;
  /** cache root; default: cacheDir() from src/paths.ts */
  cacheDir?: string;
  fetchImpl?: typeof fetch;
  onProgress?: (progress: DownloadProgress) => void;
}

export interface ResolvedDataset {
  path: string;
  name: string;
  split?: string;
}

async function isFile(path: string): Promise<boolean | undefined> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return undefined;
  }
}

/**
 * A dataset file to load: an existing path is used as is; a registry name (or alias) is downloaded once
 * into `<cacheDir>/datasets/<name>/<split>.jsonl` and reused afterwards.
 */
export async function resolveDataset(nameOrPath: string, options: ResolveOptions = {}): Promise<ResolvedDataset> {
  const existing = await isFile(nameOrPath);
  if (existing) return { path: nameOrPath, name: inferDatasetName(nameOrPath) };
  if (existing === false) throw new MtrError('E_DATASET', `${nameOrPath}: expected a dataset file, got a directory`);

  const found = findDataset(nameOrPath);
  if (!found) throw unknownDatasetError(nameOrPath);
  const split = options.split ?? found.entry.defaultSplit;
  const source = found.entry.splits[split];
  if (!source) {
    throw new MtrError('E_DATASET', `unknown split "${split}" for ${found.name}: expected one of ${Object.keys(found.entry.splits).join(', ')}`);
  }
  const path = join(options.cacheDir ?? defaultCacheDir(), 'datasets', found.name, `${split}.jsonl`);
  if (!(await isFile(path))) await downloadFile(source.url, path, options);
  return { path, name: found.name, split };
}

function downloadError(url: string, dest: string, reason: string, cause?: unknown): MtrError {
  return new MtrError(
    'E_DOWNLOAD',
    `could not download ${url}: ${reason}. Download it by hand (e.g. curl -L -o ${dest} ${url}) and pass the file path instead of the dataset name`,
    { url },
    { cause },
  );
}

/**
 * Streams `url` into a temporary file beside `dest`, then renames it: `dest` either is complete or does
 * not exist, even if the process is killed mid-download.
 */
export async function downloadFile(url: string, dest: string, options: Pick<ResolveOptions, 'fetchImpl' | 'onProgress'> = {}): Promise<void> {
  const fetchImpl = options.fetchImpl ?? fetch;
  let response: Response;
  try {
    response = await fetchImpl(url, { redirect: 'follow' });
  } catch (e) {
    const cause = (e as Error & { cause?: Error }).cause;
    throw downloadError(url, dest, `${(e as Error).message}${cause?.message ? ` (${cause.message})` : ''}`, e);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => {}); // release the connection of an error page we do not read
    throw downloadError(url, dest, `HTTP ${response.status} ${response.statusText}`.trim());
  }

  // With Content-Encoding, fetch decompresses, so Content-Length (compressed size) cannot be checked.
  const length = Number(response.headers.get('content-length'));
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const total = Number.isFinite(length) && length > 0 && !encoded ? length : undefined;
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      options.onProgress?.({ url, received, ...(total !== undefined ? { total } : {}) });
      done(null, chunk);
    },
  });

  try {
    await mkdir(dirname(dest), { recursive: true });
  } catch (e) {
    throw downloadError(url, dest, `cannot create the cache folder: ${(e as Error).message}`, e);
  }
  const temp = `${dest}.${process.pid}.${randomUUID().slice(0, 8)}.part`;
  const writer = createWriteStream(temp, { flags: 'wx' });
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), counter, writer);
    if (total !== undefined && received !== total) throw downloadError(url, dest, `expected ${total} bytes, got ${received}`);
    if (received === 0) throw downloadError(url, dest, 'expected data, got an empty response');
    await rename(temp, dest);
  } catch (e) {
    // A destroyed writer may still be opening the file; remove it only once it is closed.
    if (!writer.closed) await new Promise<void>((closed) => writer.once('close', () => closed()));
    await rm(temp, { force: true });
    throw e instanceof MtrError ? e : downloadError(url, dest, (e as Error).message, e);
  }
}
