import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { MtrError, inputError } from '../schema/errors.js';

/** Where a record sits: a line of a JSONL file, or an index into a JSON array. */
export type Location = { file: string; line: number } | { file: string; record: number };

export const describeLocation = (at: Location): string => ('line' in at ? `${at.file}:${at.line}` : `${at.file}: record ${at.record}`);

/** Fallback id for records that carry none: `line-N` (JSONL, 1-based) or `record-N` (JSON array index). */
export const fallbackId = (at: Location): string => ('line' in at ? `line-${at.line}` : `record-${at.record}`);

/** `file:line: field: message` (or `file: record N: field: message` for JSON arrays), code E_DATASET. */
export function recordError(at: Location, field: string | undefined, message: string): MtrError {
  if ('line' in at) return inputError('E_DATASET', at.file, at.line, field, message);
  return new MtrError('E_DATASET', `${describeLocation(at)}: ${field ? `${field}: ` : ''}${message}`, { file: at.file, record: at.record, field });
}

/** A record not parsed yet, so records skipped by `offset` cost no JSON.parse. */
export interface RawRecord {
  at: Location;
  /** its size in bytes: the line's in a JSON-lines file, its compact JSON's in a JSON array */
  bytes(): number;
  /** its value (for a record over `maxRecordBytes`: E_DATASET, its text was never kept) */
  value(): unknown;
}

export interface ReadOptions {
  /** a JSON line longer than this is counted, not kept in memory (default: no limit) */
  maxRecordBytes?: number;
}

/** The first non-blank character decides the container: `[` is a JSON array, anything else JSON lines. */
async function firstChar(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return undefined;
      const match = /[^\s\uFEFF]/.exec(buf.subarray(0, bytesRead).toString('utf8'));
      if (match) return match[0];
    }
  } finally {
    await handle.close();
  }
}

function parseLine(text: string, at: Location): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw recordError(at, undefined, `invalid JSON: ${(e as Error).message}`);
  }
}

/**
 * The lines of a file as byte buffers split at "\n" ("\r\n" too), each with its size. A line over `maxBytes`
 * keeps only its size: a 60 MB (or 2 GB) record never becomes a string.
 */
async function* byteLines(file: string, maxBytes: number): AsyncGenerator<{ text: Buffer | undefined; bytes: number }> {
  const stream = createReadStream(file);
  let parts: Buffer[] = [];
  let bytes = 0;
  const take = (chunk: Buffer): void => {
    bytes += chunk.length;
    if (bytes > maxBytes) parts = [];
    else parts.push(chunk);
  };
  const line = (): { text: Buffer | undefined; bytes: number } => {
    const text = bytes > maxBytes ? undefined : Buffer.concat(parts);
    const cr = text !== undefined && text.at(-1) === 0x0d; // "\r\n" ends a line as "\n" does
    const out = { text: cr ? text.subarray(0, -1) : text, bytes: cr ? bytes - 1 : bytes };
    parts = [];
    bytes = 0;
    return out;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        take(chunk.subarray(start, nl));
        yield line();
        start = nl + 1;
      }
      if (start < chunk.length) take(chunk.subarray(start));
    }
    if (bytes > 0) yield line();
  } finally {
    // Reached when the consumer stops early (limit): release the file instead of reading it to the end.
    stream.destroy();
  }
}

async function* jsonLines(file: string, maxBytes: number): AsyncGenerator<RawRecord> {
  let line = 0;
  for await (const raw of byteLines(file, maxBytes)) {
    line += 1;
    const at: Location = { file, line };
    const { bytes } = raw;
    if (raw.text === undefined) {
      yield { at, bytes: () => bytes, value: () => { throw recordError(at, undefined, `expected a record of at most ${maxBytes} bytes, got ${bytes}`); } };
      continue;
    }
    const decoded = raw.text.toString('utf8');
    const text = line === 1 ? decoded.replace(/^\uFEFF/, '') : decoded;
    if (text.trim() === '') continue;
    yield { at, bytes: () => bytes, value: () => parseLine(text, at) };
  }
}

async function* jsonArray(file: string): AsyncGenerator<RawRecord> {
  const text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new MtrError('E_DATASET', `${file}: invalid JSON: ${(e as Error).message}`, { file });
  }
  if (!Array.isArray(data)) throw new MtrError('E_DATASET', `${file}: expected a JSON array of records, got ${typeof data}`, { file });
  if (data.length === 0) throw new MtrError('E_DATASET', `${file}: expected at least one record, got an empty array`, { file });
  for (let record = 0; record < data.length; record++) {
    const value: unknown = data[record];
    yield { at: { file, record }, bytes: () => Buffer.byteLength(JSON.stringify(value) ?? ''), value: () => value };
  }
}

/**
 * The records of a JSON-array or JSON-lines file, in order. JSON lines are streamed, so stopping early
 * reads only the start of a large file; blank lines are skipped but still counted for line numbers.
 */
export async function* readRecords(file: string, options: ReadOptions = {}): AsyncGenerator<RawRecord> {
  const first = await firstChar(file);
  if (first === undefined) throw new MtrError('E_DATASET', `${file}: expected JSON records (a JSON array or JSON lines), got an empty file`, { file });
  yield* first === '[' ? jsonArray(file) : jsonLines(file, options.maxRecordBytes ?? Infinity);
}
