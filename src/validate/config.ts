import { sha256Hex } from '../text/hash.js';
import { z } from 'zod';

/** Bumped when a check's logic changes, so old verdicts are not mistaken for new ones. */
export const CHECKS_VERSION = 1;

/** What the checks may be tuned by; the hash of the parsed config keys the stored verdicts. */
export const CheckConfigSchema = z.object({
  /** an answer is correct when EM = 1 or token F1 ≥ this (1 = exact match only) */
  f1Threshold: z.number().min(0).max(1).default(0.8),
  /** a string argument is grounded when at least this share of its tokens occur in the question or earlier observations */
  slotOverlap: z.number().min(0).max(1).default(0.5),
  /** string arguments with fewer tokens are selectors, not entity slots, and are not checked */
  slotMinTokens: z.number().int().positive().default(2),
  /** most steps (think → act turns, the answer turn included) a kept trace may have */
  maxTurns: z.number().int().positive().default(10),
  /** most characters of the rendered trace text */
  maxChars: z.number().int().positive().default(24000),
});
export type CheckConfig = z.infer<typeof CheckConfigSchema>;

export function checkConfigHash(config: CheckConfig): string {
  const canonical = JSON.stringify([CHECKS_VERSION, Object.entries(config).sort(([a], [b]) => a.localeCompare(b))]);
  return sha256Hex(canonical, 16);
}
