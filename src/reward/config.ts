import { z } from 'zod';
import { DEFAULT_DIALECT, DIALECTS } from '../grammar/tags.js';
import { MtrError } from '../schema/errors.js';
import { ToolErrorTypeSchema } from '../schema/trace.js';

/** The components every score reports; all in [0, 1]. */
export const COMPONENTS = ['em', 'f1', 'precision', 'recall', 'cover_em', 'format', 'consistency', 'efficiency'] as const;
export type Component = (typeof COMPONENTS)[number];
export const WEIGHTED = ['em', 'f1', 'cover_em', 'format', 'consistency', 'efficiency'] as const;

const weight = (d: number) => z.number().min(0).default(d);
const unit = (d: number) => z.number().min(0).max(1).default(d);

/**
 * Defaults: correctness dominates (em 0.4 + f1 0.2), format 0.2 (Search-R1's grid), consistency 0.1,
 * efficiency 0.1. The composite is Σ wᵢ·cᵢ / Σ wᵢ, so it stays in [0, 1] whatever the weights.
 */
export const WeightsSchema = z
  .object({ em: weight(0.4), f1: weight(0.2), cover_em: weight(0), format: weight(0.2), consistency: weight(0.1), efficiency: weight(0.1) })
  .refine((w) => Object.values(w).some((v) => v > 0), 'expected at least one positive weight, got all 0');

/**
 * The format component as a grid: (valid | invalid format) × (correct | wrong answer), plus no answer. The
 * default is validity alone (1 exactly when well formed: Search-R1's is_valid_sequence in its dialect);
 * Search-R1's format-aware reward is the grid {validCorrect 1, invalidCorrect 0.8, validWrong 0.2, invalidWrong 0.1}.
 */
export const FormatConfigSchema = z.object({
  /** every call and the answer must follow a <think> (hermes; Search-R1's check always requires it) */
  requireThink: z.boolean().default(true),
  /** what "correct" means for the grid */
  correctBy: z.enum(['em', 'cover_em']).default('em'),
  validCorrect: unit(1),
  invalidCorrect: unit(0),
  validWrong: unit(1),
  invalidWrong: unit(0),
  noAnswer: unit(0),
});

export const ConsistencyConfigSchema = z.object({
  /** score when the trace has no successful observation to check the answer against */
  noEvidence: unit(0),
  /** cap when an observation shows a gold answer and the final answer ignores it */
  contradiction: unit(0),
});

export const EfficiencyConfigSchema = z.object({
  callBudget: z.number().int().min(0).default(4),
  perExtraCall: unit(0.1),
  perRepeat: unit(0.25),
  perInvalid: unit(0.25),
  /** observation error types that mark a call as schema-invalid */
  invalidErrorTypes: z.array(ToolErrorTypeSchema).default(['type_error', 'missing_required', 'excess_parameter', 'unknown_tool', 'malformed_call']),
});

export const RewardConfigSchema = z.object({
  /** how rollouts are written unless a rollout (dialect, or a searchR1_* data_source) says otherwise */
  dialect: z.enum(DIALECTS).default(DEFAULT_DIALECT),
  /** the composite reward of a rollout with no (or a blank) answer, as Search-R1 gives 0; null = the weighted mean anyway */
  noAnswer: z.number().min(0).max(1).nullable().default(0),
  weights: WeightsSchema.prefault({}),
  format: FormatConfigSchema.prefault({}),
  consistency: ConsistencyConfigSchema.prefault({}),
  efficiency: EfficiencyConfigSchema.prefault({}),
});
export type RewardConfig = z.infer<typeof RewardConfigSchema>;
export type RewardConfigInput = z.input<typeof RewardConfigSchema>;
export type Weights = RewardConfig['weights'];

export const DEFAULT_REWARD_CONFIG: RewardConfig = RewardConfigSchema.parse({});

/**
 * `em=0.5,format=0.5` or a JSON object → weights. The listed weights replace the whole set (unlisted
 * ones are 0), so `em=1` means "reward = EM". Throws E_USAGE naming the bad entry (the parser's error as its cause).
 */
export function parseWeights(spec: string): Weights {
  const trimmed = spec.trim();
  let raw: Record<string, unknown>;
  if (trimmed.startsWith('{')) {
    try {
      raw = JSON.parse(trimmed) as Record<string, unknown>;
    } catch (e) {
      throw new MtrError('E_USAGE', `expected a JSON object of weights, got ${JSON.stringify(trimmed)}`, undefined, { cause: e });
    }
  } else {
    raw = {};
    for (const part of trimmed.split(',').filter((p) => p.trim() !== '')) {
      const [key, value, extra] = part.split('=').map((x) => x.trim());
      const n = Number(value);
      if (!key || value === undefined || value === '' || extra !== undefined || !Number.isFinite(n))
        throw new MtrError('E_USAGE', `expected name=number, got ${JSON.stringify(part)}`);
      raw[key] = n;
    }
  }
  const unknown = Object.keys(raw).filter((k) => !(WEIGHTED as readonly string[]).includes(k));
  if (unknown.length) throw new MtrError('E_USAGE', `expected weights among ${WEIGHTED.join(', ')}, got ${unknown.join(', ')}`);
  const zeroed = Object.fromEntries(WEIGHTED.map((k) => [k, raw[k] ?? 0]));
  const parsed = WeightsSchema.safeParse(zeroed);
  if (!parsed.success)
    throw new MtrError('E_USAGE', parsed.error.issues.map((i) => `${i.path.join('.') || 'weights'}: ${i.message}`).join('; '), undefined, {
      cause: parsed.error,
    });
  return parsed.data;
}
