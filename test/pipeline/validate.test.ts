import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportJob } from '../../src/pipeline/export.js';
import { resolveRuns } from '../../src/pipeline/runs.js';
import { CheckFields, validateEmptyError, validateJob } from '../../src/pipeline/validate.js';
import { openStore } from '../../src/store/index.js';
import { CheckConfigSchema, checkConfigHash } from '../../src/validate/index.js';
import { seededStore } from '../validate/store-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-validate-job-'));
let seeded: Awaited<ReturnType<typeof seededStore>>;
beforeAll(async () => {
  seeded = await seededStore(tmp);
});

describe('the check settings, declared once', () => {
  it('keep the config hash of the verdicts already stored (defaults and a strict config)', () => {
    // pinned when the task_tool check came (issue 16: verdicts stored before it lack that check, so they must not be
    // reused); any other change would orphan every stored verdict
    expect(checkConfigHash(CheckConfigSchema.parse({}))).toBe('6a63c52c74ede25d');
    expect(checkConfigHash(CheckConfigSchema.parse({ f1Threshold: 1, maxTurns: 1 }))).toBe('bb4e79bec0afcd90');
  });

  it('are the same fields in validate and export, so the same flags give the same hash and export reuses the verdicts', async () => {
    for (const key of Object.keys(CheckFields)) {
      expect(validateJob.config.shape[key as keyof typeof CheckFields], key).toBe(CheckFields[key as keyof typeof CheckFields]);
      expect(exportJob.config.shape[key as keyof typeof CheckFields], key).toBe(CheckFields[key as keyof typeof CheckFields]);
    }
    const v = await validateJob.run({ db: seeded.path, f1Threshold: 1 });
    expect(v.config_hash).toBe(checkConfigHash(CheckConfigSchema.parse({ f1Threshold: 1 })));
    expect(v.checked).toBe(7);
    const out = join(tmp, 'sft');
    const e = await exportJob.run({ db: seeded.path, out, stage: 'sft', format: 'jsonl', f1Threshold: 1, valRatio: 0 });
    expect(e.counts).toMatchObject({ traces: 7, kept: 4 });
    const again = await validateJob.run({ db: seeded.path, f1Threshold: 1 });
    expect(again).toMatchObject({ checked: 0, config_hash: v.config_hash }); // export checked nothing new either
  });
});

describe('validateJob as a library call', () => {
  it('partial input gets the defaults; --run by name or id; the summary parses with its own schema', async () => {
    const byName = await validateJob.run({ db: seeded.path, run: 'bamboogle-test' });
    const byId = await validateJob.run({ db: seeded.path, run: '1' });
    expect(byName.runs).toEqual([1]);
    expect(byId.report).toEqual(byName.report);
    expect(byName.config).toEqual(CheckConfigSchema.parse({}));
    expect(validateJob.summary.parse(byName)).toEqual(byName);
    expect(byName.report).toMatchObject({ traces: 7, passed: { count: 4 } });
    expect(validateEmptyError(byName)).toBeUndefined();
    expect(byName.failing.map((c) => c.what).sort()).toEqual(['missing_answer', 'not_finished', 'slot_disagreement', 'wrong_answer']);
  });

  it('names the flag of a bad value, an unknown run, and a store that does not exist', async () => {
    await expect(validateJob.run({ db: seeded.path, f1Threshold: 2 })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/^--f1-threshold: /),
    });
    await expect(validateJob.run({ db: seeded.path, run: 'nope' })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: '--run: expected one of the runs in the store by name or id (bamboogle-test (id 1)), got "nope"',
    });
    await expect(validateJob.run({ db: join(tmp, 'none.sqlite') })).rejects.toMatchObject({ code: 'E_STORE' });
  });

  it('no trace passing, or none to check, is an E_EMPTY the caller decides on (the report is returned first)', async () => {
    const none = await validateJob.run({ db: seeded.path, maxTurns: 1 });
    expect(none.report.passed.count).toBe(0);
    expect(validateEmptyError(none)?.message).toMatch(
      /^no trace passed every check \(E_EMPTY\): 0 of 7; failing: too_many_turns 7 \(4 for this alone; raise --max-turns \(now 1\)\)/,
    );
    const path = join(tmp, 'fresh.sqlite');
    const store = await openStore(path, { create: true });
    await store.items.add(await store.runs.upsert('fresh', 'bamboogle', {}), seeded.items.slice(0, 1));
    await store.close();
    const empty = await validateJob.run({ db: path });
    expect(validateEmptyError(empty)).toMatchObject({ code: 'E_EMPTY', message: expect.stringContaining('runs 1 hold no finished or failed traces') });
  });
});

describe('resolveRuns: the one --run resolver', () => {
  const runs = [
    { id: 1, key: 'hotpot-qwen' },
    { id: 2, key: '7' },
    { id: 7, key: 'bamboogle' },
  ];
  it('absent → every run; a name → its run; a number → the run with that id, which wins over a run named by that number', () => {
    expect(resolveRuns(runs, undefined)).toEqual([1, 2, 7]);
    expect(resolveRuns(runs, 'bamboogle')).toEqual([7]);
    expect(resolveRuns(runs, '1')).toEqual([1]);
    expect(resolveRuns(runs, 2)).toEqual([2]);
    expect(resolveRuns(runs, '7')).toEqual([7]);
  });
  it('anything else lists the runs by name and id', () => {
    expect(() => resolveRuns(runs, 'hotpot')).toThrow(
      '--run: expected one of the runs in the store by name or id (hotpot-qwen (id 1), 7 (id 2), bamboogle (id 7)), got "hotpot"',
    );
    expect(() => resolveRuns([], '1')).toThrow('(none), got "1"');
    // under the option that named it (serve tools --from-run DB:RUN)
    expect(() => resolveRuns(runs, 'x', '--from-run')).toThrow(/^--from-run: expected one of the runs in the store by name or id/);
  });
});
