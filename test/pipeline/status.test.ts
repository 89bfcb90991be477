import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { statusJob } from '../../src/pipeline/status.js';
import { seededStore } from '../validate/store-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-status-job-'));
let seeded: Awaited<ReturnType<typeof seededStore>>;
beforeAll(async () => {
  seeded = await seededStore(tmp);
});

describe('statusJob', () => {
  it('totals of one run by name or id, or of every run; an unknown run is an error, not zeros', async () => {
    const all = await statusJob.run({ db: seeded.path });
    expect(await statusJob.run({ db: seeded.path, run: 'bamboogle-test' })).toEqual(all);
    expect(await statusJob.run({ db: seeded.path, run: '1' })).toEqual(all);
    expect(all).toMatchObject({ runs: 1, items_total: 7, traces_finished: 6, traces_failed: 1 });
    await expect(statusJob.run({ db: seeded.path, run: 'other' })).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
