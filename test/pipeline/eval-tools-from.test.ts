import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkGenerateConfig, GenerateConfigSchema, resolveGenerateConfig, runKey } from '../../src/pipeline/config.js';
import type { ToolsFrom } from '../../src/schema/trace.js';
import { sha256Hex } from '../../src/text/hash.js';
import { mtrError } from '../support/errors.js';
import { SHARED_DATASETS } from '../support/paths.js';

const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const configOf = (flags: { toolsFrom?: ToolsFrom; dialect?: 'hermes' | 'search-r1' } = {}) =>
  GenerateConfigSchema.parse(resolveGenerateConfig({ dataset: BAMBOOGLE, db: 'runs/x.sqlite', ...flags }));
const keyOf = (flags: { toolsFrom?: ToolsFrom } = {}) => runKey(configOf(flags), { name: 'bamboogle', path: BAMBOOGLE });

describe('generate --tools-from and the run key', () => {
  it('maker is the default and keeps the key a run had before the option; utility and none are other runs', () => {
    expect(configOf().toolsFrom).toBe('maker');
    // the shape runKey hashed before --tools-from existed, for the defaults
    const embedded = (role: string) => [role, 'embedded', 'default'];
    const before = {
      dataset: resolve(BAMBOOGLE),
      models: ['maker', 'agent', 'actor'].map(embedded),
      maxTurns: 8,
      format: 'text',
      utilityTools: ['wiki_search'],
      maxTools: 4,
    };
    expect(keyOf({ toolsFrom: 'maker' })).toBe(`bamboogle-${sha256Hex(JSON.stringify(before), 10)}`);
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
