import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.js';

/**
 * bin/mtr.js runs the compiled dist/ only while it is newer than every source, tsx otherwise (issue 17's
 * start-up). Checked on a copy of the checkout built by scripts/build.mjs, whose compiled CLI is marked so the
 * output says which one ran.
 */
const copy = mkdtempSync(join(tmpdir(), 'mtr-bin-'));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

const MARK = 'ran-from-dist';
const run = (env: Record<string, string> = {}) =>
  execFileSync(process.execPath, [join(copy, 'bin/mtr.js'), '--help'], { cwd: copy, env: { ...process.env, MTR_NO_DIST: '', ...env }, encoding: 'utf8' });

describe('bin/mtr.js: dist/ while fresh, tsx otherwise', () => {
  it('uses the build, falls back when a source is newer, when forced, and when the build left no stamp', { timeout: 60_000 }, () => {
    const files = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim().split('\n');
    for (const f of files) if (existsSync(join(REPO_ROOT, f))) cpSync(join(REPO_ROOT, f), join(copy, f), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'));
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: copy, encoding: 'utf8' });
    appendFileSync(join(copy, 'dist/src/cli/index.js'), `\nconsole.log(${JSON.stringify(MARK)});\n`);

    const fresh = run();
    expect(fresh).toContain(MARK);
    expect(fresh).toMatch(/^\s+generate\b/m);
    const viaTsx = run({ MTR_NO_DIST: '1' });
    expect(viaTsx).not.toContain(MARK);
    expect(viaTsx).toBe(fresh.replace(`${MARK}\n`, '')); // the same CLI

    // an edited source: newer than the build's stamp
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(copy, 'src/reward/index.ts'), later, later);
    expect(run()).not.toContain(MARK);
    utimesSync(join(copy, 'src/reward/index.ts'), new Date(0), new Date(0));
    expect(run()).toContain(MARK);

    // a build cut short writes no stamp
    rmSync(join(copy, 'dist/.built'));
    expect(run()).not.toContain(MARK);
  });
});
