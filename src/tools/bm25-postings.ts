import type Database from 'better-sqlite3';
import { MtrError } from '../schema/errors.js';
import { Fts5Terms } from './bm25-terms.js';

// An inverted index beside the FTS5 table, in the same file, scoring exactly as FTS5's bm25() does (same
// terms, document frequencies, lengths, constants and order of additions, so the same doubles) but only over
// the postings of the query's terms: FTS5 runs its rank function row by row over every match and sorts them all.
// Postings of a term: (rowid delta, weighted term frequency) pairs as LEB128 varints, rowids ascending.

const K1 = 1.2; // FTS5's bm25() constants
const B = 0.75;
const SPILL = 8_000_000; // postings held in memory while building (default) before they go to a segment on disk
const MERGE_PAGE = 20_000;
const TERMS_LIMIT = 1_000_000; // distinct query terms remembered before the tokenizer's memory starts again
const CACHE_MIN_DF = 1000; // shorter lists decode in microseconds: not worth keeping
const CACHE_POSTINGS = 4_000_000; // decoded postings kept across queries (12 bytes each)

const POSTINGS_TABLES = `CREATE TABLE bm25_postings (term TEXT PRIMARY KEY, df INTEGER NOT NULL, data BLOB NOT NULL) WITHOUT ROWID;
  CREATE TABLE bm25_doclen (id INTEGER PRIMARY KEY, data BLOB NOT NULL);`;
// Segments spilled while building go to a file of their own, so the index is not left with their free pages.
const STAGE = `PRAGMA stage.journal_mode = OFF; PRAGMA stage.synchronous = OFF;
  CREATE TABLE stage.bm25_stage (term TEXT NOT NULL, seg INTEGER NOT NULL, df INTEGER NOT NULL, last INTEGER NOT NULL, data BLOB NOT NULL);`;

class Varints {
  buf = Buffer.allocUnsafe(256);
  n = 0;
  push(v: number): void {
    if (this.n + 10 > this.buf.length) {
      const grown = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(grown, 0, 0, this.n);
      this.buf = grown;
    }
    while (v > 127) {
      this.buf[this.n++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buf[this.n++] = v;
  }
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.n));
  }
}

/** One LEB128 varint at `at`: [value, next offset]. */
function readVarint(data: Uint8Array, at: number): [number, number] {
  let v = 0;
  let shift = 0;
  let b: number;
  do {
    b = data[at++]!;
    v |= (b & 127) << shift;
    shift += 7;
  } while (b > 127);
  return [v >>> 0, at];
}

/** FTS5's averages record (`<table>_data` id 1, SQLite varints): rows, then tokens per column. */
export function fts5Totals(db: Database.Database, table: string): { rows: number; tokens: number } {
  const block = (db.prepare(`SELECT block FROM "${table}_data" WHERE id = 1`).get() as { block: Buffer }).block;
  const values: number[] = [];
  for (let at = 0; at < block.length; ) {
    let v = 0;
    for (let i = 0; ; i++) {
      const b = block[at++]!;
      if (i === 8) {
        v = v * 256 + b;
        break;
      }
      v = v * 128 + (b & 127);
      if (b < 128) break;
    }
    values.push(v);
  }
  return { rows: values[0]!, tokens: values.slice(1).reduce((a, b) => a + b, 0) };
}

/** Builds the postings while the FTS5 table is filled, from the same texts, rowids ascending. */
export class PostingsWriter {
  private readonly terms: Fts5Terms;
  // per term id: rowids and weighted frequencies not yet written
  private docs: number[][] = [];
  private freqs: number[][] = [];
  private count = new Float64Array(1024); // per term id, within the document being added
  private held = 0;
  private segments = 0;
  private lens = new Uint32Array(1024);
  private tokens = 0;

  /**
   * `weights`: the bm25() weight of each indexed column, in the order `add` gets their texts; `stageFile`: where
   * spilled segments go until `finish` (attached now, outside any transaction; the caller removes the file).
   */
  constructor(
    private readonly db: Database.Database,
    tokenize: string,
    private readonly weights: number[],
    stageFile: string,
    private readonly spillAt = SPILL,
  ) {
    this.terms = new Fts5Terms(tokenize);
    db.exec(POSTINGS_TABLES);
    db.prepare('ATTACH DATABASE ? AS stage').run(stageFile);
    db.exec(STAGE);
  }

