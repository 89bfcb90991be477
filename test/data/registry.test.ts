import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  findDataset,
  inferDatasetName,
  KNOWN_DATASETS,
  loadRegistry,
  parseRegistry,
  REGISTRY,
  REGISTRY_PATH,
  unknownDatasetError,
} from '../../src/data/registry.js';

const FLASHRAG = 'https://huggingface.co/datasets/RUC-NLPIR/FlashRAG_datasets/resolve/main/';

describe('dataset registry', () => {
  it('datasets/registry.json parses and lists the four benchmarks', () => {
    expect(loadRegistry()).toEqual(REGISTRY);
    expect(KNOWN_DATASETS).toEqual(['bamboogle', 'hotpotqa', '2wikimultihopqa', 'musique']);
  });

  it('every split downloads from the FlashRAG collection, default split included', () => {
    for (const [name, entry] of Object.entries(REGISTRY.datasets)) {
      expect(entry.layout).toBe('flashrag');
      expect(entry.splits[entry.defaultSplit]).toBeDefined();
      for (const [split, { url }] of Object.entries(entry.splits)) expect(url).toBe(`${FLASHRAG}${name}/${split}.jsonl`);
    }
    expect(REGISTRY.datasets.bamboogle!.defaultSplit).toBe('test');
    expect(Object.keys(REGISTRY.datasets.hotpotqa!.splits).sort()).toEqual(['dev', 'train']);
  });

  it('finds names and aliases, case-insensitively', () => {
    expect(findDataset('2wiki')?.name).toBe('2wikimultihopqa');
    expect(findDataset('HotpotQA')?.name).toBe('hotpotqa');
    expect(findDataset('squad')).toBeUndefined();
  });

  it('an unknown name suggests the closest names and aliases; a path-like one is a missing file', () => {
    expect(unknownDatasetError('musiqe').message).toBe(
      'unknown dataset "musiqe" (did you mean musique?): expected a file path or one of bamboogle, hotpotqa, 2wikimultihopqa, musique',
    );
    expect(unknownDatasetError('2wik').message).toMatch(/^unknown dataset "2wik" \(did you mean 2wiki[^?]*\?\)/);
    expect(unknownDatasetError('squad').message).toBe('unknown dataset "squad": expected a file path or one of bamboogle, hotpotqa, 2wikimultihopqa, musique');
    for (const path of ['runs/x', 'x.jsonl', 'C:\\data\\x'])
      expect([unknownDatasetError(path).code, unknownDatasetError(path).message]).toEqual(['E_DATASET', `no such file: ${path}`]);
  });

  it('infers the dataset from a file or folder name', () => {
    expect(inferDatasetName('/d/hotpot_dev_distractor_300.jsonl')).toBe('hotpotqa');
    expect(inferDatasetName('2wiki_dev_qa_500.jsonl')).toBe('2wikimultihopqa');
    expect(inferDatasetName('/cache/datasets/musique/dev.jsonl')).toBe('musique');
    expect(inferDatasetName('/x/y/questions.v2.json')).toBe('questions.v2');
  });

  it('rejects a default split that is not a split, naming the field', () => {
    const data = JSON.parse(readFileSync(REGISTRY_PATH, 'utf8'));
    data.datasets.musique.defaultSplit = 'test';
    expect(() => parseRegistry(data, 'reg.json')).toThrow(
      'reg.json: datasets.musique.defaultSplit: expected a defaultSplit that is one of the splits, got "test"',
    );
  });

  it('rejects an unknown layout and a duplicate alias', () => {
    const data = JSON.parse(readFileSync(REGISTRY_PATH, 'utf8'));
    data.datasets.bamboogle.layout = 'csv';
    expect(() => parseRegistry(data, 'reg.json')).toThrow(/^reg\.json: datasets\.bamboogle\.layout: expected one of flashrag, .*, got "csv"$/);
    data.datasets.bamboogle.layout = 'flashrag';
    data.datasets.bamboogle.aliases = ['hotpot'];
    expect(() => parseRegistry(data, 'reg.json')).toThrow('name or alias "hotpot" is already used by');
  });
});
