import { sha256Hex } from '../text/hash.js';
import { z } from 'zod';
import { CoerceField } from './coerce.js';

/** Bumped when a check's logic changes, so old verdicts are not mistaken for new ones. */
export const CHECKS_VERSION = 1;

/**
 * What the checks may be tuned by; the hash of the parsed config keys the stored verdicts. The fields are also the
 * flags of `mtr validate` and `mtr export` (declared here once: same flags → same config hash → same verdicts).
 */
export const CheckConfigSchema = z.object({
  f1Threshold: z
    .number()
    .min(0)
    .max(1)
    .default(0.8)
    .meta({ placeholder: 'X', description: 'an answer is correct when EM = 1 or token F1 ≥ X (1 = exact match only)' }),
  slotOverlap: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .meta({ placeholder: 'X', description: "share of a string argument's tokens that must occur in the question or earlier observations" }),
  slotMinTokens: z
    .number()
    .int()
    .positive()
    .default(2)
    .meta({ placeholder: 'N', description: 'string arguments with fewer tokens are selectors and are not checked for grounding' }),
  /** steps are think → act turns, the answer turn included */
  maxTurns: z.number().int().positive().default(10).meta({ placeholder: 'N', description: 'most steps a kept trace may have' }),
  maxChars: z.number().int().positive().default(24000).meta({ placeholder: 'N', description: 'most characters of the rendered trace' }),
  /** the tool_calls check reads arguments as generate's and serve tools' pre-check did (a run made with --coerce strings) */
  coerce: CoerceField,
  /** MTR's traces use the tools made for their task; one that got by on wiki_search alone teaches nothing of them */
  allowNoTaskTool: z
    .boolean()
    .default(false)
    .meta({ description: 'keep traces that called no tool ToolMaker made for their item (only the utility tools), e.g. when all its tools were rejected' }),
});

/** The check settings out of a larger config (a job's flags): exactly the keys the hash covers. */
export const checkConfigOf = (values: CheckConfig): CheckConfig =>
  CheckConfigSchema.parse({
    f1Threshold: values.f1Threshold,
    slotOverlap: values.slotOverlap,
    slotMinTokens: values.slotMinTokens,
    maxTurns: values.maxTurns,
    maxChars: values.maxChars,
    allowNoTaskTool: values.allowNoTaskTool,
    // strict is the absent policy: the same verdicts under the same hash
    ...(values.coerce && values.coerce !== 'strict' ? { coerce: values.coerce } : {}),
  });
export type CheckConfig = z.infer<typeof CheckConfigSchema>;

export function checkConfigHash(config: CheckConfig): string {
  // a strict policy hashes as no policy, so verdicts stored before --coerce keep their hash
  const { coerce, ...rest } = config;
  const keyed = coerce && coerce !== 'strict' ? { ...rest, coerce } : rest;
  const canonical = JSON.stringify([CHECKS_VERSION, Object.entries(keyed).sort(([a], [b]) => a.localeCompare(b))]);
  return sha256Hex(canonical, 16);
}
