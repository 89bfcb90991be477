import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { toJson } from 'hyparquet';
import { z } from 'zod';
import { prepareRollout, rolloutSamples, type ScoreContext } from '../reward/input.js';
import { type ScoreResult, zeroComponents } from '../reward/score.js';
import { formatSummary, summarize } from '../reward/summary.js';
import { inputError, isMtrError, MtrError } from '../schema/errors.js';
import { readJsonLines } from '../text/jsonl.js';
import { readParquetRows } from '../text/parquet.js';
import { defineJob, type JobHooks, parseConfig } from './job.js';
import { defaultInstructions } from './prompt-instructions.js';
import { RewardFields, rewardConfigOf } from './reward-fields.js';

export const ScoreConfigSchema = z.object({
  rollouts: z.string().min(1).meta({
    placeholder: 'FILE',
    description:
      "JSONL (or .parquet, a row a line): completion (text: the response, or prompt + response; or TRL's assistant messages), verl's response / responses (n samples, scored each) or messages (OpenAI), gold in answer / answers / golden_answers / reward_model.ground_truth, optional data_source, prompt, dialect; mtr export's jsonl and trl rows read as they are, with a completion added to prompt rows",
  }),
  out: z.string().min(1).meta({
    placeholder: 'FILE',
    description:
      "JSONL written in input order: {line, reward, components, details}; a line with several responses (verl's n samples) gives one row per sample, with its sample index",
  }),
  ...RewardFields,
  continueOnError: z.boolean().default(false).meta({ description: 'score a malformed line 0 (with its error) instead of stopping' }),
});
export type ScoreConfig = z.output<typeof ScoreConfigSchema>;

const StatSchema = z.object({ mean: z.number(), p50: z.number(), p90: z.number() });

export const ScoreSummarySchema = z.object({
  rollouts: z.string(),
  out: z.string(),
  /** rows written (malformed ones included, scored 0; one per sample of a multi-sample line) */
  scored: z.number().int(),
  /** the messages of the lines scored 0 with --continue-on-error */
  malformed: z.array(z.string()),
  /** mean / p50 / p90 of the reward and of every component */
  stats: z.record(z.string(), StatSchema),
});
export type ScoreSummary = z.output<typeof ScoreSummarySchema>;

/** The summary as `mtr score` prints it: the count line, then the component table. */
export const formatScoreSummary = (s: ScoreSummary): string =>
  `scored ${s.scored} rollouts from ${s.rollouts} → ${s.out}${s.malformed.length ? ` (${s.malformed.length} malformed, scored 0)` : ''}\n${formatSummary(s.stats)}\n`;

/** Fails with E_INPUT when the rollouts file cannot be opened (before the score file is created). */
async function checkReadable(file: string): Promise<void> {
  const input = createReadStream(file, 'utf8');
  try {
    await new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', (e) =>
        reject(
          new MtrError('E_INPUT', `${file}: expected a readable rollouts file, got ${(e as NodeJS.ErrnoException).code ?? e.message}`, undefined, { cause: e }),
        ),
      );
    });
  } finally {
    input.destroy(); // only the open check: the lines are read by readJsonLines
  }
}

/** The rows of a parquet rollouts file (verl's generation output, mtr's verl export) as JSON lines, numbered from 1. */
async function* parquetLines(file: string): AsyncGenerator<{ line: number; text: string }> {
  let rows: Record<string, unknown>[];
  try {
    rows = await readParquetRows(file);
  } catch (e) {
    throw new MtrError('E_INPUT', `${file}: expected a parquet file, got ${(e as Error).message}`, undefined, { cause: e });
  }
  for (const [i, row] of rows.entries()) yield { line: i + 1, text: JSON.stringify(toJson(row)) };
}

/**
 * Scores a rollouts file with the composite reward, one output line per input line in order. The score file is
 * written beside the target and renamed at the end, so a failed run never leaves a half score file. With
 * `continueOnError` a malformed line scores 0 with its error (and a notice); otherwise the first one stops the job.
 */
export const scoreJob = defineJob({
  name: 'score',
  description: 'Score rollouts (JSONL) with the composite reward: em, f1, cover_em, format, consistency, efficiency',
  examples: [
    'mtr score --rollouts rollouts.jsonl --out scores.jsonl',
    'mtr score --rollouts rollouts.jsonl --out scores.jsonl --weights em=0.6,format=0.2,efficiency=0.2 --continue-on-error',
    'mtr score --rollouts search-r1-rollouts.jsonl --out scores.jsonl --dialect search-r1',
  ],
  config: ScoreConfigSchema,
  summary: ScoreSummarySchema,
  async run(input, hooks: JobHooks = {}) {
    const c = parseConfig(ScoreConfigSchema, input);
    const config = rewardConfigOf(c);
    const context: ScoreContext = { instructions: defaultInstructions() };
    await checkReadable(c.rollouts);
    const partial = `${c.out}.partial`;
    const out = await open(partial, 'w').catch((e: NodeJS.ErrnoException) => {
      throw new MtrError('E_INPUT', `${c.out}: expected a writable score file, got ${e.code ?? e.message}`, undefined, { cause: e });
    });
    const scored: Pick<ScoreResult, 'reward' | 'components'>[] = [];
    const malformed: string[] = [];
    try {
      for await (const { line, text = '' } of c.rollouts.endsWith('.parquet') ? parquetLines(c.rollouts) : readJsonLines(c.rollouts)) {
        let samples: { raw?: unknown; sample?: number }[];
        try {
          samples = rolloutSamples(JSON.parse(text));
        } catch {
          samples = [{}]; // not JSON: one malformed row
        }
        for (const { sample, ...one } of samples) {
          const at = { line, ...(sample !== undefined ? { sample } : {}) };
          let row: Record<string, unknown>;
          try {
            if (!('raw' in one))
              throw inputError(
                'E_INPUT',
                c.rollouts,
                line,
                undefined,
                `expected a JSON object, got ${JSON.stringify(text.slice(0, 40))}${text.length > 40 ? '…' : ''}`,
              );
            const p = prepareRollout(one.raw, { file: c.rollouts, line }, config, context);
            const result = p.scorer(p.input, config);
            scored.push(result);
            row = { ...at, ...(p.id !== undefined ? { id: p.id } : {}), ...(p.dataSource ? { data_source: p.dataSource } : {}), ...result };
          } catch (e) {
            if (!c.continueOnError || !isMtrError(e)) throw e;
            malformed.push(e.message);
            hooks.onNotice?.(`scored 0: ${e.message}`);
            row = { ...at, reward: 0, components: zeroComponents(), error: e.message };
            scored.push({ reward: 0, components: zeroComponents() });
          }
          await out.write(`${JSON.stringify(row)}\n`);
        }
      }
      await out.close();
      await rename(partial, c.out);
    } catch (e) {
      await out.close().catch(() => undefined);
      await rm(partial, { force: true });
      throw e;
    }
    return { rollouts: c.rollouts, out: c.out, scored: scored.length, malformed, stats: summarize(scored) };
  },
});
