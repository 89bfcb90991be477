import { describe, expect, it } from 'vitest';
import { commaList } from '../../src/text/list.js';

describe('commaList', () => {
  it('trims each entry and drops empty ones, keeping order and repeats', () => {
    expect(commaList(' a, b ,,c,')).toEqual(['a', 'b', 'c']);
    expect(commaList('x,x')).toEqual(['x', 'x']);
    expect(commaList('')).toEqual([]);
    expect(commaList(' , ')).toEqual([]);
  });
});
