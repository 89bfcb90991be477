/** verl's Search-R1 data names its sources `searchR1_<name>` (verl/utils/reward_score/__init__.py): that dialect. */
const SEARCH_R1_PREFIX = 'searchr1_';

export interface DataSourceName {
  /** the benchmark names it may stand for, most specific first; the caller takes the first it knows */
  names: string[];
  /** written `searchR1_<name>`: rollouts in Search-R1's dialect */
  searchR1: boolean;
}

/**
 * The one reading of a `data_source` as trainers and hubs write it, shared by the scorer (which scorer) and the
 * data loader (which benchmark to export as): any case; `searchR1_<name>`; a hub id, its last part first
 * (`bdsaglam/musique`, `RUC-NLPIR/FlashRAG_datasets/nq`), also without `_`/`-` (`hotpot_qa` → hotpotqa), then
 * the parts before it (`hotpotqa/hotpot_qa`: the owner is the benchmark).
 */
export function dataSourceNames(dataSource: string): DataSourceName {
  const parts = dataSource.trim().toLowerCase().split('/').filter(Boolean).reverse();
  const searchR1 = parts[0]?.startsWith(SEARCH_R1_PREFIX) ?? false;
  const names = parts.map((p) => (p.startsWith(SEARCH_R1_PREFIX) ? p.slice(SEARCH_R1_PREFIX.length) : p)).flatMap((p) => [p, p.replace(/[-_\s]/g, '')]);
  return { names: [...new Set(names)].filter(Boolean), searchR1 };
}