  add(docs: { rowid: number; texts: string[] }[]): void {
    const texts = this.terms.texts(docs.flatMap((d) => d.texts));
    if (this.count.length < this.terms.names.length) this.count = new Float64Array(this.terms.names.length * 2);
    const { count } = this;
    let j = 0;
    for (const d of docs) {
      const seen: number[] = [];
      let len = 0;
      for (const w of this.weights)
        for (const chunk of texts[j++]!)
          for (const id of chunk) {
            if (count[id] === 0) seen.push(id);
            count[id] = count[id]! + w;
            len++;
          }
      if (d.rowid >= this.lens.length) {
        const grown = new Uint32Array(Math.max(d.rowid + 1, this.lens.length * 2));
        grown.set(this.lens);
        this.lens = grown;
      }
      this.lens[d.rowid] = len;
      this.tokens += len;
      for (const id of seen) {
        (this.docs[id] ??= []).push(d.rowid);
        (this.freqs[id] ??= []).push(count[id]!);
        count[id] = 0;
      }
      this.held += seen.length;
    }
    if (this.held > this.spillAt) this.spill();
  }

  /** [term, rowids, frequencies] of every term with postings held. */
  private *held_(): Generator<[string, number[], number[]]> {
    for (let id = 0; id < this.docs.length; id++) {
      const docs = this.docs[id];
      if (docs?.length) yield [this.terms.names[id]!, docs, this.freqs[id]!];
    }
  }

  private spill(): void {
    const put = this.db.prepare('INSERT INTO stage.bm25_stage (term, seg, df, last, data) VALUES (?, ?, ?, ?, ?)');
    const seg = this.segments++;
    this.db.transaction(() => {
      for (const [term, docs, freqs] of this.held_()) put.run(term, seg, docs.length, docs.at(-1)!, encode(docs, freqs));
    })();
    this.docs = [];
    this.freqs = [];
    this.held = 0;
    this.terms.reset(); // no postings refer to a term id now: the vocabulary starts again, bounded by what one segment holds
  }

  /** Writes the postings and lengths; `rows`/`tokens` are FTS5's own totals, which ours must equal. */
  finish(totals: { rows: number; tokens: number }): void {
    if (totals.tokens !== this.tokens) throw new MtrError('E_INTERNAL', `BM25 postings counted ${this.tokens} tokens where FTS5 counted ${totals.tokens}`);
    const put = this.db.prepare('INSERT INTO bm25_postings (term, df, data) VALUES (?, ?, ?)');
    if (this.segments === 0) {
      this.db.transaction(() => {
        for (const [term, docs, freqs] of this.held_()) put.run(term, docs.length, encode(docs, freqs));
      })();
    } else {
      this.spill();
      this.merge(put);
    }
    this.docs = [];
    this.freqs = [];
    this.db.exec('DETACH DATABASE stage');
    this.db.prepare('INSERT INTO bm25_doclen (id, data) VALUES (1, ?)').run(Buffer.from(this.lens.buffer, 0, (totals.rows + 1) * 4));
    this.terms.close();
  }

  /** Segments of a term in order, each rebased so its first rowid is a delta from the previous segment's last. */
  private merge(put: Database.Statement): void {
    this.db.exec('CREATE INDEX stage.bm25_stage_order ON bm25_stage (term, seg)');
    const page = this.db.prepare(`SELECT term, seg, df, last, data FROM stage.bm25_stage WHERE (term, seg) > (?, ?) ORDER BY term, seg LIMIT ${MERGE_PAGE}`);
    let term: string | undefined;
    let parts: Buffer[] = [];
    let df = 0;
    let last = 0;
    const flush = () => term !== undefined && put.run(term, df, Buffer.concat(parts));
    let after: [string, number] = ['', -1];
    for (;;) {
      const rows = page.all(...after) as { term: string; seg: number; df: number; last: number; data: Buffer }[];
      if (!rows.length) break;
      this.db.transaction(() => {
        for (const r of rows) {
          if (r.term !== term) {
            flush();
            term = r.term;
            parts = [r.data];
            df = r.df;
          } else {
            const [first, rest] = readVarint(r.data, 0);
            const head = new Varints();
            head.push(first - last);
            parts.push(head.bytes(), r.data.subarray(rest));
            df += r.df;
          }
          last = r.last;
        }
      })();
      after = [rows.at(-1)!.term, rows.at(-1)!.seg];
    }
    flush();
  }
}

function encode(docs: number[], freqs: number[]): Buffer {
  const out = new Varints();
  let prev = 0;
  for (let i = 0; i < docs.length; i++) {
    out.push(docs[i]! - prev);
    out.push(freqs[i]!);
    prev = docs[i]!;
  }
  return out.bytes();
}

/** Exact top-k BM25 over the postings: FTS5's scores, ties in ascending rowid as FTS5's sort returns them. */
export class PostingsSearch {
  private readonly terms: Fts5Terms;
  /** tokens per rowid (D); memory per passage: 4 bytes here, 12 in `acc` and `touched` */
  private readonly lens: Uint32Array;
  private readonly avgdl: number;
  private readonly cache = new Map<string, Postings>();
  private cached = 0;
  private readonly acc: Float64Array;
  private readonly touched: Int32Array;
  private readonly term: Database.Statement;

