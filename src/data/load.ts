import { isMtrError, MtrError } from '../schema/errors.js';
import type { DatasetItem } from '../schema/item.js';
import { detectLayout } from './layouts.js';
import { parseRecord, type Layout } from './layout.js';
import { charsOver, type DatasetLimits, DEFAULT_MAX_QUESTION_CHARS, DEFAULT_MAX_RECORD_BYTES, type SkippedRecord } from './limits.js';
import { describeLocation, fallbackId, type RawRecord, readRecords, recordError } from './read.js';
import { inferDatasetName } from './registry.js';

export interface LoadOptions extends Partial<DatasetLimits> {
  /** dataset name stamped on every item; default: inferred from the file name */
  dataset?: string;
  /** at most this many items (after `offset`) */
  limit?: number;
  /** skip this many records first */
  offset?: number;
}

export interface LoadedDataset {
  items: DatasetItem[];
  /** records left out by `skipBad`, in file order */
  skipped: SkippedRecord[];
  /** the layout judged from the file's first readable record (absent when no record was read) */
  layout?: string;
}

function count(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0) throw new MtrError('E_USAGE', `${name}: expected a non-negative integer, got ${value}`);
  return value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new MtrError('E_USAGE', `${name}: expected a whole number ≥ 1, got ${value}`);
  return value;
}

const SKIP_HINT = 'or --skip-bad to skip such records';

/** The record's value within the byte limit (checked before a JSON line is kept or parsed). */
function valueWithin(raw: RawRecord, maxBytes: number): unknown {
  const bytes = raw.bytes();
  if (bytes > maxBytes)
    throw recordError(raw.at, undefined, `expected a record of at most ${maxBytes} bytes, got ${bytes} (--max-record-bytes raises the limit, ${SKIP_HINT})`);
  return raw.value();
}

/**
 * Items of a QA dataset file in any known layout (JSON array or JSON lines; layout judged from the first
 * readable record), within the dataset limits. A bad record stops the load with `file:line: field: …`, or with
 * `skipBad` is left out and listed. JSON lines are streamed and reading stops once `limit` items are collected.
 */
export async function loadDataset(path: string, options: LoadOptions = {}): Promise<LoadedDataset> {
  const limit = count('limit', options.limit);
  const offset = count('offset', options.offset) ?? 0;
  const maxQuestionChars = positive('maxQuestionChars', options.maxQuestionChars, DEFAULT_MAX_QUESTION_CHARS);
  const maxRecordBytes = positive('maxRecordBytes', options.maxRecordBytes, DEFAULT_MAX_RECORD_BYTES);
  const skipBad = options.skipBad === true;
  const dataset = options.dataset ?? inferDatasetName(path);
  const out: LoadedDataset = { items: [], skipped: [] };
  if (limit === 0) return out;
  let layout: Layout | undefined;
  let index = 0;
  const seen = new Map<string, string>(); // id → where it first appeared
  for await (const raw of readRecords(path, { maxRecordBytes })) {
    const used = index++ >= offset;
    // The layout comes from the file's first readable record, whatever the offset; records before it cost nothing.
    if (!used && layout) continue;
    const skip = (e: unknown): boolean => {
      if (!skipBad || !isMtrError(e) || e.code !== 'E_DATASET') return false;
      if (used) out.skipped.push({ where: describeLocation(raw.at), reason: e.message });
      return true;
    };
    let value: unknown;
    try {
      value = valueWithin(raw, maxRecordBytes);
    } catch (e) {
      if (skip(e)) continue;
      throw e;
    }
    if (!layout) {
      layout = detectLayout(value, raw.at); // a layout that fits no record is the file's problem: never skipped
      out.layout = layout.name;
    }
    if (!used) continue;
    try {
      const item = parseRecord(layout, value, raw.at, { dataset, fallbackId: fallbackId(raw.at) });
      const chars = charsOver(item.question, maxQuestionChars);
      if (chars !== undefined)
        throw recordError(
          raw.at,
          'question',
          `expected at most ${maxQuestionChars} characters, got ${chars} (--max-question-chars raises the limit, ${SKIP_HINT})`,
        );
      // One trace per item id: two records with the same id would silently share one.
      const first = seen.get(item.id);
      if (first) throw recordError(raw.at, 'id', `duplicate id "${item.id}" (first at ${first})`);
      seen.set(item.id, describeLocation(raw.at));
      out.items.push(item);
    } catch (e) {
      if (skip(e)) continue;
      throw e;
    }
    if (limit !== undefined && out.items.length >= limit) break;
  }
  if (out.items.length === 0 && out.skipped.length > 0) {
    throw new MtrError(
      'E_DATASET',
      `${path}: expected at least one usable record, got none: all ${out.skipped.length} were skipped (first: ${out.skipped[0]!.reason})`,
      { file: path },
    );
  }
  return out;
}

/** The items of `loadDataset` (the skipped records are dropped from view). */
export async function loadItems(path: string, options: LoadOptions = {}): Promise<DatasetItem[]> {
  return (await loadDataset(path, options)).items;
}
