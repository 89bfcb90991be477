import { open, readFile } from 'node:fs/promises';
import { MtrError, inputError } from '../schema/errors.js';
import { readJsonLines } from '../text/jsonl.js';
import { readParquetRows } from '../text/parquet.js';

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
    const magic = Buffer.alloc(4);
    const { bytesRead } = await handle.read(magic, 0, 4, 0);
    if (bytesRead === 4 && magic.toString('latin1') === 'PAR1') return 'PAR1';
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

async function* jsonLines(file: string, maxBytes: number): AsyncGenerator<RawRecord> {
  for await (const { line, bytes, text } of readJsonLines(file, maxBytes)) {
    const at: Location = { file, line };
    if (text === undefined) {
      yield {
        at,
        bytes: () => bytes,
        value: () => {
          throw recordError(at, undefined, `expected a record of at most ${maxBytes} bytes, got ${bytes}`);
        },
      };
      continue;
    }
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
 * A parquet cell as JSON: 64-bit integers as numbers (as strings beyond 2^53), bytes as arrays, dates as ISO
 * text, and null fields of a struct left out, since parquet writes an absent key as null.
 */
export function parquetValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  if (value instanceof Uint8Array) return Array.from(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(parquetValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = parquetValue(v);
    return out;
  }
  return value;
}

/** The rows of a parquet file (Search-R1 / verl / HF datasets), each as one record. */
async function* parquetRows(file: string): AsyncGenerator<RawRecord> {
  let rows: Record<string, unknown>[];
  try {
    rows = await readParquetRows(file);
  } catch (e) {
    throw new MtrError('E_DATASET', `${file}: expected a readable parquet file, got ${(e as Error).message}`, { file });
  }
  if (rows.length === 0) throw new MtrError('E_DATASET', `${file}: expected at least one record, got a parquet file with no rows`, { file });
  for (let record = 0; record < rows.length; record++) {
    const value = parquetValue(rows[record]);
    yield { at: { file, record }, bytes: () => Buffer.byteLength(JSON.stringify(value)), value: () => value };
  }
}

/**
 * The records of a JSON-array, JSON-lines or parquet file (told by its `PAR1` magic), in order. JSON lines are streamed, so stopping early
 * reads only the start of a large file; blank lines are skipped but still counted for line numbers.
 */
export async function* readRecords(file: string, options: ReadOptions = {}): AsyncGenerator<RawRecord> {
  const first = await firstChar(file);
  if (first === undefined) throw new MtrError('E_DATASET', `${file}: expected JSON records (a JSON array or JSON lines), got an empty file`, { file });
  if (first === 'PAR1') yield* parquetRows(file);
  else yield* first === '[' ? jsonArray(file) : jsonLines(file, options.maxRecordBytes ?? Infinity);
}
