import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { SHARED_DATASETS } from '../support/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-data-cli-'));

describe('mtr data inspect', () => {
  it('prints the counts as aligned rows, then three items as mtr uses them (MuSiQue: aliases, passages, hops)', async () => {
    const file = join(SHARED_DATASETS, 'musique/musique_train_100_with_paragraphs.json');
    const r = await runCli(['data', 'inspect', file]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 9)).toEqual([
      `file                ${file}`,
      'dataset             musique',
      'layout              musique',
      'items               100',
      'with aliases        26',
      'with context        100',
      'with supporting     100',
      'with decomposition  100',
      'problems            0',
    ]);
    expect(lines.slice(10, 17)).toEqual([
      'item 2hop__150763_14904',
      '  question  Who was the first president of the association which published Journal of Psychotherapy Integration?',
      '  answers   "G. Stanley Hall", "Stanley Hall"',
      '  context   20 passages, 2 supporting (first: Journal of Mathematical Physics)',
      '  hop 1     What company published Journal of Psychotherapy Integration? → "American Psychological Association"',
      '  hop 2     Who was the first president of #1 ? → "G. Stanley Hall"',
      '',
    ]);
    expect(lines.filter((l) => l.startsWith('item '))).toHaveLength(3);
  });

  it('--json is one object with the layout, counts, samples and problems; a bad line is listed by line and the exit code is 0', async () => {
    const file = join(tmp, 'one-bad.jsonl');
    writeFileSync(file, '{"question":"Who?","answer":"Ann"}\n{"question":"What?",\n{"question":"Where?","answer":"Paris"}\n');
    const r = await runCli(['data', 'inspect', file, '--json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ layout: 'qa', items: 2, with_aliases: 0, with_context: 0, with_decomposition: 0 });
    expect(s.samples.map((i: { id: string }) => i.id)).toEqual(['line-1', 'line-3']);
    expect(s.problems).toEqual([{ where: `${file}:2`, reason: expect.stringMatching(/:2: invalid JSON/) }]);

    const text = await runCli(['data', 'inspect', file]);
    expect(text.stdout).toContain('problems            1\n');
    expect(text.stdout.endsWith(`\nproblems\n  ${s.problems[0].reason}\n`)).toBe(true);
  });

  it('a file in no known layout exits 1 with one line naming the fields seen', async () => {
    const file = join(tmp, 'rollouts.jsonl');
    writeFileSync(file, '{"prompt":"x","completion":"y"}\n');
    const r = await runCli(['data', 'inspect', file]);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(/^mtr data inspect: .*rollouts\.jsonl:1: unknown layout: saw fields \{prompt, completion\}; known layouts: [^\n]*\n$/);
  });

  it('without a file it is a usage error', async () => {
    const r = await runCli(['data', 'inspect']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mtr data inspect: --dataset/);
  });
});
