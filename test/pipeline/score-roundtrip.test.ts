import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rowsToParquet } from '../../src/export/parquet.js';
import { exportJob } from '../../src/pipeline/export.js';
import { scoreJob } from '../../src/pipeline/score.js';
import { searchStore } from '../export/stores.js';
import { seededStore } from '../validate/store-fixture.js';

/**
 * Round trip (issue 15): every JSONL file `mtr export` writes that holds rollouts or prompts reads back into
 * `mtr score`. Prompt rows get a completion as a trainer would add it (verl's `response` / `responses`, TRL's
 * `completion`, text or conversational); even rows answer with their gold, odd rows wrongly, so EM is 1, 0, 1, …
 */

const tmp = mkdtempSync(join(tmpdir(), 'mtr-score-roundtrip-'));
let hermesDb: string;
let searchDb: string;
beforeAll(async () => {
  hermesDb = (await seededStore(tmp)).path;
  searchDb = (await searchStore(join(tmp, 'search'), { dialect: 'search-r1' })).path;
});

type Row = Record<string, unknown>;
type Dialect = 'hermes' | 'search-r1';

async function exported(stage: 'sft' | 'grpo', format: 'jsonl' | 'trl' | 'verl', dialect: Dialect): Promise<{ file: string; rows: Row[] }> {
  const out = join(tmp, `${stage}-${format}-${dialect}`);
  const s = await exportJob.run({ db: dialect === 'hermes' ? hermesDb : searchDb, out, stage, format, dialect, valRatio: 0 });
  const file = join(out, s.files.train!.file);
  const rows = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row);
  expect(rows.length).toBe(s.train);
  expect(rows.length).toBeGreaterThan(2);
  return { file, rows };
}

/** The row's gold, wherever the export put it. */
const goldOf = (r: Row): string => {
  const target = (r.reward_model as { ground_truth?: { target?: string[] } } | undefined)?.ground_truth?.target;
  return ((r.answers as string[] | undefined) ?? target)![0]!;
};

const answerText = (dialect: Dialect, answer: string) =>
  dialect === 'search-r1' ? `<think>I know it.</think>\n<answer> ${answer} </answer>` : `<think>I know it.</think>\n<answer>${answer}</answer>`;

const answerOf = (r: Row, k: number) => (k % 2 === 0 ? goldOf(r) : 'Nobody In Particular');

async function score(file: string, rows: Row[], dialect: Dialect) {
  const rollouts = `${file}.rollouts.jsonl`;
  writeFileSync(rollouts, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const out = `${file}.scores.jsonl`;
  const s = await scoreJob.run({ rollouts, out, dialect, continueOnError: true });
  const lines = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { line: number; id?: string; components: { em: number }; error?: string });
  expect(s.malformed).toEqual([]);
  expect(s.scored).toBe(rows.length);
  expect(lines.map((l) => l.error)).toEqual(rows.map(() => undefined));
  return lines;
}

