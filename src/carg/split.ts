import { sha256Unit } from '../text/hash.js';

/**
 * Held-out tools for evaluation, decided by a hash of the name: stable across runs and machines, and the
 * same tool never lands in both the training export and the eval.
 */
export function isHeldOut(name: string, fraction: number): boolean {
  if (fraction <= 0) return false;
  const bucket = sha256Unit(name);
  return bucket < fraction;
}
