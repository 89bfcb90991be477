import { sha256Hex } from '../text/hash.js';

// "The same call" is defined once, in the grammar (the repeated_call check and the efficiency reward use it too).
export { canonicalJson, canonicalValue, sameCall } from '../grammar/call.js';

/** The actor's hash: the first `length` hex digits (32 by default, as its cache keys have always had). */
export const sha256 = (text: string, length = 32): string => sha256Hex(text, length);
