import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_DIALECT, DIALECTS } from '../grammar/tags.js';
import { parseWeights, type RewardConfig, RewardConfigSchema } from '../reward/config.js';
import { asMtrError, MtrError } from '../schema/errors.js';

/** The reward's fields, shared by `score` and `serve reward`: a JSON config file, then --weights and --dialect on top. */
export const RewardFields = {
  weights: z.string().optional().meta({ placeholder: 'SPEC', description: 'composite weights, e.g. em=0.5,f1=0.2,format=0.3 (unlisted = 0) or a JSON object' }),
  config: z.string().optional().meta({
    placeholder: 'FILE',
    description: 'JSON reward config (dialect, noAnswer, weights, format grid, efficiency budget); --weights and --dialect override it',
  }),
  dialect: z
    .enum(DIALECTS)
    .optional()
    .meta({
      placeholder: 'D',
      description: `how rollouts are written: hermes (<tool_call>) or search-r1 (<search>/<information>); default the config's, else ${DEFAULT_DIALECT}; a rollout's own dialect or a searchR1_* data_source wins`,
    }),
};

export interface RewardFieldValues {
  weights?: string | undefined;
  config?: string | undefined;
  dialect?: (typeof DIALECTS)[number] | undefined;
}

/** `--config FILE` (JSON, any subset of the reward config), then `--weights` and `--dialect` on top; E_USAGE naming the flag. */
export function rewardConfigOf(values: RewardFieldValues): RewardConfig {
  const { config: file, weights, dialect } = values;
  let raw: unknown = {};
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new MtrError('E_USAGE', `--config: expected a readable JSON file, got ${file} (${(e as Error).message})`, { field: 'config' }, { cause: e });
    }
  }
  const parsed = RewardConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MtrError('E_USAGE', `--config: ${file}: ${issue.path.join('.') || 'config'}: ${issue.message}`, { field: 'config' }, { cause: parsed.error });
  }
  const config = dialect === undefined ? parsed.data : { ...parsed.data, dialect };
  if (weights === undefined) return config;
  try {
    return { ...config, weights: parseWeights(weights) };
  } catch (e) {
    const inner = asMtrError(e, 'E_USAGE');
    throw new MtrError('E_USAGE', `--weights: ${inner.message}`, { field: 'weights' }, { cause: inner });
  }
}
