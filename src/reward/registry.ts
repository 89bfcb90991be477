import type { Dialect } from '../grammar/tags.js';
import { MtrError } from '../schema/errors.js';
import type { RewardConfig } from './config.js';
import { type ScoreInput, type ScoreResult, scoreQa } from './score.js';

export type Scorer = (input: ScoreInput, config: RewardConfig) => ScoreResult;

/**
 * data_source → scorer: the names mtr writes (its registry datasets and their aliases) and the ones Search-R1 /
 * FlashRAG / verl data carry. Lookup is case-insensitive; an unknown source is an error rather than a silent
 * default, so a typo never trains on the wrong reward.
 */
export const DEFAULT_SCORERS: Readonly<Record<string, Scorer>> = Object.freeze({
  qa: scoreQa,
  nq: scoreQa,
  triviaqa: scoreQa,
  popqa: scoreQa,
  hotpotqa: scoreQa,
  hotpot: scoreQa,
  '2wikimultihopqa': scoreQa,
  '2wiki': scoreQa,
  musique: scoreQa,
  bamboogle: scoreQa,
  strategyqa: scoreQa,
});

/** Used when a rollout names no data_source. */
export const DEFAULT_DATA_SOURCE = 'qa';

/** verl's Search-R1 data names its sources `searchR1_<name>` (verl/utils/reward_score/__init__.py): that dialect. */
const SEARCH_R1_PREFIX = 'searchr1_';

export interface ResolvedSource {
  scorer: Scorer;
  /** the registry key the source resolved to */
  key: string;
  /** set when the source itself says how its rollouts are written */
  dialect?: Dialect;
}

/**
 * A data_source as trainers carry it: `nq`, `searchR1_nq` (Search-R1 dialect), `bdsaglam/musique` (a hub id:
 * its last path part), any case.
 */
export function resolveDataSource(dataSource: string | undefined, scorers: Readonly<Record<string, Scorer>> = DEFAULT_SCORERS): ResolvedSource {
  let key = (dataSource ?? DEFAULT_DATA_SOURCE).trim().toLowerCase();
  key = key.slice(key.lastIndexOf('/') + 1);
  const searchR1 = key.startsWith(SEARCH_R1_PREFIX);
  if (searchR1) key = key.slice(SEARCH_R1_PREFIX.length);
  const scorer = scorers[key];
  if (!scorer) {
    const known = Object.keys(scorers).join(', ');
    throw new MtrError('E_INPUT', `data_source: expected one of ${known} (also as searchR1_<name> or owner/<name>), got ${JSON.stringify(dataSource)}`, {
      field: 'data_source',
    });
  }
  return searchR1 ? { scorer, key, dialect: 'search-r1' } : { scorer, key };
}

export const scorerFor = (dataSource: string | undefined, scorers: Readonly<Record<string, Scorer>> = DEFAULT_SCORERS): Scorer =>
  resolveDataSource(dataSource, scorers).scorer;
