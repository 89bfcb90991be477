import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { goldAnswers } from '../../src/data/layout.js';
import { loadItems } from '../../src/data/load.js';

const DATA = fileURLToPath(new URL('../../../shared/datasets/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mtr-musique-'));
const write = (name: string, records: unknown[]): string => {
  const file = join(dir, name);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
};

const decomposition = [
  { id: 11, question: 'Who wrote Dune?', answer: 'Frank Herbert', paragraph_support_idx: 0 },
  { id: 12, question: 'Where was #1 born?', answer: 'Tacoma', paragraph_support_idx: null },
];
const paragraphs = [
  { idx: 0, title: 'Dune', paragraph_text: "Dune is Frank Herbert's novel.", is_supporting: true },
  { idx: 1, title: 'Tacoma', paragraph_text: 'Tacoma is a city.', is_supporting: false },
];

/** Python's repr of a JSON value, as some repositories store MuSiQue fields. */
function pyRepr(v: unknown): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string')
    return v.includes("'") && !v.includes('"') ? `"${v.replaceAll('\\', '\\\\')}"` : `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v as object)
    .map(([k, x]) => `'${k}': ${pyRepr(x)}`)
    .join(', ')}}`;
}

const record = { id: '2hop__1_2', question: 'Where was the author of Dune born?', answer: 'Tacoma', answer_aliases: ['Tacoma, Washington'], answerable: true };
const expected = {
  id: '2hop__1_2',
  dataset: 'musique',
  question: 'Where was the author of Dune born?',
  answers: ['Tacoma', 'Tacoma, Washington'],
  decomposition: [
    { question: 'Who wrote Dune?', answers: ['Frank Herbert'] },
    { question: 'Where was #1 born?', answers: ['Tacoma'] },
  ],
  meta: { answerable: true },
};
const context = [
  { title: 'Dune', text: "Dune is Frank Herbert's novel.", supporting: true },
  { title: 'Tacoma', text: 'Tacoma is a city.', supporting: false },
];

describe('MuSiQue layouts', () => {
  it('reads fields stored as Python-repr strings, dropping none of them', async () => {
    const file = write('musique_repr.jsonl', [
      {
        ...record,
        answer_aliases: pyRepr(record.answer_aliases),
        answerable: 'True',
        paragraphs: pyRepr(paragraphs),
        question_decomposition: pyRepr(decomposition),
      },
    ]);
    expect(await loadItems(file, { dataset: 'musique' })).toEqual([{ ...expected, context }]);
  });
  it('reads records without paragraphs, keeping aliases and the decomposition', async () => {
    const file = write('musique_nopara.jsonl', [
      { ...record, question_decomposition: decomposition },
      { ...record, id: 'x', answer_aliases: [] },
    ]);
    const items = await loadItems(file, { dataset: 'musique' });
    expect(items[0]).toEqual(expected);
    expect(items[1]).toEqual({ id: 'x', dataset: 'musique', question: record.question, answers: ['Tacoma'], meta: { answerable: true } });
  });
  it('a repr string that is not a literal is reported, not dropped', async () => {
    const file = write('musique_bad.jsonl', [{ ...record, question_decomposition: "[{'id': 1" }]);
    await expect(loadItems(file, { dataset: 'musique' })).rejects.toThrow(/musique_bad\.jsonl:1: question_decomposition: expected a list of hops/);
  });
  it('the shared KAG file keeps every alias and decomposition, and reads the same from its repr form', async () => {
    const items = await loadItems(`${DATA}musique/musique_train_100_with_paragraphs.json`);
    const raw = JSON.parse(readFileSync(`${DATA}musique/musique_train_100_with_paragraphs.json`, 'utf8')) as Record<string, unknown>[];
    expect(items.map((i) => i.answers)).toEqual(raw.map((r) => goldAnswers(r.answer as string, ...(r.answer_aliases as string[]))));
    expect(items.filter((i) => i.answers.length > 1).length).toBeGreaterThan(0);
    expect(items.filter((i) => i.decomposition).length).toBe(raw.filter((r) => (r.question_decomposition as unknown[]).length > 0).length);
    const reprFile = write(
      'musique_kag_repr.jsonl',
      raw.map((r) => ({
        ...r,
        answer_aliases: pyRepr(r.answer_aliases),
        answerable: pyRepr(r.answerable),
        paragraphs: pyRepr(r.paragraphs),
        question_decomposition: pyRepr(r.question_decomposition),
      })),
    );
    expect(await loadItems(reprFile, { dataset: 'musique' })).toEqual(items);
  });
});
