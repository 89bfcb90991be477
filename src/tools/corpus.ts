import { readFile } from 'node:fs/promises';
import { inputError, MtrError } from '../schema/errors.js';
import type { Passage } from '../schema/item.js';
import { readJsonLines, stripBom } from '../text/jsonl.js';

/** Where a passage record sits: a line of a JSON-lines file, or an index into a JSON array. */
type Location = { file: string; line: number } | { file: string; record: number };

/** `file:line: field: message` (or `file: record N: field: message` in a JSON array), code E_DATASET. */
function recordError(at: Location, field: string | undefined, message: string): MtrError {
  if ('line' in at) return inputError('E_DATASET', at.file, at.line, field, message);
  return new MtrError('E_DATASET', `${at.file}: record ${at.record}: ${field ? `${field}: ` : ''}${message}`, { file: at.file, record: at.record, field });
}

/**
 * A retrievable passage: an item passage without the gold flag, plus a stable id. `contents` keeps a FlashRAG
 * row's own text when `"title"\ntext` would not give it back (12% of wiki-18 rows have unquoted titles), so
 * /retrieve answers exactly what Search-R1's retrieval server would.
 */
export type CorpusPassage = { id: string; contents?: string } & Pick<Passage, 'title' | 'text'>;

/** A passage in FlashRAG's `contents` form, as Search-R1's retrieval server returns it. */
export const passageContents = (p: Pick<CorpusPassage, 'title' | 'text' | 'contents'>): string => p.contents ?? `"${p.title}"\n${p.text}`;

export const CORPUS_LAYOUTS = [
  'JSONL {id, contents:"\\"Title\\"\\ntext"} (FlashRAG / DPR wiki-18)',
  'JSONL {id?, title, text}',
  'JSON [{title, text}] or [{id, contents}]',
  'JSON {title: [sentences]} (HotpotQA paragraphs)',
] as const;

/** FlashRAG `contents`: the first line is the quoted title, the rest the passage. */
export function splitContents(contents: string): Pick<Passage, 'title' | 'text'> {
  const nl = contents.indexOf('\n');
  if (nl < 0) return { title: '', text: contents.trim() };
  return {
    title: contents
      .slice(0, nl)
      .trim()
      .replace(/^"(.*)"$/, '$1'),
    text: contents.slice(nl + 1).trim(),
  };
}

/** A FlashRAG `contents` as title and text, keeping the original only where `passageContents` would not restore it. */
export function fromContents(contents: string): Omit<CorpusPassage, 'id'> {
  const split = splitContents(contents);
  return passageContents(split) === contents ? split : { ...split, contents };
}

const str = (v: unknown): v is string => typeof v === 'string';

function toPassage(value: unknown, at: Location, fallback: string): CorpusPassage {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw recordError(
      at,
      undefined,
      `expected a passage object (${CORPUS_LAYOUTS[0]} or ${CORPUS_LAYOUTS[1]}), got ${Array.isArray(value) ? 'array' : typeof value}`,
    );
  const r = value as Record<string, unknown>;
  const id = r.id === undefined ? fallback : String(r.id);
  if (str(r.contents)) return { id, ...fromContents(r.contents) };
  if (str(r.text)) {
    if (r.title !== undefined && !str(r.title)) throw recordError(at, 'title', `expected a string, got ${typeof r.title}`);
    return { id, title: (r.title as string | undefined) ?? '', text: r.text };
  }
  throw recordError(at, 'contents', `expected a "contents" or "text" string, got fields ${Object.keys(r).join(', ') || 'none'}`);
}

/** `{title: [sentences]}`: HotpotQA sentences carry their own leading spaces, so they join with ''. */
function* titleMap(file: string, data: Record<string, unknown>): Generator<CorpusPassage> {
  let n = 0;
  for (const [title, sentences] of Object.entries(data)) {
    if (!Array.isArray(sentences) || !sentences.every(str))
      throw new MtrError('E_DATASET', `${file}: "${title}": expected a list of sentences, got ${typeof sentences}`, { file, field: title });
    yield { id: String(n++), title, text: sentences.join('').trim() };
  }
}

/** A whole-file JSON corpus: a list of passages, or HotpotQA's `{title: [sentences]}`. */
async function* jsonCorpus(file: string, text: string, requireList: boolean): AsyncGenerator<CorpusPassage> {
  let data: unknown;
  try {
    data = JSON.parse(stripBom(text));
  } catch (e) {
    throw new MtrError('E_DATASET', `${file}: invalid JSON: ${(e as Error).message}`, { file }, { cause: e });
  }
  if (Array.isArray(data)) {
    if (requireList && data.length === 0) throw new MtrError('E_DATASET', `${file}: expected at least one record, got an empty array`, { file });
    for (let record = 0; record < data.length; record++) yield toPassage(data[record], { file, record }, String(record));
    return;
  }
  if (requireList) throw new MtrError('E_DATASET', `${file}: expected a JSON array of records, got ${typeof data}`, { file });
  if (data && typeof data === 'object') return yield* titleMap(file, data as Record<string, unknown>);
  throw new MtrError('E_DATASET', `${file}: expected one of ${CORPUS_LAYOUTS.join('; ')}, got ${typeof data}`, { file });
}

function parseLine(text: string, at: Location): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw recordError(at, undefined, `invalid JSON: ${(e as Error).message}`);
  }
}

/**
 * Every passage of a corpus file, whatever its layout. JSON lines are streamed by the one JSON-lines reader
 * (a full wiki-18 dump is ~21M lines); `.json` files, and any file whose first non-blank character is `[`, are
 * parsed whole.
 */
export async function* readCorpus(file: string): AsyncGenerator<CorpusPassage> {
  if (file.endsWith('.json')) return yield* jsonCorpus(file, await readFile(file, 'utf8'), false);
  let first = true;
  for await (const { line, text = '' } of readJsonLines(file)) {
    if (first && text.trimStart().startsWith('[')) return yield* jsonCorpus(file, await readFile(file, 'utf8'), true);
    first = false;
    yield toPassage(parseLine(text, { file, line }), { file, line }, String(line - 1));
  }
  if (first) throw new MtrError('E_DATASET', `${file}: expected JSON records (a JSON array or JSON lines), got an empty file`, { file });
}
