import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rewardConfigOf } from '../../src/pipeline/reward-fields.js';
import { formatScoreSummary, scoreJob } from '../../src/pipeline/score.js';

const GOOD =
  '<think>s</think><tool_call>{"name":"search","arguments":{"q":"x"}}</tool_call><tool_response>Tulsa it is.</tool_response><think>ok</think><answer>Tulsa</answer>';

describe('score job (called as a library)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtr-score-job-'));
  const rollouts = join(dir, 'r.jsonl');
  writeFileSync(
    rollouts,
    [
      JSON.stringify({ id: 'a', completion: GOOD, answer: 'Tulsa' }),
      'not json',
      JSON.stringify({ id: 'c', completion: '<answer>wrong</answer>', answers: ['Tulsa'] }),
    ].join('\n'),
  );

  it('takes partial input (defaults from the config schema), returns the summary and reports malformed lines as notices', async () => {
    const out = join(dir, 's.jsonl');
    const notices: string[] = [];
    const s = await scoreJob.run({ rollouts, out, continueOnError: true, weights: 'em=1' }, { onNotice: (l) => notices.push(l) });
    expect(scoreJob.summary.parse(s)).toEqual(s);
    expect(s).toMatchObject({ rollouts, out, scored: 3, malformed: [`${rollouts}:2: expected a JSON object, got "not json"`] });
    expect(s.stats.reward!.mean).toBeCloseTo(1 / 3);
    expect(notices).toEqual([`scored 0: ${rollouts}:2: expected a JSON object, got "not json"`]);
    expect(
      readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).reward),
    ).toEqual([1, 0, 0]);
    expect(formatScoreSummary(s)).toMatch(/^scored 3 rollouts from .* \(1 malformed, scored 0\)\ncomponent\s+mean\s+p50\s+p90\nreward\s+0\.3333/);
  });

  it('stops at the first malformed line without continueOnError (E_INPUT naming file:line)', async () => {
    await expect(scoreJob.run({ rollouts, out: join(dir, 't.jsonl') })).rejects.toMatchObject({
      code: 'E_INPUT',
      message: `${rollouts}:2: expected a JSON object, got "not json"`,
    });
  });

  it('refuses a bad config value naming the flag', async () => {
    await expect(scoreJob.run({ rollouts, out: join(dir, 'u.jsonl'), dialect: 'xml' as never })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/^--dialect: /),
    });
  });
});

describe('reward config from the reward fields', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtr-reward-fields-'));

  it('reads a JSON config file, then --weights and --dialect on top', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ dialect: 'search-r1', weights: { em: 1 }, noAnswer: null }));
    expect(rewardConfigOf({ config: file })).toMatchObject({ dialect: 'search-r1', noAnswer: null, weights: { em: 1, f1: 0.2 } });
    expect(rewardConfigOf({ config: file, weights: 'f1=1', dialect: 'hermes' })).toMatchObject({ dialect: 'hermes', weights: { em: 0, f1: 1 } });
  });

  it('names the flag and keeps the cause of a bad file, config or weight spec', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ weights: { em: -1 } }));
    expect(() => rewardConfigOf({ config: join(dir, 'missing.json') })).toThrow(/^--config: expected a readable JSON file, got .*missing\.json \(ENOENT/);
    expect(() => rewardConfigOf({ config: bad })).toThrow(/^--config: .*bad\.json: weights\.em: /);
    try {
      rewardConfigOf({ weights: 'em=oops' });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'E_USAGE', message: '--weights: expected name=number, got "em=oops"', cause: { code: 'E_USAGE' } });
    }
  });
});
