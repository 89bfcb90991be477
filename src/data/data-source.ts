import type { DatasetItem } from '../schema/item.js';
import { dataSourceNames } from '../text/data-source.js';
import { findDataset, inferDatasetName, KNOWN_DATASETS, REGISTRY, type Registry } from './registry.js';

/**
 * QA benchmarks that Search-R1 / FlashRAG / verl data name in `data_source` without an entry in mtr's
 * registry (no download); a file or dataset name containing one as a word is that benchmark.
 */
export const EXTRA_DATA_SOURCES = ['nq', 'triviaqa', 'popqa', 'strategyqa'] as const;

/** Every canonical name an export may write as `data_source`. */
export const DATA_SOURCE_NAMES: readonly string[] = [...KNOWN_DATASETS, ...EXTRA_DATA_SOURCES];

/** A benchmark's canonical name from one of its names: a registry name or alias, or one of EXTRA_DATA_SOURCES. */
function canonicalName(name: string, registry: Registry): string | undefined {
  return findDataset(name, registry)?.name ?? EXTRA_DATA_SOURCES.find((extra) => extra === name);
}

/**
 * Layout fingerprints an item keeps after loading: verl rows keep their `data_source`; HotpotQA layouts keep
 * `type` (bridge/comparison) and `level`; MuSiQue keeps `answerable`.
 */
function fromLayout(item: Pick<DatasetItem, 'meta'>, registry: Registry): string | undefined {
  const meta = item.meta ?? {};
  // verl / Search-R1 rows name their benchmark in `data_source` (`nq`, `searchR1_nq`, `bdsaglam/musique`), read as the scorer reads it.
  if (typeof meta.data_source === 'string') {
    const named = dataSourceNames(meta.data_source)
      .names.map((name) => canonicalName(name, registry))
      .find(Boolean);
    if (named) return named;
  }
  if (['bridge', 'comparison'].includes(meta.type as string) && ['easy', 'medium', 'hard'].includes(meta.level as string)) return 'hotpotqa';
  if (typeof meta.answerable === 'boolean') return 'musique';
  return undefined;
}

/**
 * The canonical `data_source` of an item, or undefined when nothing names one: the registry name or alias,
 * a registry name inside the stored dataset name (a file stem such as `hotpot_dev_300` → hotpotqa), a
 * FlashRAG name as a word of it (`nq_test` → nq), then the item's layout. Never the raw file stem: the
 * scorer keys rewards by data_source and rejects names it does not know.
 */
export function canonicalDataSource(item: Pick<DatasetItem, 'dataset' | 'meta'>, registry: Registry = REGISTRY): string | undefined {
  const found = findDataset(item.dataset, registry);
  if (found) return found.name;
  const inferred = inferDatasetName(item.dataset, registry);
  if (inferred in registry.datasets) return inferred;
  const words = item.dataset.toLowerCase().split(/[^a-z0-9]+/);
  return EXTRA_DATA_SOURCES.find((name) => words.includes(name)) ?? fromLayout(item, registry);
}
