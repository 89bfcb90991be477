import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseToolText } from '../../src/schema/tool-file.js';
import { SHARED_DATASETS } from '../support/paths.js';

const read = (rel: string) => {
  const file = join(SHARED_DATASETS, rel);
  return () => parseToolText(readFileSync(file, 'utf8'), file);
};

describe('a file taken for a tool file says what it is and which file to give', () => {
  it.each([
    [
      'tools/seal-tools/dev.jsonl',
      /seal-tools\/dev\.jsonl: expected a tool file .*got a Seal-Tools query file .*import the tool\.jsonl beside it \(first entry: an object with id, query, calling\)$/,
    ],
    ['tools/seal-tools/field.jsonl', /got a field taxonomy .*carg tools expand --seed-fields/],
    ['bamboogle/bamboogle.jsonl', /got a QA dataset \(question and answer\), not tools: it is --dataset for mtr generate/],
    ['hotpotqa/hotpot_dev_distractor_300.jsonl', /got a QA dataset/],
  ])('%s', (rel, message) => {
    expect(read(rel)).toThrow(message);
  });

  it('a file that looks like nothing known keeps the plain message', () => {
    expect(() => parseToolText('{"a": 1, "b": 2}\n', 'x.jsonl')).toThrow(/got no named tool in it \(first entry: an object with a, b\)$/);
  });
});
