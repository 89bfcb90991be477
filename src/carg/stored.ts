import { asMtrError } from '../schema/errors.js';

/**
 * A store read or write of a work function: whatever it throws is the store failing (E_STORE), which stops the
 * stage (the one runner's rule) instead of counting as one tool's failure.
 */
export function stored<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asMtrError(e, 'E_STORE', what);
  }
}
