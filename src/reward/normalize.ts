/** Kept for compatibility: answer normalisation lives in `src/text/normalize.ts`. */
export { normalizeAnswer, tokens } from '../text/normalize.js';
