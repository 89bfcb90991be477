import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { Bm25Index, buildIndex } from '../../src/tools/bm25.js';
import { type CorpusPassage, readCorpus } from '../../src/tools/corpus.js';
import { SHARED_DATASETS } from '../support/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-bm25-postings-'));
const questions = async () => (await loadItems(join(SHARED_DATASETS, 'hotpotqa/hotpot_dev_distractor_300.jsonl'))).map((i) => i.question);

/** Every query answered from the postings exactly as FTS5's `ORDER BY rank` answers it: ids, order, scores. */
function expectSameAsFts5(index: Bm25Index, queries: string[], k = 5): void {
  for (const q of queries) expect(index.search(q, k), q).toEqual(index.searchFts5(q, k));
}

/** Two copies of a real corpus, the second with a numbered title: many equal scores, broken by rowid like FTS5. */
async function* twice(file: string): AsyncGenerator<CorpusPassage> {
  const base: CorpusPassage[] = [];
  for await (const p of readCorpus(file)) base.push(p);
  for (const [copy, p] of [...base.map((p) => [0, p] as const), ...base.map((p) => [1, p] as const)])
    yield { ...p, id: `${p.id}-${copy}`, title: copy ? `${p.title} (${copy})` : p.title };
}

describe('BM25 from the postings equals FTS5 bm25()', () => {
  it('on HotpotQA questions over 2WikiMultihopQA passages twice over (ties), and on passage openings', async () => {
    const file = join(SHARED_DATASETS, 'corpus/2wiki_corpus_6119.json');
    const out = join(tmp, '2wiki-twice.sqlite');
    await buildIndex(out, twice(file));
    const index = new Bm25Index(out);
    const qs = await questions();
    expectSameAsFts5(index, qs);
    expectSameAsFts5(index, qs.slice(0, 40), 50);
    // equal scores do occur at the cut, so the tie order is what is checked
    const tiedAtTheCut = qs.filter((q) => {
      const hits = index.search(q, 6);
      return hits.length === 6 && hits[4]!.score === hits[5]!.score;
    });
    expect(tiedAtTheCut.length).toBeGreaterThan(3);
    const openings: string[] = [];
    let i = 0;
    for await (const p of readCorpus(file)) if (i++ % 97 === 0) openings.push(`${p.title} ${p.text.split(/\s+/).slice(0, 15).join(' ')}`);
    expectSameAsFts5(index, openings);
    index.close();
  });

  it('with non-ASCII text, diacritics, stems shared by two words, long tokens and words FTS5 splits', async () => {
    const passages: CorpusPassage[] = [
      { id: 'a', title: 'Café Müller', text: 'Pina Bausch’s café—a piece of dance theatre; running runs ran.' },
      { id: 'b', title: 'Ōsaka', text: 'Ōsaka (大阪) is a city; OSAKA osaka Osaka’s port. Running is popular.' },
      { id: 'c', title: 'Straße', text: 'Die Straße ist lang. naïve résumé coöperate; Ǆemal ǅ ǆ.' },
      { id: 'd', title: 'Long', text: `${'x'.repeat(80)} ${'supercalifragilistic'.repeat(4)} a²b x·y ꭰꭱ city k\u19b0m` },
      { id: 'e', title: 'Dance', text: 'Dance, dancing, danced: theatre and theater. Café culture.' },
      { id: 'f', title: 'Dance', text: 'Dance, dancing, danced: theatre and theater. Café culture.' },
    ];
    const out = join(tmp, 'unicode.sqlite');
    await buildIndex(out, passages);
    const index = new Bm25Index(out);
    expectSameAsFts5(
      index,
      [
        'cafe dance',
        'Café Müller dancing',
        'osaka city port',
        '大阪',
        'running runs',
        'strasse straße naive resume',
        `${'x'.repeat(80)} supercalifragilistic`,
        'a²b ꭰꭱ x y',
        'k\u19b0m city', // U+19B0 is a letter to JavaScript, a separator to FTS5: the word is a phrase, FTS5 answers
        'ǆemal',
        'theatre theater culture',
      ],
      6,
    );
    expect(index.search('dance theatre', 6).map((h) => h.id)).toContain('a');
    expect(index.search('k\u19b0m', 6).map((h) => h.id)).toEqual(['d']);
    // a k that is not a count means what FTS5's LIMIT makes of it, as before: -1 no limit, 0 nothing, 2.5 an error
    expect(index.search('dance cafe', -1)).toEqual(index.searchFts5('dance cafe', -1));
    expect(index.search('dance cafe', -1).length).toBeGreaterThan(2);
    expect(index.search('dance cafe', 0)).toEqual([]);
    expect(() => index.search('dance cafe', 2.5)).toThrow(/datatype mismatch/);
    index.close();
  });

  it('writes the same postings when they spill to disk and are merged, and older indexes are still searched by FTS5', async () => {
    const file = join(SHARED_DATASETS, 'corpus/hotpot_train100_corpus.json');
    const whole = join(tmp, 'whole.sqlite');
    const spilled = join(tmp, 'spilled.sqlite');
    await buildIndex(whole, readCorpus(file));
    await buildIndex(spilled, readCorpus(file), { spillAt: 3000 });
    const dump = (f: string) => {
      const db = new Database(f, { readonly: true });
      const rows = db.prepare('SELECT term, df, hex(data) AS data FROM bm25_postings ORDER BY term').all();
      db.close();
      return rows;
    };
    const a = dump(whole);
    expect(a.length).toBeGreaterThan(1000);
    expect(dump(spilled)).toEqual(a);
    // the spilled segments lived in a file of their own: gone, and not left as free pages in the index
    expect(readdirSync(tmp).filter((f) => f.includes('.building'))).toEqual([]);
    expect(statSync(spilled).size).toBeLessThan(statSync(whole).size * 1.02);

    const qs = await questions();
    const db = new Database(spilled);
    db.exec(`DROP TABLE bm25_postings; UPDATE meta SET value = 'mtr-bm25-2' WHERE key = 'format'`);
    db.close();
    const [now, before] = [new Bm25Index(whole), new Bm25Index(spilled)];
    for (const q of qs.slice(0, 50)) expect(before.search(q, 5)).toEqual(now.search(q, 5));
    now.close();
    before.close();
  });
});