  constructor(db: Database.Database, table: string, tokenize: string) {
    const { rows, tokens } = fts5Totals(db, table);
    const blob = (db.prepare('SELECT data FROM bm25_doclen WHERE id = 1').get() as { data: Buffer }).data;
    const lens = new Uint32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.length));
    this.lens = lens;
    this.avgdl = tokens / rows; // FTS5: (double)nToken / (double)nRow
    this.acc = new Float64Array(lens.length);
    this.touched = new Int32Array(lens.length);
    // idf through SQLite's ln(): the same libm log() FTS5 calls, so the same bits
    this.term = db.prepare(`SELECT df, ln((${rows} - df + 0.5) / (df + 0.5)) AS idf, data FROM bm25_postings WHERE term = ?`);
    this.terms = new Fts5Terms(tokenize);
  }

  /**
   * The `k` best rowids with their scores for query words OR-ed as FTS5 phrases, or undefined when a word is
   * not exactly one FTS5 term (a phrase query) or `k` is not a count: FTS5 itself answers those.
   */
  top(words: string[], k: number): { rowid: number; score: number }[] | undefined {
    if (!Number.isInteger(k) || k < 0) return undefined; // FTS5's LIMIT decides what those mean (-1: no limit)
    if (k === 0) return [];
    if (this.terms.names.length > TERMS_LIMIT) this.terms.reset();
    const phrases = this.terms.words(words);
    if (phrases.some((p) => p.length !== 1)) return undefined;
    const terms = phrases.map((p) => p[0]!);
    const { acc, touched } = this;
    let nTouched = 0;
    // phrase by phrase in query order, as FTS5 sums them
    for (const t of terms) {
      const list = this.postings(t);
      if (!list) continue;
      const { idf, docs, tf } = list;
      for (let i = 0; i < docs.length; i++) {
        const doc = docs[i]!;
        if (acc[doc] === 0) touched[nTouched++] = doc;
        acc[doc] = acc[doc]! + idf * tf[i]!;
      }
    }
    const best: { rowid: number; score: number }[] = [];
    for (let i = 0; i < nTouched; i++) {
      const doc = touched[i]!;
      const score = acc[doc]!;
      acc[doc] = 0;
      if (best.length === k) {
        const worst = best[k - 1]!;
        if (score < worst.score || (score === worst.score && doc > worst.rowid)) continue;
        best.pop();
      }
      let at = best.length;
      while (at > 0 && (best[at - 1]!.score < score || (best[at - 1]!.score === score && best[at - 1]!.rowid > doc))) at--;
      best.splice(at, 0, { rowid: doc, score });
    }
    return best;
  }

  /** A term's rowids and FTS5's term-frequency factor per rowid; the largest lists stay decoded (LRU). */
  private postings(term: string): Postings | undefined {
    const cached = this.cache.get(term);
    if (cached) {
      this.cache.delete(term);
      this.cache.set(term, cached);
      return cached;
    }
    const row = this.term.get(term) as { df: number; idf: number; data: Buffer } | undefined;
    if (!row) return undefined;
    const { data, df } = row;
    const docs = new Int32Array(df);
    const tf = new Float64Array(df);
    const { lens, avgdl } = this;
    let doc = 0;
    for (let i = 0, n = 0; n < df; n++) {
      let b = data[i++]!;
      let v = b & 127;
      for (let s = 7; b > 127; s += 7) {
        b = data[i++]!;
        v |= (b & 127) << s;
      }
      doc += v;
      b = data[i++]!;
      let f = b & 127;
      for (let s = 7; b > 127; s += 7) {
        b = data[i++]!;
        f |= (b & 127) << s;
      }
      docs[n] = doc;
      // FTS5: (aFreq * (k1 + 1.0)) / (aFreq + k1 * (1 - b + b * D / avgdl))
      tf[n] = (f * (K1 + 1)) / (f + K1 * (1 - B + (B * lens[doc]!) / avgdl));
    }
    const list = { idf: row.idf <= 0 ? 1e-6 : row.idf, docs, tf };
    if (df >= CACHE_MIN_DF) {
      this.cache.set(term, list);
      this.cached += df;
      for (const [t, l] of this.cache) {
        if (this.cached <= CACHE_POSTINGS) break;
        this.cache.delete(t);
        this.cached -= l.docs.length;
      }
    }
    return list;
  }

  close(): void {
    this.terms.close();
  }
}

type Postings = { idf: number; docs: Int32Array; tf: Float64Array };
