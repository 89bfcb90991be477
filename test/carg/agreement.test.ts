import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importTools } from '../../src/carg/repository.js';
import { memoryCarg } from './helpers.js';
import { loadToolsetFile } from '../../src/tools/toolset.js';
import { SHARED_DATASETS } from '../support/paths.js';

const TOOLS = join(SHARED_DATASETS, 'tools');
const FILES = readdirSync(TOOLS, { recursive: true, withFileTypes: true })
  .filter((d) => d.isFile())
  .map((d) => join(d.parentPath, d.name))
  .sort();

/** `serve tools` and `carg tools import` read every shared tool file through one reader and one check. */
describe('one loader: serve tools and carg tools import agree on every shared tool file', () => {
  it('the shared folder holds the five files this was measured on', async () => {
    expect(FILES.map((f) => relative(TOOLS, f))).toEqual([
      'seal-tools/dev.jsonl',
      'seal-tools/field.jsonl',
      'seal-tools/tool.jsonl',
      'toolalpaca/eval_simulated.json',
      'tooleyes_tool_library.json',
    ]);
  });

  it.each(FILES.map((f) => [relative(TOOLS, f), f]))(
    '%s: same servable tools, same refusals, same templates; importing it again changes nothing',
    async (_name, file) => {
      const db = await memoryCarg();
      const imported = await importTools(db, [file]);
      let served: ReturnType<typeof loadToolsetFile>;
      try {
        served = loadToolsetFile(file);
      } catch (e) {
        // a file that is no tool file is refused by both, with the same message
        expect(imported.failed).toEqual([{ file, error: (e as Error).message }]);
        expect(await db.listTools()).toEqual([]);
        return;
      }
      const rows = await db.listTools();
      const usable = rows.filter((r) => r.status !== 'rejected');
      expect(served.tools.map((t) => t.api_name).sort()).toEqual([...new Set(usable.map((r) => r.name))].sort());
      // the accepted tools are served exactly as carg stores them
      const byName = new Map(served.tools.map((t) => [t.api_name, t]));
      for (const r of rows.filter((x) => x.status === 'accepted')) expect(byName.get(r.name)).toEqual(r.template);
      // a refused tool has the same reasons at the same place in both
      const refused = served.skipped.filter((s) => !s.reasons[0]!.includes('is already taken by a different tool'));
      expect(refused.map((s) => [s.where, s.reasons])).toEqual(
        rows.filter((r) => r.status === 'rejected').map((r) => [r.source, r.reasons.filter((x) => !/missing in the source file/.test(x))]),
      );

      const again = await importTools(db, [file]);
      expect(again).toMatchObject({ unchanged: imported.files[0]!.tools, imported: 0, incomplete: 0, rejected: 0, duplicates: 0, failed: imported.failed });
      expect(await db.listTools()).toEqual(rows);
    },
    60_000,
  );

  it('a file of broken tools: the same refusals with the same file#pointer: field messages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtr-agree-'));
    const file = join(dir, 'broken.json');
    const fn = (name: unknown, a: Record<string, unknown>, required: string[] = []) => ({
      type: 'function',
      function: { name, description: 'd', parameters: { type: 'object', properties: { a }, required } },
    });
    writeFileSync(
      file,
      JSON.stringify([
        fn('typo', { type: 'strng' }),
        fn('req', { type: 'string' }, ['b']),
        42,
        fn(undefined, { type: 'string' }),
        fn('look', { type: 'string', pattern: '(?=x)' }),
        fn('neg', { type: 'string', maxLength: -2 }),
        fn('ok', { type: 'str' }),
        fn('ok', { type: 'int' }),
      ]),
    );
    const served = loadToolsetFile(file);
    const db = await memoryCarg();
    await importTools(db, [file]);
    const rejected = (await db.listTools(['rejected'])).map((r) => [r.source, r.reasons.filter((x) => !/missing in the source file/.test(x))]);
    expect(served.skipped.slice(0, -1).map((s) => [s.where, s.reasons])).toEqual(rejected);
    expect(rejected.map(([where, reasons]) => `${String(where).slice(file.length)}: ${(reasons as string[])[0]}`)).toEqual([
      '#/0: parameters.a.type: unknown type "strng"',
      '#/1: required: "b" is not a parameter (parameters: a)',
      '#/2: tool: expected a tool object, got 42',
      '#/3: api_name: Invalid input: expected string, received undefined',
      expect.stringMatching(
        /^#\/4: parameters: invalid JSON Schema: \/properties\/a: pattern "\(\?=x\)": expected a regular expression a linear-time engine \(RE2\) accepts/,
      ),
      '#/5: parameters: invalid JSON Schema: /properties/a/maxLength: must be >= 0',
    ]);
    expect(served.tools.map((t) => [t.api_name, t.parameters.a?.type])).toEqual([['ok', 'string']]);
    expect(served.skipped.at(-1)?.reasons[0]).toMatch(/^api_name: "ok" is already taken by a different tool at .*broken\.json#\/6$/);
    expect((await db.listTools(['duplicate'])).map((r) => [r.name, r.source.slice(file.length)])).toEqual([['ok', '#/7']]);
  });

  it('all files in one import, twice: the second import changes nothing (no tool moves from duplicate to accepted)', async () => {
    const db = await memoryCarg();
    const first = await importTools(db, FILES);
    const rows = await db.listTools();
    expect(first).toMatchObject({ imported: 4010, incomplete: 465, rejected: 0, failed: [{ file: FILES[0] }, { file: FILES[1] }] });
    const again = await importTools(db, [...FILES].reverse());
    expect(again).toMatchObject({ unchanged: rows.length, imported: 0, incomplete: 0, rejected: 0, duplicates: 0 });
    expect(await db.listTools()).toEqual(rows);
  }, 120_000);
});
