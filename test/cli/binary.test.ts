import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../support/cli.js';
import { seededStore } from '../validate/store-fixture.js';

/**
 * Most CLI tests call main(argv, io) in-process (runCli); these run bin/mtr.js as a user would, and check the
 * two agree to the byte: exit code, stdout and stderr.
 */
const tmp = mkdtempSync(join(tmpdir(), 'mtr-binary-'));
let seeded: Awaited<ReturnType<typeof seededStore>>;
beforeAll(async () => {
  seeded = await seededStore(tmp);
});

describe('bin/mtr.js', () => {
  it('--help, a real command and a usage error: the binary prints and exits as main() in-process does', async () => {
    const cases = [['--help'], ['status', '--db', seeded.path, '--json'], ['status', '--db', seeded.path, '--run', 'nope']];
    const binary = await Promise.all(cases.map((args) => spawnCli(args).done));
    const inProcess = [];
    for (const args of cases) inProcess.push(await runCli(args));
    expect(binary[0]).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(binary[0]!.stdout).toMatch(/^Commands:$/m);
    expect(binary[1]).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(binary[1]!.stdout)).toMatchObject({ runs: 1, items_total: 7, traces_finished: 6, traces_failed: 1 });
    expect(binary[2]).toMatchObject({ code: 2, stdout: '' });
    expect(binary[2]!.stderr).toMatch(/^mtr status: --run: .*got "nope" \(see mtr status --help\)\n$/);
    expect(inProcess).toEqual(binary);
  });

  it('in-process calls that overlap keep their output apart', async () => {
    const [json, text, bad] = await Promise.all([
      runCli(['status', '--db', seeded.path, '--json']),
      runCli(['status', '--db', seeded.path]),
      runCli(['status', '--db', join(tmp, 'absent.sqlite')]),
    ]);
    expect(JSON.parse(json.stdout)).toMatchObject({ items_total: 7 });
    expect(text.stdout).toMatch(/^runs {13}1\n/);
    expect([json.stderr, text.stderr, bad.stdout]).toEqual(['', '', '']);
    expect(bad).toMatchObject({ code: 1, signal: null });
    expect(bad.stderr).toMatch(/absent\.sqlite: no such store/);
  });
});
