import { describe, expect, it } from 'vitest';
import { checkGenerateConfig } from '../../src/pipeline/config.js';
import { mtrError } from '../support/errors.js';
import { bamboogleConfig, bamboogleRunKey, keyBeforeOptions } from '../support/run-key.js';

const configOf = bamboogleConfig;
const keyOf = bamboogleRunKey;

describe('generate --tools-from and the run key', () => {
  it('maker is the default and keeps the key a run had before the option; utility and none are other runs', () => {
    expect(configOf().toolsFrom).toBe('maker');
    expect(keyOf({ toolsFrom: 'maker' })).toBe(keyBeforeOptions());
    const keys = new Set([keyOf(), keyOf({ toolsFrom: 'utility' }), keyOf({ toolsFrom: 'none' })]);
    expect(keys.size).toBe(3);
  });

  it('Search-R1 dialect: its instruction offers search, so no tools is a usage error', async () => {
    expect(() => checkGenerateConfig(configOf({ dialect: 'search-r1', toolsFrom: 'utility' }))).not.toThrow();
    const e = await mtrError((async () => checkGenerateConfig(configOf({ dialect: 'search-r1', toolsFrom: 'none' })))());
    expect(e.code).toBe('E_USAGE');
    expect(e.message).toBe('--tools-from: expected maker or utility with --dialect search-r1 (its instruction offers search), got none');
  });
});
