import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_DIR, renderDocs, staleDocs, walkCommands } from '../../scripts/docs.js';
import type { Command } from '../../src/cli/command.js';
import { renderHelp } from '../../src/cli/help.js';

describe('docs/cli (generated from the commands)', () => {
  it('matches what the commands give now (run `npm run docs` when this fails)', async () => {
    const stale = await staleDocs();
    expect(stale, `docs/cli is out of date: ${stale.join(', ')} — run \`npm run docs\``).toEqual([]);
  });

  it('has one page per command and subcommand, each listing every flag --help lists', async () => {
    const pages = await renderDocs();
    for (const entry of await walkCommands()) {
      const page = pages.get(`${entry.path.join('-')}.md`);
      expect(page, entry.path.join(' ')).toBeDefined();
      if ('subcommands' in entry.command) continue;
      const help = renderHelp(entry.command as Command);
      const helpFlags = [...help.matchAll(/^ {2}(--[a-z0-9-]+)/gm)].map((m) => m[1]!).filter((f) => f !== '--help');
      const pageFlags = [...page!.matchAll(/^\| `(--[a-z0-9-]+)/gm)].map((m) => m[1]!);
      expect(pageFlags).toEqual(helpFlags);
    }
  });

  it('puts each hand-written notes file into its command page', async () => {
    const pages = await renderDocs();
    const validate = readFileSync(join(CLI_DIR, 'notes', 'validate.md'), 'utf8').trim();
    expect(pages.get('validate.md')).toContain(validate);
  });
});
