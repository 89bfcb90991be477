import { sha256Unit } from '../text/hash.js';
import { normalizeAnswer } from '../text/normalize.js';
import type { DatasetItem } from '../schema/item.js';

export type SplitName = 'train' | 'validation';

/** A stable number in [0, 1) from the item id and the seed: the same item lands in the same split every time. */
export const splitHash = (itemId: string, seed: number): number => sha256Unit(`${seed}\u0000${itemId}`);

export const splitOf = (itemId: string, seed: number, valRatio: number): SplitName => (splitHash(itemId, seed) < valRatio ? 'validation' : 'train');

export interface Splits<T> {
  train: T[];
  validation: T[];
  /** dropped because an earlier example asked the same (normalised) question */
  duplicates: number;
}

/**
 * Dedup by normalised question (first in input order wins), then split by item id hash. Input order is
 * kept inside each split, so the same store and seed give byte-identical files; since a question
 * survives once, no question can be in both splits. Train is never empty (the highest hash stays), and
 * with `valRatio` > 0 and two or more examples validation gets at least one (the lowest hash): verl needs
 * `data.val_files` even when 5% of 40 items rounds to none.
 */
export function splitExamples<T extends { item: Pick<DatasetItem, 'id' | 'question'> }>(examples: readonly T[], seed: number, valRatio: number): Splits<T> {
  const seen = new Set<string>();
  const kept: T[] = [];
  let duplicates = 0;
  for (const e of examples) {
    const key = normalizeAnswer(e.item.question);
    if (seen.has(key)) duplicates++;
    else {
      seen.add(key);
      kept.push(e);
    }
  }
  const hash = new Map(kept.map((e) => [e, splitHash(e.item.id, seed)]));
  const inValidation = new Set(kept.filter((e) => hash.get(e)! < valRatio));
  const byHash = [...kept].sort((a, b) => hash.get(a)! - hash.get(b)!);
  if (valRatio > 0 && kept.length > 1 && inValidation.size === 0) inValidation.add(byHash[0]!);
  if (kept.length > 0 && inValidation.size === kept.length) inValidation.delete(byHash.at(-1)!);
  return { train: kept.filter((e) => !inValidation.has(e)), validation: kept.filter((e) => inValidation.has(e)), duplicates };
}
