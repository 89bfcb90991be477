import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportJob } from '../../src/pipeline/export.js';
import { perItemStore } from '../export/stores.js';
import { seededStore } from '../validate/store-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-export-job-'));
let seeded: Awaited<ReturnType<typeof seededStore>>;
beforeAll(async () => {
  seeded = await seededStore(tmp);
});

describe('exportJob as a library call', () => {
  it('partial input gets the defaults; the summary is what the manifest says; --run by name', async () => {
    const out = join(tmp, 'trl');
    const s = await exportJob.run({ db: seeded.path, out, stage: 'sft', format: 'trl', run: 'bamboogle-test' });
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(exportJob.summary.parse(s)).toEqual(s);
    expect(s).toMatchObject({ stage: 'sft', format: 'trl', dialect: 'hermes', out, train: manifest.counts.train, validation: manifest.counts.validation });
    expect(s.counts).toEqual(manifest.counts);
    expect(s.files).toEqual(manifest.files);
    expect(manifest.split).toMatchObject({ seed: 0, val_ratio: 0.05 }); // the defaults, written once in the config
    expect(manifest.source.runs).toEqual([{ id: 1, key: 'bamboogle-test', dataset: 'bamboogle' }]);
  });

  it('refuses a format of the other stage and a bad --val-ratio by flag name, before touching --out', async () => {
    const out = join(tmp, 'never');
    await expect(exportJob.run({ db: seeded.path, out, stage: 'sft', format: 'verl' })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/^--format: expected one of trl\|openai\|sharegpt\|jsonl for --stage sft, got "verl"/),
    });
    await expect(exportJob.run({ db: seeded.path, out, stage: 'sft', format: 'trl', valRatio: 1 })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: '--val-ratio: expected a number in [0, 1), got 1',
    });
    await expect(exportJob.run({ db: seeded.path, out, stage: 'sft', format: 'trl', run: '5' })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/^--run: /),
    });
  });

  it('a near-empty export is a notice through the hooks, not a write to stderr', async () => {
    const per = await perItemStore(join(tmp, 'per'), { count: 12 });
    const scores = join(tmp, 'solved.jsonl');
    writeFileSync(
      scores,
      per.items
        .slice(1)
        .map((i) => JSON.stringify({ id: i.id, components: { em: 1 } }))
        .join('\n'),
    );
    const notices: string[] = [];
    const s = await exportJob.run(
      { db: per.path, out: join(tmp, 'few'), stage: 'grpo', format: 'trl', unsolvedBy: scores, valRatio: 0 },
      { onNotice: (l) => notices.push(l) },
    );
    expect(s.train).toBe(1);
    expect(notices).toEqual([
      `kept only 1 of 12 items; removed by: solved 11 (items a rollout in ${scores} solved; leave out --unsolved-by or use another score file)`,
    ]);
  });
});
