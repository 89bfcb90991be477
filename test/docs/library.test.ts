import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../../scripts/docs.js';
import { seededStore } from '../validate/store-fixture.js';

/** The first ```ts block of README's "Use mtr as a library" section, exactly as written there. */
function librarySnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Use mtr as a library'));
  if (!section) throw new Error('README.md has no "## Use mtr as a library" section');
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('README.md "Use mtr as a library" has no ```ts block');
  return code;
}

describe('README: Use mtr as a library', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtr-library-'));
  // The snippet imports './src/…', so it runs from the repository root, as a reader's script beside a clone would.
  const file = join(ROOT, `.readme-snippet-${process.pid}.ts`);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(file, { force: true });
  });

  it('calls a job of src/pipeline/ from TypeScript', () => {
    expect(librarySnippet()).toMatch(/from '\.\/src\/pipeline\/[a-z-]+\.js'/);
  });

  it('runs as written on a real store and prints the summary', async () => {
    const { path } = await seededStore(dir);
    const code = librarySnippet();
    expect(code).toContain("'runs/hotpot.sqlite'");
    writeFileSync(file, code.replace("'runs/hotpot.sqlite'", JSON.stringify(path)));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await import(pathToFileURL(file).href);
      // the fixture: 7 traces, 4 pass (3 valid and a valid duplicate question), none malformed
      expect(log.mock.calls).toEqual([['4 of 7 traces pass every check; malformed 0%']]);
    } finally {
      log.mockRestore();
    }
  });
});
