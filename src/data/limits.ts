import { z } from 'zod';

/**
 * Limits on dataset records, so one bad record cannot cost millions of tokens: the longest question in the
 * benchmarks here is 300 characters (HotpotQA train) and the largest record 20 KB (MuSiQue with its 20 paragraphs).
 */
export const DEFAULT_MAX_QUESTION_CHARS = 4000;
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

export const DatasetLimitsSchema = z.object({
  /** longest question accepted, in characters (Unicode code points) */
  maxQuestionChars: z.number().int().positive().default(DEFAULT_MAX_QUESTION_CHARS),
  /** largest record accepted: a JSON line's bytes, or a JSON-array record's compact JSON */
  maxRecordBytes: z.number().int().positive().default(DEFAULT_MAX_RECORD_BYTES),
  /** skip (and count) a record that breaks a limit or cannot be read as an item, instead of stopping */
  skipBad: z.boolean().default(false),
});
export type DatasetLimits = z.infer<typeof DatasetLimitsSchema>;

/** A record left out by `skipBad`: where it is and why. */
export interface SkippedRecord {
  where: string;
  reason: string;
}

/** Characters of a string as a reader counts them (code points), counted only when the UTF-16 length could exceed `max`. */
export function charsOver(s: string, max: number): number | undefined {
  if (s.length <= max) return undefined;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) n++; // a low surrogate ends a code point already counted
  }
  return n > max ? n : undefined;
}
