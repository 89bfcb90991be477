import { readFileSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import { z } from 'zod';
import { packagePath } from '../paths.js';
import { MtrError } from '../schema/errors.js';
import { didYouMean } from '../text/closest.js';
import { describeIssue } from './layout.js';
import { LAYOUT_NAMES } from './layouts.js';

const SplitSchema = z.object({
  url: z.url({ error: 'an http(s) URL' }),
  records: z.number().int().positive().optional(),
});

export const RegistryEntrySchema = z
  .object({
    description: z.string().min(1),
    citation: z.string().min(1),
    license: z.string().min(1),
    homepage: z.url().optional(),
    /** where the files come from (collection, citation, license) */
    source: z.string().min(1).optional(),
    aliases: z.array(z.string().min(1)).default([]),
    layout: z.enum(LAYOUT_NAMES as [string, ...string[]], { error: `one of ${LAYOUT_NAMES.join(', ')}` }),
    defaultSplit: z.string().min(1),
    splits: z.record(z.string(), SplitSchema),
  })
  .refine((e) => e.defaultSplit in e.splits, { error: 'a defaultSplit that is one of the splits', path: ['defaultSplit'] });
export type RegistryEntry = z.infer<typeof RegistryEntrySchema>;

export const RegistrySchema = z.object({
  version: z.literal(1),
  datasets: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/), RegistryEntrySchema),
});
export type Registry = z.infer<typeof RegistrySchema>;

/** Shipped with the code (not the cache): datasets/registry.json at the repository root. */
export const REGISTRY_PATH = packagePath('datasets', 'registry.json');

export function parseRegistry(data: unknown, file = REGISTRY_PATH): Registry {
  const parsed = RegistrySchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const { field, message } = describeIssue(issue, data);
    throw new MtrError('E_DATASET', `${file}: ${field ? `${field}: ` : ''}${message}`, { file, field });
  }
  const owners = new Map<string, string>();
  for (const [name, entry] of Object.entries(parsed.data.datasets)) {
    for (const key of [name, ...entry.aliases]) {
      const owner = owners.get(key);
      if (owner) throw new MtrError('E_DATASET', `${file}: datasets.${name}: name or alias "${key}" is already used by ${owner}`, { file });
      owners.set(key, name);
    }
  }
  return parsed.data;
}

export function loadRegistry(file = REGISTRY_PATH): Registry {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MtrError('E_DATASET', `${file}: cannot read the dataset registry: ${(e as Error).message}`, { file });
  }
  try {
    return parseRegistry(JSON.parse(text), file);
  } catch (e) {
    if (e instanceof SyntaxError) throw new MtrError('E_DATASET', `${file}: invalid JSON: ${e.message}`, { file });
    throw e;
  }
}

/** The registry shipped with mtr, read once when this module loads (a broken registry fails loudly). */
export const REGISTRY: Registry = loadRegistry();

/** Canonical dataset names, for CLI help and error messages. */
export const KNOWN_DATASETS: readonly string[] = Object.keys(REGISTRY.datasets);

/** A registry entry by canonical name or alias (case-insensitive), or undefined. */
export function findDataset(nameOrAlias: string, registry: Registry = REGISTRY): { name: string; entry: RegistryEntry } | undefined {
  const key = nameOrAlias.trim().toLowerCase();
  for (const [name, entry] of Object.entries(registry.datasets)) {
    if (name === key || entry.aliases.includes(key)) return { name, entry };
  }
  return undefined;
}

/**
 * Why `nameOrPath` names no dataset (it is neither an existing file nor in the registry): one that looks like a
 * path (a / or \\, or an extension) is a missing file; a bare name is an unknown dataset, with the closest registry
 * names and aliases suggested.
 */
export function unknownDatasetError(nameOrPath: string, registry: Registry = REGISTRY): MtrError {
  if (/[/\\]/.test(nameOrPath) || extname(nameOrPath) !== '') return new MtrError('E_DATASET', `no such file: ${nameOrPath}`, { file: nameOrPath });
  const keys = Object.entries(registry.datasets).flatMap(([name, entry]) => [name, ...entry.aliases]);
  return new MtrError(
    'E_DATASET',
    `unknown dataset "${nameOrPath}"${didYouMean(nameOrPath.trim(), keys)}: expected a file path or one of ${Object.keys(registry.datasets).join(', ')}`,
  );
}

/**
 * The dataset a file belongs to, guessed from its name (then its folder, which covers the cache layout
 * `<name>/<split>.jsonl`): a registry name or alias inside it wins (hotpot → hotpotqa, 2wiki →
 * 2wikimultihopqa); otherwise the file's base name.
 */
export function inferDatasetName(file: string, registry: Registry = REGISTRY): string {
  const base = basename(file, extname(file));
  const keys = Object.entries(registry.datasets)
    .flatMap(([name, entry]) => [name, ...entry.aliases].map((key) => ({ key, name })))
    .sort((a, b) => b.key.length - a.key.length);
  for (const part of [base, basename(dirname(file))]) {
    const hit = keys.find(({ key }) => part.toLowerCase().includes(key));
    if (hit) return hit.name;
  }
  return base;
}
