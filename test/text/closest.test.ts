import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../src/text/closest.js';

describe('closest names', () => {
  it('edit distance counts insertions, deletions and substitutions', () => {
    expect(editDistance('datset', 'dataset')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('keeps candidates within a third of the word or that start with it, best first', () => {
    expect(closest('datset', ['dataset', 'db', 'data-source', 'limit'])).toEqual(['dataset']);
    expect(closest('hotpotqq', ['bamboogle', 'hotpotqa', 'hotpot', '2wikimultihopqa', 'musique'])).toEqual(['hotpotqa', 'hotpot']);
    expect(closest('conc', ['concurrency', 'count', 'config'])).toEqual(['concurrency']);
    expect(closest('squad', ['bamboogle', 'hotpotqa', 'musique'])).toEqual([]);
    expect(closest('DATASET', ['dataset'])).toEqual(['dataset']);
  });

  it('phrases the suggestion, or nothing', () => {
    expect(didYouMean('datset', ['dataset'], (c) => `--${c}`)).toBe(' (did you mean --dataset?)');
    expect(didYouMean('ab', ['ab1', 'ab2', 'ab3'])).toBe(' (did you mean ab1, ab2 or ab3?)');
    expect(didYouMean('zzz', ['dataset'])).toBe('');
  });
});
