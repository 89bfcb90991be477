import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { MtrError } from '../schema/errors.js';
import { fts5Totals, PostingsSearch, PostingsWriter } from './bm25-postings.js';
import type { CorpusPassage } from './corpus.js';

/** A retrieved passage; `score` is BM25 (higher is better). */
export type SearchHit = CorpusPassage & { score: number };

// -2 adds `contents` (a FlashRAG row's own text where it is not `"title"\ntext`); -3 adds the postings that
// answer queries (bm25-postings.ts). -1 and -2 indexes still open and are searched by FTS5 alone.
const FORMAT = 'mtr-bm25-3';
const FORMATS = new Set(['mtr-bm25-1', 'mtr-bm25-2', FORMAT]);
const TOKENIZE = 'porter unicode61 remove_diacritics 2';
const BATCH = 5000;
// Title matches count double: questions name their entities, and titles are entity names.
const TITLE_WEIGHT = 2;
const TEXT_WEIGHT = 1;

// Dropped from queries only (the index keeps every token): they match most passages and cost time, not recall.
const STOPWORDS = new Set(
  'a an and are as at be by did do does for from had has have he her his how in into is it its of on or she that the their them they this to was were what when where which who whom whose why with'.split(
    ' ',
  ),
);

/** The words a query searches for: distinct tokens, stopwords dropped unless nothing else is left. */
function queryWords(text: string): string[] {
  const tokens = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  const kept = tokens.filter((t) => !STOPWORDS.has(t));
  return kept.length ? kept : tokens;
}

/** Query text → an FTS5 expression: each query word quoted (no syntax reaches FTS5), OR-ed. */
export function ftsQuery(text: string): string | undefined {
  const use = queryWords(text);
  return use.length ? use.map((t) => `"${t}"`).join(' OR ') : undefined;
}

export interface BuildOptions {
  /** called every `BATCH` passages and at the end with the count so far */
  onProgress?: (passages: number) => void;
  /** recorded in the index's meta table */
  sources?: string[];
  /** postings held in memory before they are written to disk and merged at the end (default 8M) */
  spillAt?: number;
}

/**
 * Builds an SQLite FTS5 index (porter stemming, BM25 ranking) from passages. Written to a temporary file and
 * renamed at the end, so an interrupted build never leaves a half index under the final name.
 */
export async function buildIndex(
  out: string,
  passages: AsyncIterable<CorpusPassage> | Iterable<CorpusPassage>,
  opts: BuildOptions = {},
): Promise<{ passages: number }> {
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.building`;
  const stage = `${tmp}.stage`; // the postings' spilled segments, merged into the index at the end
  rmSync(tmp, { force: true });
  rmSync(stage, { force: true });
  const db = new Database(tmp);
  let n = 0;
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE VIRTUAL TABLE passages USING fts5(pid UNINDEXED, title, text, contents UNINDEXED, tokenize = '${TOKENIZE}');`);
    const insert = db.prepare('INSERT INTO passages (pid, title, text, contents) VALUES (?, ?, ?, ?)');
    const postings = new PostingsWriter(db, TOKENIZE, [TITLE_WEIGHT, TEXT_WEIGHT], stage, opts.spillAt);
    const flush = db.transaction((rows: CorpusPassage[]) => {
      const docs = rows.map((r) => ({ rowid: Number(insert.run(r.id, r.title, r.text, r.contents ?? null).lastInsertRowid), texts: [r.title, r.text] }));
      postings.add(docs);
    });
    let batch: CorpusPassage[] = [];
    for await (const p of passages) {
      batch.push(p);
      if (batch.length >= BATCH) {
        flush(batch);
        n += batch.length;
        batch = [];
        opts.onProgress?.(n);
      }
    }
    flush(batch);
    n += batch.length;
    if (n === 0) throw new MtrError('E_DATASET', `${out}: expected at least one passage, got none`);
    postings.finish(fts5Totals(db, 'passages'));
    rmSync(stage, { force: true });
    db.exec(`INSERT INTO passages (passages) VALUES ('optimize')`);
    // Persistent rank function: FTS5's `ORDER BY rank` (searchFts5, the reference) ranks by the weighted BM25.
    db.prepare(`INSERT INTO passages (passages, rank) VALUES ('rank', ?)`).run(`bm25(0, ${TITLE_WEIGHT}, ${TEXT_WEIGHT})`);
    const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    meta.run('format', FORMAT);
    meta.run('passages', String(n));
    meta.run('sources', JSON.stringify(opts.sources ?? []));
    opts.onProgress?.(n);
    db.close();
    renameSync(tmp, out);
    return { passages: n };
  } catch (e) {
    if (db.open) db.close();
    rmSync(tmp, { force: true });
    rmSync(stage, { force: true });
    throw e;
  }
}

/** A read-only BM25 index built by `buildIndex` (`mtr index`). */
export class Bm25Index {
  readonly passages: number;
  private readonly db: Database.Database;
  private readonly stmt: Database.Statement;
  private readonly byRowid: Database.Statement | undefined;
  private readonly postings: PostingsSearch | undefined;

  constructor(readonly file: string) {
    if (!existsSync(file)) throw new MtrError('E_USAGE', `--index: expected an index built by "mtr index", got no file at ${file}`);
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
      const format = (db.prepare(`SELECT value FROM meta WHERE key = 'format'`).get() as { value: string } | undefined)?.value;
      if (!format || !FORMATS.has(format)) throw new MtrError('E_USAGE', `format ${format ?? 'missing'}`);
      this.passages = Number((db.prepare(`SELECT value FROM meta WHERE key = 'passages'`).get() as { value: string }).value);
      const contents = format === FORMAT ? 'contents' : 'NULL AS contents';
      this.stmt = db.prepare(`SELECT pid, title, text, ${contents}, -rank AS score FROM passages WHERE passages MATCH ? ORDER BY rank LIMIT ?`);
      if (format === FORMAT) {
        this.postings = new PostingsSearch(db, 'passages', TOKENIZE);
        this.byRowid = db.prepare('SELECT pid, title, text, contents FROM passages WHERE rowid = ?');
      }
      db.pragma(`cache_size = -65536`);
      this.db = db;
    } catch (e) {
      db?.close(); // not an index: release the file rather than leak the handle
      throw new MtrError('E_USAGE', `${file}: expected an index built by "mtr index" (${FORMAT}), got: ${(e as Error).message}`, { file }, { cause: e });
    }
  }

  /** The `k` best passages for free text, best first; none for a query without a word. */
  search(query: string, k: number): SearchHit[] {
    const top = this.postings?.top(queryWords(query), k);
    if (!top) return this.searchFts5(query, k);
    return top.map(({ rowid, score }) => hit({ ...(this.byRowid!.get(rowid) as Row), score }));
  }

  /** The same search run by FTS5 alone (`ORDER BY rank`): the reference the postings must equal, and older indexes. */
  searchFts5(query: string, k: number): SearchHit[] {
    const match = ftsQuery(query);
    if (!match) return [];
    return (this.stmt.all(match, k) as Row[]).map(hit);
  }

  close(): void {
    this.postings?.close();
    this.db.close();
  }
}

type Row = { pid: string; title: string; text: string; contents: string | null; score: number };
const hit = (r: Row): SearchHit => ({ id: r.pid, title: r.title, text: r.text, ...(r.contents === null ? {} : { contents: r.contents }), score: r.score });