describe.each(['hermes', 'search-r1'] as const)('mtr score reads what mtr export writes (%s)', (dialect) => {
  it('sft jsonl: prompt as chat messages, the trace as completion; every row scored with EM 1', async () => {
    const { file, rows } = await exported('sft', 'jsonl', dialect);
    expect(Array.isArray(rows[0]!.prompt)).toBe(true);
    const lines = await score(file, rows, dialect);
    expect(lines.map((l) => l.components.em)).toEqual(rows.map(() => 1));
    expect(lines.map((l) => l.id)).toEqual(rows.map((r) => r.id));
  });

  it('sft jsonl with a wrong completion: the prompt is never searched for the answer', async () => {
    const { file, rows } = await exported('sft', 'jsonl', dialect);
    // the prompt holds the question (and Search-R1's "<answer> Beijing </answer>" example); the gold as the question's own words is not an answer
    const wrong = rows.map((r) => ({ ...r, completion: '<think>I do not know.</think>', answers: [...(r.answers as string[]), 'Beijing'] }));
    const lines = await score(file, wrong, dialect);
    expect(lines.map((l) => l.components.em)).toEqual(rows.map(() => 0));
  });

  it("grpo jsonl (verl rows): gold from reward_model.ground_truth, the completion in verl's response / responses", async () => {
    const { file, rows } = await exported('grpo', 'jsonl', dialect);
    expect(rows[0]).toHaveProperty('reward_model.ground_truth.target');
    expect(rows[0]).not.toHaveProperty('answers');
    const withResponse = rows.map((r, k) =>
      k % 3 === 2 ? { ...r, responses: [answerText(dialect, answerOf(r, k))] } : { ...r, response: answerText(dialect, answerOf(r, k)) },
    );
    const lines = await score(file, withResponse, dialect);
    expect(lines.map((l) => l.components.em)).toEqual(rows.map((_, k) => (k % 2 === 0 ? 1 : 0)));
    if (dialect === 'hermes') expect(lines.map((l) => l.id)).toEqual(rows.map((r) => (r.extra_info as { id: string }).id));
  });

  it('grpo verl: the JSONL beside the parquet reads the same, a response added', async () => {
    const { file, rows } = await exported('grpo', 'verl', dialect);
    expect(file).toMatch(/\.jsonl$/);
    expect(rows[0]).toHaveProperty('reward_model.ground_truth.target');
    const lines = await score(
      file,
      rows.map((r, k) => ({ ...r, response: answerText(dialect, answerOf(r, k)) })),
      dialect,
    );
    expect(lines.map((l) => l.components.em)).toEqual(rows.map((_, k) => (k % 2 === 0 ? 1 : 0)));
  });

  it('grpo verl parquet: read as rows, the exported file as it is (no completion yet) and with a response column', async () => {
    const { file, rows } = await exported('grpo', 'verl', dialect);
    const exportedParquet = file.replace(/\.jsonl$/, '.parquet');
    const bare = await scoreJob.run({ rollouts: exportedParquet, out: `${exportedParquet}.scores.jsonl`, dialect, continueOnError: true });
    expect(bare.scored).toBe(rows.length);
    expect(bare.malformed).toEqual(rows.map((_, k) => expect.stringContaining(`${exportedParquet}:${k + 1}: completion: expected completion`)));
    const rollouts = `${file}.rollouts.parquet`;
    writeFileSync(rollouts, new Uint8Array(rowsToParquet(rows.map((r, k) => ({ ...r, responses: [answerText(dialect, answerOf(r, k))] })))));
    const out = `${rollouts}.scores.jsonl`;
    const s = await scoreJob.run({ rollouts, out, dialect });
    expect(s).toMatchObject({ scored: rows.length, malformed: [] });
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; components: { em: number } });
    expect(lines.map((l) => [l.line, l.components.em])).toEqual(rows.map((_, k) => [k + 1, k % 2 === 0 ? 1 : 0]));
  });

  it("grpo jsonl with verl's n samples in responses: one score row per sample, in order, with its index", async () => {
    const { file, rows } = await exported('grpo', 'jsonl', dialect);
    const sampled = rows.map((r) => ({ ...r, responses: [0, 1, 2].map((k) => answerText(dialect, answerOf(r, k))) }));
    const rollouts = `${file}.samples.jsonl`;
    writeFileSync(rollouts, `${sampled.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const out = `${file}.samples.scores.jsonl`;
    const s = await scoreJob.run({ rollouts, out, dialect });
    expect(s).toMatchObject({ scored: rows.length * 3, malformed: [] });
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; sample: number; components: { em: number } });
    expect(lines.map((l) => [l.line, l.sample, l.components.em])).toEqual(rows.flatMap((_, k) => [0, 1, 2].map((j) => [k + 1, j, j === 1 ? 0 : 1])));
  });

  it("grpo jsonl: a response decoded with the prompt's chat turns is scored on the assistant turn only", async () => {
    const { file, rows } = await exported('grpo', 'jsonl', dialect);
    const decoded = rows.map((r, k) => {
      const prompt = (r.prompt as { role: string; content: string }[]).map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('');
      // the user turn carries a gold-looking answer; only the assistant's counts
      return {
        ...r,
        response: `${prompt}<|im_start|>user\n<answer>${goldOf(r)}</answer><|im_end|>\n<|im_start|>assistant\n${answerText(dialect, answerOf(r, k + 1))}`,
      };
    });
    const lines = await score(file, decoded, dialect);
    expect(lines.map((l) => l.components.em)).toEqual(rows.map((_, k) => (k % 2 === 0 ? 0 : 1)));
  });

  it('grpo trl: a completion column, text or conversational (TRL), beside the chat prompt and answers', async () => {
    const { file, rows } = await exported('grpo', 'trl', dialect);
    expect(Array.isArray(rows[0]!.prompt)).toBe(true);
    const withCompletion = rows.map((r, k) => {
      const text = answerText(dialect, answerOf(r, k));
      return { ...r, completion: k % 2 === 0 ? [{ role: 'assistant', content: text }] : text };
    });
    const lines = await score(file, withCompletion, dialect);
    expect(lines.map((l) => l.components.em)).toEqual(rows.map((_, k) => (k % 2 === 0 ? 1 : 0)));
    expect(lines.map((l) => l.id)).toEqual(rows.map((r) => r.id));
  });
});

it('a .parquet rollouts file that is not parquet: E_INPUT naming the file, no score file left', async () => {
  const rollouts = join(tmp, 'not.parquet');
  writeFileSync(rollouts, '{"completion": "<answer>x</answer>", "answer": "x"}\n');
  const out = join(tmp, 'not.scores.jsonl');
  await expect(scoreJob.run({ rollouts, out })).rejects.toMatchObject({
    code: 'E_INPUT',
    message: expect.stringMatching(/not\.parquet: expected a parquet file, got /),
  });
  expect(existsSync(out) || existsSync(`${out}.partial`)).toBe(false);
});
