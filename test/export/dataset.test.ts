import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeDataset } from '../../src/export/dataset.js';
import { isExportFolder } from '../../src/export/folder.js';
import { MtrError } from '../../src/schema/errors.js';

const base = mkdtempSync(join(tmpdir(), 'mtr-dataset-'));
const readJsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** Simulator-like samples: kinds, ids that decide the split, one question asked twice. */
const samples = Array.from({ length: 40 }, (_, i) => ({
  item: { id: `tool-${i}`, question: `call ${i}` },
  kind: ['single', 'multi', 'error'][i % 3]!,
  answer: i,
}));
samples.push({ item: { id: 'tool-dup', question: 'CALL 0 ' }, kind: 'single', answer: -1 });

describe('writeDataset', () => {
  it('splits by id, dedups questions, writes each split, sharegpt info and a manifest with counts by kind', async () => {
    const out = join(base, 'sim');
    const notices: string[] = [];
    const r = await writeDataset({
      out,
      stage: 'simulator',
      format: 'sharegpt',
      seed: 0,
      valRatio: 0.2,
      examples: samples,
      kindOf: (e) => e.kind,
      rows: (list) =>
        list.map((e) => ({
          conversations: [
            { from: 'human', value: e.item.question },
            { from: 'gpt', value: String(e.answer) },
          ],
          system: 'tool',
        })),
      sharegpt: { system: true, tools: false },
      onNotice: (l) => notices.push(l),
    });
    expect(readdirSync(out).sort()).toEqual(['dataset_info.json', 'manifest.json', 'train.jsonl', 'validation.jsonl']);
    const train = readJsonl(join(out, 'train.jsonl'));
    const validation = readJsonl(join(out, 'validation.jsonl'));
    expect(train.length + validation.length).toBe(40); // the repeated question kept once
    expect(validation.length).toBeGreaterThan(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toEqual(r.manifest);
    expect(manifest.stage).toBe('simulator');
    expect(manifest.counts).toMatchObject({ duplicates: 1, train: train.length, validation: validation.length });
    const kinds = manifest.counts.by_kind as Record<string, { train: number; validation: number }>;
    expect(Object.keys(kinds).sort()).toEqual(['error', 'multi', 'single']);
    expect(Object.values(kinds).reduce((a, k) => a + k.train + k.validation, 0)).toBe(40);
    expect(kinds.single!.train + kinds.single!.validation).toBe(14);
    expect(manifest.files).toEqual({ train: { file: 'train.jsonl', rows: train.length }, validation: { file: 'validation.jsonl', rows: validation.length } });
    const info = JSON.parse(readFileSync(join(out, 'dataset_info.json'), 'utf8'));
    expect(Object.keys(info)).toEqual(['sim_train', 'sim_validation']);
    expect(info.sim_train.columns).toEqual({ messages: 'conversations', system: 'system' });
    expect(isExportFolder(out)).toBe(true);
    expect(notices).toEqual([]);

    // the same input again: byte-identical files, and the earlier export is replaced (it is an mtr export)
    const before = readFileSync(join(out, 'train.jsonl'), 'utf8');
    await writeDataset({
      out,
      stage: 'simulator',
      format: 'sharegpt',
      seed: 0,
      valRatio: 0.2,
      examples: samples,
      rows: (list) =>
        list.map((e) => ({
          conversations: [
            { from: 'human', value: e.item.question },
            { from: 'gpt', value: String(e.answer) },
          ],
          system: 'tool',
        })),
    });
    expect(readFileSync(join(out, 'train.jsonl'), 'utf8')).toBe(before);
  });

  it('a throwing check leaves --out as it was; a folder of other files is refused before the examples are collected', async () => {
    const out = join(base, 'kept');
    await writeDataset({
      out,
      stage: 's',
      format: 'jsonl',
      seed: 1,
      valRatio: 0,
      examples: samples.slice(0, 3),
      rows: (l) => l.map((e) => ({ id: e.item.id })),
    });
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'train.jsonl']);
    const before = readFileSync(join(out, 'manifest.json'), 'utf8');
    const empty = writeDataset({
      out,
      stage: 's',
      format: 'jsonl',
      seed: 1,
      valRatio: 0,
      examples: [],
      rows: () => [],
      check: (s) => {
        if (s.train.length === 0) throw new MtrError('E_EMPTY', 'nothing');
      },
    });
    await expect(empty).rejects.toMatchObject({ code: 'E_EMPTY' });
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(before);
    expect(readdirSync(base).filter((f) => f.startsWith('.kept'))).toEqual([]);

    const mine = join(base, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'x');
    let collected = false;
    const refused = writeDataset({
      out: mine,
      stage: 's',
      format: 'jsonl',
      seed: 0,
      valRatio: 0,
      examples: () => {
        collected = true;
        return samples;
      },
      rows: () => [],
    });
    await expect(refused).rejects.toMatchObject({ code: 'E_USAGE' });
    expect(collected).toBe(false);
    expect(readdirSync(mine)).toEqual(['notes.txt']);
  });
});
