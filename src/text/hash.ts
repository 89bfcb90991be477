import { createHash } from 'node:crypto';

/**
 * The one sha256 helper. Stored hashes and run keys are slices of the hex digest (prompt hash 16, check
 * config 16, run key 10, actor cache 32), and stable splits take the digest's first 4 bytes as a number in
 * [0, 1): both spelled here once, so a change of input encoding cannot slip into one call site only.
 */

/** The raw 32-byte sha256 digest of the UTF-8 text. */
export const sha256Digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The lowercase hex sha256 of the UTF-8 text, cut to its first `length` characters (all 64 by default). */
export const sha256Hex = (text: string, length = 64): string => createHash('sha256').update(text).digest('hex').slice(0, length);

/** A stable number in [0, 1): the digest's first 4 bytes, big-endian, over 2^32. */
export const sha256Unit = (text: string): number => sha256Digest(text).readUInt32BE(0) / 2 ** 32;
