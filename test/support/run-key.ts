import { join, resolve } from 'node:path';
import { GenerateConfigSchema, type GenerateJobInput, resolveGenerateConfig, runKey } from '../../src/pipeline/config.js';
import { sha256Hex } from '../../src/text/hash.js';
import { SHARED_DATASETS } from './paths.js';

export const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');

/** generate's run config for Bamboogle with these flags (the rest default). */
export const bamboogleConfig = (flags: Partial<GenerateJobInput> = {}) =>
  GenerateConfigSchema.parse(resolveGenerateConfig({ dataset: BAMBOOGLE, db: 'runs/x.sqlite', ...flags }));

export const bamboogleRunKey = (flags: Partial<GenerateJobInput> = {}): string => runKey(bamboogleConfig(flags), { name: 'bamboogle', path: BAMBOOGLE });

/**
 * The key a default Bamboogle run had before any option added since (the shape runKey hashed then): an option
 * left at its default must keep it, or old stores stop resuming.
 */
export function keyBeforeOptions(): string {
  const embedded = (role: string) => [role, 'embedded', 'default'];
  const before = {
    dataset: resolve(BAMBOOGLE),
    models: ['maker', 'agent', 'actor'].map(embedded),
    maxTurns: 8,
    format: 'text',
    utilityTools: ['wiki_search'],
    maxTools: 4,
  };
  return `bamboogle-${sha256Hex(JSON.stringify(before), 10)}`;
}
