import Database from 'better-sqlite3';

// Splits text where FTS5's unicode61 always splits (ASCII that is not a letter or digit). Every other boundary
// and every term is FTS5's own: each chunk goes through the index's tokenizer, so terms match FTS5's exactly.
const ASCII_SEPARATORS = /[^0-9A-Za-z\u0080-\u{10ffff}]+/u;
// Enough for the distinct words of a large corpus; past it the cache starts again rather than grow without end.
const CACHE_LIMIT = 2_000_000;

/** FTS5's tokenizer (`tokenize` spec) as a function: chunk of text → its FTS5 terms as ids, cached per chunk. */
export class Fts5Terms {
  /** term of each id; ids live until `reset` */
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly read: Database.Statement;
  private readonly clear: Database.Statement;

  constructor(tokenize: string) {
    this.db = new Database(':memory:');
    this.db.exec(`CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '${tokenize}'); CREATE VIRTUAL TABLE v USING fts5vocab(t, instance);`);
    this.insert = this.db.prepare('INSERT INTO t (rowid, x) VALUES (?, ?)');
    this.read = this.db.prepare('SELECT doc, term FROM v ORDER BY doc, offset').raw();
    this.clear = this.db.prepare('DELETE FROM t');
  }

  /** The term ids of each text, chunk by chunk; chunks not yet cached are tokenized all in one go. */
  texts(texts: string[]): number[][][] {
    if (this.cache.size > CACHE_LIMIT) this.cache.clear();
    const out: number[][][] = [];
    const missing = new Map<string, [number, number][]>(); // chunk → where it goes in `out`
    for (const t of texts) {
      const ids: number[][] = [];
      for (const c of t.split(ASCII_SEPARATORS)) {
        if (!c) continue; // a split leaves one at either end
        const known = this.cache.get(c);
        if (!known) {
          const at = missing.get(c);
          if (at) at.push([out.length, ids.length]);
          else missing.set(c, [[out.length, ids.length]]);
        }
        ids.push(known ?? []);
      }
      out.push(ids);
    }
    if (missing.size) {
      const chunks = [...missing.keys()];
      this.learn(chunks);
      for (const c of chunks) for (const [i, j] of missing.get(c)!) out[i]![j] = this.cache.get(c)!;
    }
    return out;
  }

  /** Forgets every chunk and term id (ids held elsewhere are void after this): keeps the memory bounded. */
  reset(): void {
    this.cache.clear();
    this.ids.clear();
    this.names.length = 0;
  }

  /** The FTS5 terms of each query word. */
  words(words: string[]): string[][] {
    return this.texts(words).map((chunks) => chunks.flat().map((id) => this.names[id]!));
  }

  private learn(missing: string[]): void {
    const terms = missing.map((): number[] => []);
    this.db.transaction(() => {
      missing.forEach((c, i) => this.insert.run(i + 1, c));
      for (const [doc, term] of this.read.iterate() as Iterable<[number, string]>) {
        let id = this.ids.get(term);
        if (id === undefined) {
          id = this.names.push(term) - 1;
          this.ids.set(term, id);
        }
        terms[doc - 1]!.push(id);
      }
      this.clear.run();
    })();
    missing.forEach((c, i) => this.cache.set(c, terms[i]!));
  }

  close(): void {
    this.db.close();
  }
}
