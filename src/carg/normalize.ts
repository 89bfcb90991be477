// The one normaliser lives beside the one tool check (src/schema/tool-check.ts), shared with `serve tools`.
export { type Normalized, normalizeCandidate, sanitizeName, withPlaceholders } from '../schema/tool-check.js';
