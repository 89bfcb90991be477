import type { Dialect } from '../grammar/tags.js';
import { MtrError } from '../schema/errors.js';
import { dataSourceNames } from '../text/data-source.js';
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

export interface ResolvedSource {
  scorer: Scorer;
  /** the registry key the source resolved to */
  key: string;
  /** set when the source itself says how its rollouts are written */
  dialect?: Dialect;
}

/**
 * A data_source as trainers carry it (read by dataSourceNames, as the exporter reads it): `nq`, `searchR1_nq`
 * (Search-R1 dialect), a hub id (`bdsaglam/musique`, `hotpotqa/hotpot_qa`), any case.
 */
export function resolveDataSource(dataSource: string | undefined, scorers: Readonly<Record<string, Scorer>> = DEFAULT_SCORERS): ResolvedSource {
  const { names, searchR1 } = dataSourceNames(dataSource ?? DEFAULT_DATA_SOURCE);
  const key = names.find((name) => Object.hasOwn(scorers, name));
  if (key === undefined) {
    const known = Object.keys(scorers).join(', ');
    throw new MtrError('E_INPUT', `data_source: expected one of ${known} (also as searchR1_<name> or owner/<name>), got ${JSON.stringify(dataSource)}`, {
      field: 'data_source',
    });
  }
  const scorer = scorers[key]!;
  return searchR1 ? { scorer, key, dialect: 'search-r1' } : { scorer, key };
}

export const scorerFor = (dataSource: string | undefined, scorers: Readonly<Record<string, Scorer>> = DEFAULT_SCORERS): Scorer =>
  resolveDataSource(dataSource, scorers).scorer;
