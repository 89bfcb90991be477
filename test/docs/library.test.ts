import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ROOT, walkCommands } from '../../scripts/docs.js';
import { generateJob } from '../../src/pipeline/generate.js';
import { seededStore } from '../validate/store-fixture.js';

/** README's "Use mtr as a library" section. */
function librarySection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return readme.split(/^## /m).find((s) => s.startsWith('Use mtr as a library')) ?? '';
}

/** The ```ts blocks of README's "Use mtr as a library" section, exactly as written there. */
function librarySnippets(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Use mtr as a library'));
  if (!section) throw new Error('README.md has no "## Use mtr as a library" section');
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}
const librarySnippet = (): string => librarySnippets()[0] ?? '';

describe('README: Use mtr as a library', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtr-library-'));
  const written: string[] = [];
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    for (const f of written) rmSync(f, { force: true });
  });

  /**
   * Runs a README snippet as written, with its store path pointed at `store`, and returns what it logged. The snippet
   * imports './src/…', so it runs from the repository root, as a reader's script beside a clone would.
   */
  async function runSnippet(code: string, store: string): Promise<unknown[][]> {
    expect(code).toContain("'runs/hotpot.sqlite'");
    const file = join(ROOT, `.readme-snippet-${process.pid}-${written.length}.ts`);
    written.push(file);
    writeFileSync(file, code.replace("'runs/hotpot.sqlite'", JSON.stringify(store)));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await import(pathToFileURL(file).href);
      return log.mock.calls;
    } finally {
      log.mockRestore();
    }
  }

  it('calls a job of src/pipeline/ from TypeScript', () => {
    expect(librarySnippet()).toMatch(/from '\.\/src\/pipeline\/[a-z-]+\.js'/);
  });

  it('runs the job example as written on a real store and prints the summary', async () => {
    const { path } = await seededStore(mkdtempSync(join(dir, 'job-')));
    // the fixture: 7 traces, 4 pass (3 valid and a valid duplicate question), none malformed
    expect(await runSnippet(librarySnippet(), path)).toEqual([['4 of 7 traces pass every check; malformed 0%']]);
  });

  it('runs the store example as written on a real store', async () => {
    const code = librarySnippets().find((c) => c.includes("from './src/store/index.js'"));
    expect(code).toBeDefined();
    const { path } = await seededStore(mkdtempSync(join(dir, 'store-')));
    // the fixture: one run, 6 finished traces and 1 failed
    expect(await runSnippet(code!, path)).toEqual([['bamboogle-test: 6 finished, 1 failed']]);
  });

  it('shows generate with fields of its config and keys of its summary (the example needs a model server, so it is checked, not run)', () => {
    const code = librarySnippets().find((c) => c.includes("from './src/pipeline/generate.js'"));
    expect(code).toBeDefined();
    const input = /generateJob\.run\(\s*\{([^}]*)\}/.exec(code!)?.[1] ?? '';
    const fields = [...input.replace(/'[^']*'/g, "''").matchAll(/(\w+):/g)].map((m) => m[1]!);
    expect(fields.length).toBeGreaterThan(0);
    for (const f of fields) expect(Object.keys(generateJob.config.shape), f).toContain(f);
    const printed = [...code!.matchAll(/summary\.(\w+)/g)].map((m) => m[1]!);
    expect(printed.length).toBeGreaterThan(0);
    for (const k of printed) expect(Object.keys(generateJob.summary.shape), k).toContain(k);
    // the progress fields the example reads
    for (const k of [...code!.matchAll(/\bp\.(\w+)/g)].map((m) => m[1]!)) expect(['total', 'done', 'failed', 'tokens', 'calls', 'download']).toContain(k);
  });

  it('names a job for every command, each exported by its module with a config, a summary and run', async () => {
    const rows = [...librarySection().matchAll(/^\| `mtr ([a-z -]+)` \| `(\w+)` \| `(src\/pipeline\/[\w/-]+\.ts)` \|$/gm)].map((m) => ({
      command: m[1]!,
      job: m[2]!,
      file: m[3]!,
    }));
    const leaves = (await walkCommands()).filter((e) => !('subcommands' in e.command)).map((e) => e.path.join(' '));
    expect(rows.map((r) => r.command).sort()).toEqual([...leaves].sort());
    for (const row of rows) {
      const mod = (await import(pathToFileURL(join(ROOT, row.file)).href)) as Record<string, { run?: unknown; config?: unknown; summary?: unknown }>;
      const job = mod[row.job];
      expect(job, `${row.file} exports ${row.job}`).toBeDefined();
      expect(typeof job!.run, row.job).toBe('function');
      expect(job!.config, row.job).toBeDefined();
      expect(job!.summary, row.job).toBeDefined();
    }
  });
});
