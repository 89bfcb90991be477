import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CorpusPassage, readCorpus, splitContents } from '../../src/tools/corpus.js';
import { SHARED_DATASETS } from '../support/paths.js';

const all = async (file: string): Promise<CorpusPassage[]> => {
  const out: CorpusPassage[] = [];
  for await (const p of readCorpus(file)) out.push(p);
  return out;
};
const tmp = mkdtempSync(join(tmpdir(), 'mtr-corpus-'));
const write = (name: string, text: string) => {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
};

describe('readCorpus on every layout in ../shared/datasets/corpus', () => {
  it.each([
    ['wiki18_sample_1000.jsonl', 1000, { id: '0', title: 'Evan Morris' }],
    ['2wiki_corpus_6119.json', 6119, { title: 'Teutberga' }],
    ['musique_train100_corpus.json', 1890, { title: 'Journal of Mathematical Physics' }],
    ['hotpot_train100_corpus.json', 994, { title: 'Demon Dice' }],
  ])('%s: %i passages with titles and text', async (file, count, first) => {
    const passages = await all(join(SHARED_DATASETS, 'corpus', file));
    expect(passages).toHaveLength(count);
    expect(passages[0]).toMatchObject(first);
    expect(passages.every((p) => p.text.length > 0)).toBe(true);
    expect(new Set(passages.map((p) => p.id)).size).toBe(count);
    expect(passages.filter((p) => p.title.startsWith('"')).length).toBe(0);
  });

  it('joins HotpotQA sentences with their own spacing', async () => {
    const [p] = await all(join(SHARED_DATASETS, 'corpus/hotpot_train100_corpus.json'));
    expect(p!.text).toMatch(/Tim Brown\. In it, each player/);
  });

  it('splits FlashRAG contents into the quoted title and the text', () => {
    expect(splitContents('"A \\"B\\" C"\nBody\nmore')).toEqual({ title: 'A \\"B\\" C', text: 'Body\nmore' });
    expect(splitContents('no title line')).toEqual({ title: '', text: 'no title line' });
  });
});

describe('readCorpus on user files', () => {
  it('reads {title, text} and {id, contents} JSONL', async () => {
    const f = write('a.jsonl', '{"title":"T1","text":"one"}\n\n{"id":"x","contents":"\\"T2\\"\\ntwo"}\n');
    expect(await all(f)).toEqual([
      { id: '0', title: 'T1', text: 'one' },
      { id: 'x', title: 'T2', text: 'two' },
    ]);
  });

  it('names file, line and field for bad records', async () => {
    await expect(all(write('b.jsonl', '{"title":"T","text":"ok"}\n{"title":"T","body":"x"}\n'))).rejects.toThrow(
      /b\.jsonl:2: contents: expected a "contents" or "text" string, got fields title, body/,
    );
    await expect(all(write('c.jsonl', '{"title":"T","text":"ok"}\n{oops\n'))).rejects.toThrow(/c\.jsonl:2: invalid JSON/);
    await expect(all(write('d.json', '[{"title":5,"text":"x"}]'))).rejects.toThrow(/d\.json: record 0: title: expected a string, got number/);
    await expect(all(write('e.json', '{"Title":"not a list"}'))).rejects.toThrow(/e\.json: "Title": expected a list of sentences/);
    await expect(all(write('f.json', '{"Title":'))).rejects.toThrow(/f\.json: invalid JSON/);
  });

  it('reads JSON lines by the one JSON-lines rule (BOM, CRLF, blank lines counted), and a JSON list in any file', async () => {
    const f = write('g.jsonl', '\uFEFF{"title":"T1","text":"one"}\r\n\r\n{"title":"T2","body":"x"}\r\n');
    await expect(all(f)).rejects.toThrow(/g\.jsonl:3: contents: /);
    expect(await all(write('h.jsonl', '\uFEFF\n[{"title":"T","text":"t"},\n {"id":"y","contents":"\\"U\\"\\nu"}]\n'))).toEqual([
      { id: '0', title: 'T', text: 't' },
      { id: 'y', title: 'U', text: 'u' },
    ]);
    await expect(all(write('i.jsonl', '[]'))).rejects.toThrow(/i\.jsonl: expected at least one record, got an empty array/);
    await expect(all(write('j.jsonl', ' \n\n'))).rejects.toThrow(/j\.jsonl: expected JSON records \(a JSON array or JSON lines\), got an empty file/);
  });
});
