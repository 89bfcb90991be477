import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GenerateConfigSchema, resolveGenerateConfig, runKey } from '../../src/pipeline/config.js';
import { sha256Hex } from '../../src/text/hash.js';
import { SHARED_DATASETS } from '../support/paths.js';

const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const configOf = (flags: { coerce?: 'strict' | 'strings' } = {}) =>
  GenerateConfigSchema.parse(resolveGenerateConfig({ dataset: BAMBOOGLE, db: 'runs/x.sqlite', ...flags }));
const keyOf = (flags: { coerce?: 'strict' | 'strings' } = {}) => runKey(configOf(flags), { name: 'bamboogle', path: BAMBOOGLE });

describe('generate --coerce and the run key', () => {
  it("keeps a default run's key as it was before the option (old stores resume)", () => {
    // the shape runKey hashed before --coerce existed, for the defaults
    const embedded = (role: string) => [role, 'embedded', 'default'];
    const before = {
      dataset: resolve(BAMBOOGLE),
      models: ['maker', 'agent', 'actor'].map(embedded),
      maxTurns: 8,
      format: 'text',
      utilityTools: ['wiki_search'],
      maxTools: 4,
    };
    expect(keyOf()).toBe(`bamboogle-${sha256Hex(JSON.stringify(before), 10)}`);
    expect(keyOf({ coerce: 'strict' })).toBe(keyOf()); // strict said aloud is the default
    expect(configOf({ coerce: 'strict' })).not.toHaveProperty('coerce');
  });

  it('stores strings in the run config and makes it another run', () => {
    expect(configOf({ coerce: 'strings' }).coerce).toBe('strings');
    expect(keyOf({ coerce: 'strings' })).not.toBe(keyOf());
  });
});
