import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { seededStore } from '../validate/store-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-status-cli-'));
let seeded: Awaited<ReturnType<typeof seededStore>>;
beforeAll(async () => {
  seeded = await seededStore(tmp);
});

describe('mtr status', () => {
  it('prints the totals as aligned rows, and --json the same numbers; --run takes the name or the id', async () => {
    const text = await runCli(['status', '--db', seeded.path, '--run', 'bamboogle-test']);
    expect([text.code, text.stderr]).toEqual([0, '']);
    expect(text.stdout.split('\n').slice(0, 6)).toEqual([
      'runs             1',
      'items            7 (1 pending)',
      'traces finished  6 (6 answered, 0 stopped at max turns)',
      'traces failed    1',
      '  E_MODEL_UNREACHABLE 1 items, 1 attempts (failed traces)',
      'retried          0 items finished after failed attempts',
    ]);
    const json = await runCli(['status', '--db', seeded.path, '--run', '1', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      runs: 1,
      items_total: 7,
      traces_finished: 6,
      traces_failed: 1,
      failures_by_code: { E_MODEL_UNREACHABLE: { items: 1, attempts: 1 } },
    });
  });

  it('an unknown run is a usage error listing the runs by name and id', async () => {
    const r = await runCli(['status', '--db', seeded.path, '--run', 'bamboogle']);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toBe(
      'mtr status: --run: expected one of the runs in the store by name or id (bamboogle-test (id 1)), got "bamboogle" (see mtr status --help)\n',
    );
  });
});
