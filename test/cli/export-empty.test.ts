import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../support/cli.js';
import { perItemStore } from '../export/stores.js';
import { seededStore } from '../validate/store-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-export-empty-'));
let seeded: Awaited<ReturnType<typeof seededStore>>;
beforeAll(async () => {
  seeded = await seededStore(tmp);
});

describe('an empty or near-empty result says why', () => {
  it('export keeping 0 traces: E_EMPTY naming each check with its count and the flag that relaxes it; --out keeps the earlier export', async () => {
    const out = join(tmp, 'sft');
    const args = ['export', '--db', seeded.path, '--out', out, '--stage', 'sft', '--format', 'jsonl'];
    expect((await runCli(args)).code).toBe(0);
    const before = readFileSync(join(out, 'manifest.json'), 'utf8');
    const r = await runCli([...args, '--max-turns', '1', '--f1-threshold', '1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      `mtr export: nothing to export (E_EMPTY): 0 of 7 traces kept, ${out} left as it was; removed by: ` +
        'too_many_turns 6 (4 for this alone; raise --max-turns (now 1)), ' +
        'failed 1 (traces failed in generation; resume the same mtr generate (transient failures are retried up to --max-item-attempts; --retry-failed retries every one)), ' +
        'slot_disagreement 1 (0 for this alone; lower --slot-overlap (now 0.5) or raise --slot-min-tokens (now 2)), ' +
        'wrong_answer 1 (0 for this alone; lower --f1-threshold (now 1))',
    ]);
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(before);
    expect(readdirSync(tmp).filter((f) => f.startsWith('.sft.'))).toEqual([]);
  });

  it('grpo keeping 0 items names --unsolved-by; keeping under a tenth warns with the same causes and exits 0', async () => {
    const scores = join(tmp, 'all-solved.jsonl');
    writeFileSync(scores, seeded.items.map((i) => JSON.stringify({ id: i.id, components: { em: 1 } })).join('\n'));
    const r = await runCli(['export', '--db', seeded.path, '--out', join(tmp, 'grpo'), '--stage', 'grpo', '--format', 'trl', '--unsolved-by', scores]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `nothing to export (E_EMPTY): 0 of 7 items kept, ${join(tmp, 'grpo')} left as it was; removed by: solved 7 (items a rollout in ${scores} solved; leave out --unsolved-by or use another score file)`,
    );
    expect(readdirSync(tmp)).not.toContain('grpo');

    const per = await perItemStore(join(tmp, 'per'), { count: 12 });
    writeFileSync(
      scores,
      per.items
        .slice(1)
        .map((i) => JSON.stringify({ id: i.id, components: { em: 1 } }))
        .join('\n'),
    );
    const few = await runCli([
      'export',
      '--db',
      per.path,
      '--out',
      join(tmp, 'few'),
      '--stage',
      'grpo',
      '--format',
      'trl',
      '--unsolved-by',
      scores,
      '--val-ratio',
      '0',
    ]);
    expect(few.code, few.stderr).toBe(0);
    expect(few.stderr).toBe(
      `mtr export: kept only 1 of 12 items; removed by: solved 11 (items a rollout in ${scores} solved; leave out --unsolved-by or use another score file)\n`,
    );
    expect(JSON.parse(readFileSync(join(tmp, 'few', 'manifest.json'), 'utf8')).removed).toEqual([
      { what: 'solved', count: 11, hint: `items a rollout in ${scores} solved; leave out --unsolved-by or use another score file` },
    ]);
  });

  it('a run with no traces yet: export and validate say to run generate first', async () => {
    const path = join(tmp, 'fresh.sqlite');
    const store = await openStore(path, { create: true });
    await store.items.add(await store.runs.upsert('fresh', 'bamboogle', {}), seeded.items.slice(0, 2));
    await store.close();
    const r = await runCli(['export', '--db', path, '--out', join(tmp, 'fresh-out'), '--stage', 'sft', '--format', 'trl']);
    expect([r.code, r.stderr]).toEqual([
      1,
      `mtr export: nothing to export (E_EMPTY): 0 of 0 traces kept, ${join(tmp, 'fresh-out')} left as it was; runs 1 hold no traces; run mtr generate first\n`,
    ]);
    const v = await runCli(['validate', '--db', path]);
    expect([v.code, v.stderr]).toEqual([
      1,
      'mtr validate: nothing validated (E_EMPTY): runs 1 hold no finished or failed traces; run or resume mtr generate first\n',
    ]);
  });

  it('validate where no trace passes: the report, then E_EMPTY with the top causes and their flags', async () => {
    const r = await runCli(['validate', '--db', seeded.path, '--max-turns', '1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/passed every check\s+0\s+0\.00%/);
    expect(r.stderr).toBe(
      // the failed trace fails the answer and turn checks too (it stopped after 2 steps, no answer)
      'mtr validate: no trace passed every check (E_EMPTY): 0 of 7; failing: too_many_turns 7 (4 for this alone; raise --max-turns (now 1)), ' +
        'wrong_answer 2 (0 for this alone; lower --f1-threshold (now 0.8)), missing_answer 1 (0 for this alone; no flag relaxes it), ' +
        'not_finished 1 (0 for this alone; resume the same mtr generate), slot_disagreement 1 (0 for this alone; lower --slot-overlap (now 0.5) or raise --slot-min-tokens (now 2))\n',
    );
  });
});
