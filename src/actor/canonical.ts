import { createHash } from 'node:crypto';

// "The same call" is defined once, in the grammar (the repeated_call check and the efficiency reward use it too).
export { canonicalJson, canonicalValue, sameCall } from '../grammar/call.js';

export const sha256 = (text: string, length = 32): string => createHash('sha256').update(text).digest('hex').slice(0, length);
