import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { charNgrams, denseCosine, nameWords, sparseCosine, tfidfVectors } from '../../src/carg/vectorize.js';
import { sealTools } from '../support/seal-tools.js';

describe('offline vectoriser', () => {
  it('splits names into words the way people read them', () => {
    expect(nameWords('getPM2.5Level')).toBe('get pm2 5 level');
    expect(nameWords('requestFirst Aid Assistance')).toBe('request first aid assistance');
    expect(nameWords('get_weather_forecast')).toBe(nameWords('getWeatherForecast'));
    expect(charNgrams('ab')).toEqual([' ab', 'ab ']);
  });

  it('is deterministic: the same Seal-Tools names give bit-identical vectors', () => {
    const names = sealTools()
      .slice(0, 500)
      .map((t) => t.api_name);
    const a = tfidfVectors(names);
    const b = tfidfVectors([...names]);
    expect(a.map((v) => [...v])).toEqual(b.map((v) => [...v]));
  });

  it('cosine is symmetric, within [0, 1], and 1 for a name with itself', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 2, maxLength: 8 }), (texts) => {
        const v = tfidfVectors(texts);
        const ab = sparseCosine(v[0]!, v[1]!);
        expect(ab).toBeCloseTo(sparseCosine(v[1]!, v[0]!), 12);
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(ab).toBeLessThanOrEqual(1 + 1e-9);
        if (v[0]!.size) expect(sparseCosine(v[0]!, v[0]!)).toBeCloseTo(1, 9);
      }),
    );
    expect(denseCosine([1, 0], [2, 0])).toBe(1);
    expect(denseCosine([0, 0], [1, 0])).toBe(0);
  });
});
