import { describe, expect, it } from 'vitest';
import { bamboogleConfig, bamboogleRunKey, keyBeforeOptions } from '../support/run-key.js';

const configOf = bamboogleConfig;
const keyOf = bamboogleRunKey;

describe('generate --coerce and the run key', () => {
  it("keeps a default run's key as it was before the option (old stores resume)", () => {
    expect(keyOf()).toBe(keyBeforeOptions());
    expect(keyOf({ coerce: 'strict' })).toBe(keyOf()); // strict said aloud is the default
    expect(configOf({ coerce: 'strict' })).not.toHaveProperty('coerce');
  });

  it('stores strings in the run config and makes it another run', () => {
    expect(configOf({ coerce: 'strings' }).coerce).toBe('strings');
    expect(keyOf({ coerce: 'strings' })).not.toBe(keyOf());
  });
});
