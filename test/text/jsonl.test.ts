import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFieldFile } from '../../src/carg/taxonomy.js';
import { jsonLines, readJsonLines, stripBom } from '../../src/text/jsonl.js';
import { solvedItemIds } from '../../src/validate/filters.js';

const FIELDS = join(process.cwd(), '../shared/datasets/tools/seal-tools/field.jsonl');
const dir = mkdtempSync(join(tmpdir(), 'mtr-jsonl-'));
const file = (name: string, text: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const collect = async <T>(gen: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
};

describe('jsonLines (a JSON-lines text)', () => {
  it('drops a leading BOM only, and only at the start', () => {
    expect(stripBom('\uFEFF{"a":1}')).toBe('{"a":1}');
    expect(stripBom('{"a":"\uFEFF"}')).toBe('{"a":"\uFEFF"}');
    expect(jsonLines('\uFEFF{"a":1}\n{"b":"\uFEFF"}')).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '{"b":"\uFEFF"}' },
    ]);
  });

  it('ends lines at "\\n" and "\\r\\n", dropping the "\\r"; a "\\r" inside a line stays', () => {
    expect(jsonLines('{"a":1}\r\n{"b":2}\r\n')).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '{"b":2}' },
    ]);
    expect(jsonLines('{"a":1}\r{"b":2}\n')).toEqual([{ line: 1, text: '{"a":1}\r{"b":2}' }]);
  });

  it('skips blank and whitespace-only lines but counts them in line numbers', () => {
    expect(jsonLines('\n{"a":1}\n  \t\n\r\n{"b":2}\n\n')).toEqual([
      { line: 2, text: '{"a":1}' },
      { line: 5, text: '{"b":2}' },
    ]);
    expect(jsonLines('')).toEqual([]);
    expect(jsonLines('\uFEFF\n\n')).toEqual([]);
  });
});

describe('readJsonLines (a JSON-lines file, streamed byte-wise)', () => {
  it('gives the same lines as jsonLines for BOM, CRLF, blank lines and non-ASCII text', async () => {
    const text = '\uFEFF{"q":"Zürich ☃"}\r\n\r\n  \n{"q":"b"}\n{"q":"c"}';
    const lines = await collect(readJsonLines(file('mixed.jsonl', text)));
    expect(lines.map(({ line, text: t }) => ({ line, text: t }))).toEqual(jsonLines(text));
    expect(lines[0]!.bytes).toBe(Buffer.byteLength('\uFEFF{"q":"Zürich ☃"}'));
  });

  it('agrees with jsonLines on a real file (Seal-Tools field.jsonl), line for line', async () => {
    const lines = await collect(readJsonLines(FIELDS));
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.map(({ line, text }) => ({ line, text }))).toEqual(jsonLines(readFileSync(FIELDS, 'utf8')));
  });

  it('keeps only the size of a line over the byte limit, and numbers the lines after it', async () => {
    const long = `{"x":"${'a'.repeat(100)}"}`;
    const lines = await collect(readJsonLines(file('long.jsonl', `{"a":1}\n${long}\n{"b":2}\n`), 50));
    expect(lines).toEqual([
      { line: 1, bytes: 7, text: '{"a":1}' },
      { line: 2, bytes: long.length, text: undefined },
      { line: 3, bytes: 7, text: '{"b":2}' },
    ]);
  });

  it('splits a line that spans read chunks correctly (a 200 kB file)', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ i, pad: 'é'.repeat(50) }));
    const lines = await collect(readJsonLines(file('big.jsonl', rows.join('\r\n'))));
    expect(lines.map((l) => l.text)).toEqual(rows);
    expect(lines.at(-1)!.line).toBe(2000);
  });
});

describe('the readers built on it', () => {
  it('solvedItemIds reads a score file with a BOM and CRLF, and names the line of a bad row', () => {
    const scores = '\uFEFF{"id":"a","components":{"em":1}}\r\n\r\n{"id":2,"components":{"em":0}}\r\n{"id":"c","components":{"em":1}}\r\n';
    expect([...solvedItemIds(scores, 'scores.jsonl')]).toEqual(['a', 'c']);
    expect(() => solvedItemIds('{"id":"a"}\n\nnot json\n', 'scores.jsonl')).toThrow(/scores\.jsonl:3: expected a JSON object, got "not json"/);
  });

  it('readFieldFile reads a field file with a BOM and CRLF, and names the line of a bad entry', () => {
    const fields = readFieldFile(file('field.jsonl', '\uFEFF{"Sports": ["Football", "Tennis"]}\r\n\r\n{"Travel": ["Flights"]}\r\n'));
    expect(fields).toEqual([
      { field: 'Sports', subfields: ['Football', 'Tennis'] },
      { field: 'Travel', subfields: ['Flights'] },
    ]);
    expect(() => readFieldFile(file('bad-field.jsonl', '{"Sports": ["Football"]}\n\n{"Travel": "Flights"}\n'))).toThrow(
      /bad-field\.jsonl:3: .*expected \{"Field": \["subfield", …\]\}/,
    );
  });
});
