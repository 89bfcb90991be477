import { createReadStream, readFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { DEFAULT_DIALECT, type Dialect, DIALECTS } from '../grammar/tags.js';
import { type RewardConfig, RewardConfigSchema, parseWeights } from '../reward/config.js';
import { prepareRollout, type ScoreContext } from '../reward/input.js';
import { type ScoreResult, zeroComponents } from '../reward/score.js';
import { formatSummary, summarize } from '../reward/summary.js';
import { inputError, isMtrError, MtrError } from '../schema/errors.js';
import { defaultInstructions } from '../pipeline/prompt-instructions.js';
import { readJsonLines } from '../text/jsonl.js';
import { defineCommand } from './command.js';

/** `--config FILE` (JSON, any subset of the reward config) then `--weights` and `--dialect` on top; shared with `serve`. */
export function loadRewardConfig(command: string, configFile: string | undefined, weights: string | undefined, dialect?: string): RewardConfig {
  let raw: unknown = {};
  if (configFile) {
    try {
      raw = JSON.parse(readFileSync(configFile, 'utf8'));
    } catch (e) {
      throw new MtrError('E_USAGE', `${command}: --config: expected a readable JSON file, got ${configFile} (${(e as Error).message})`);
    }
  }
  const parsed = RewardConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MtrError('E_USAGE', `${command}: --config: ${configFile}: ${issue.path.join('.') || 'config'}: ${issue.message}`);
  }
  const config = dialect === undefined ? parsed.data : { ...parsed.data, dialect: dialect as Dialect };
  if (weights === undefined) return config;
  try {
    return { ...config, weights: parseWeights(weights) };
  } catch (e) {
    throw new MtrError('E_USAGE', `${command}: --weights: ${(e as Error).message}`);
  }
}

export const WEIGHT_OPTIONS = {
  weights: { type: 'string', placeholder: 'SPEC', description: 'composite weights, e.g. em=0.5,f1=0.2,format=0.3 (unlisted = 0) or a JSON object' },
  config: { type: 'string', placeholder: 'FILE', description: 'JSON reward config (dialect, noAnswer, weights, format grid, efficiency budget); --weights and --dialect override it' },
  dialect: { type: 'string', placeholder: 'D', choices: DIALECTS, description: `how rollouts are written: hermes (<tool_call>) or search-r1 (<search>/<information>); default the config's, else ${DEFAULT_DIALECT}; a rollout's own dialect or a searchR1_* data_source wins` },
} as const;

export default defineCommand({
  name: 'score',
  summary: 'Score rollouts (JSONL) with the composite reward: em, f1, cover_em, format, consistency, efficiency',
  examples: [
    'mtr score --rollouts rollouts.jsonl --out scores.jsonl',
    'mtr score --rollouts rollouts.jsonl --out scores.jsonl --weights em=0.6,format=0.2,efficiency=0.2 --continue-on-error',
    'mtr score --rollouts search-r1-rollouts.jsonl --out scores.jsonl --dialect search-r1',
  ],
  options: {
    rollouts: { type: 'string', required: true, placeholder: 'FILE', description: 'JSONL: completion (text: the response, or prompt + response) or messages (OpenAI), gold in answer / answers / golden_answers, optional data_source, prompt, dialect' },
    out: { type: 'string', required: true, placeholder: 'FILE', description: 'JSONL written in input order: {line, reward, components, details}' },
    ...WEIGHT_OPTIONS,
    continueOnError: { type: 'boolean', default: false, description: 'score a malformed line 0 (with its error) instead of stopping' },
  },
  async run(opts) {
    const config = loadRewardConfig('score', opts.config, opts.weights, opts.dialect);
    const context: ScoreContext = { instructions: defaultInstructions() };
    const input = createReadStream(opts.rollouts, 'utf8');
    const opened = new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', (e) => reject(new MtrError('E_INPUT', `${opts.rollouts}: expected a readable rollouts file, got ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    });
    await opened;
    input.destroy(); // only the open check: the lines are read by readJsonLines
    // Written beside the target and renamed at the end, so a failed run never leaves a half score file.
    const partial = `${opts.out}.partial`;
    const out = await open(partial, 'w').catch((e: NodeJS.ErrnoException) => {
      input.destroy();
      throw new MtrError('E_INPUT', `${opts.out}: expected a writable score file, got ${e.code ?? e.message}`);
    });
    const scored: Pick<ScoreResult, 'reward' | 'components'>[] = [];
    const failures: string[] = [];
    try {
      for await (const { line: lineNo, text = '' } of readJsonLines(opts.rollouts)) {
        let row: Record<string, unknown>;
        try {
          let raw: unknown;
          try {
            raw = JSON.parse(text);
          } catch {
            throw inputError('E_INPUT', opts.rollouts, lineNo, undefined, `expected a JSON object, got ${JSON.stringify(text.slice(0, 40))}${text.length > 40 ? '…' : ''}`);
          }
          const p = prepareRollout(raw, { file: opts.rollouts, line: lineNo }, config, context);
          const result = p.scorer(p.input, config);
          scored.push(result);
          row = { line: lineNo, ...(p.id !== undefined ? { id: p.id } : {}), ...(p.dataSource ? { data_source: p.dataSource } : {}), ...result };
        } catch (e) {
          if (!opts.continueOnError || !isMtrError(e)) throw e;
          failures.push(e.message);
          process.stderr.write(`mtr score: scored 0: ${e.message}\n`);
          row = { line: lineNo, reward: 0, components: zeroComponents(), error: e.message };
          scored.push({ reward: 0, components: zeroComponents() });
        }
        await out.write(`${JSON.stringify(row)}\n`);
      }
      await out.close();
      await rename(partial, opts.out);
    } catch (e) {
      input.destroy();
      await out.close().catch(() => undefined);
      await rm(partial, { force: true });
      throw e;
    }
    process.stdout.write(
      `scored ${scored.length} rollouts from ${opts.rollouts} → ${opts.out}` +
        `${failures.length ? ` (${failures.length} malformed, scored 0)` : ''}\n` +
        `${formatSummary(summarize(scored))}\n`,
    );
    return 0;
  },
});
