import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listCargTools } from '../../src/store/carg.js';
import { openDb } from '../../src/store/db.js';
import { runCli } from '../support/cli.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { sealTools } from '../support/seal-tools.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('import-cli');

describe('mtr carg tools import (the real binary): bad files', () => {
  it('a refused import (no readable tool file) writes nothing: no --db file is created', async () => {
    const db = join(tmp.dir, 'refused.sqlite');
    const r = await runCli(['carg', 'tools', 'import', tmp.write('x.json', { hello: 1 }), join(tmp.dir, 'absent.json'), '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /tools import: expected a readable tool file, got none \(nothing written\):\n {2}.*x\.json: expected a tool file .*got no named tool in it.*\n {2}.*absent\.json: cannot read tool file: ENOENT/,
    );
    expect(existsSync(db)).toBe(false);
    const noFiles = await runCli(['carg', 'tools', 'import', '--db', db]);
    expect(noFiles.code).toBe(2);
    expect(existsSync(db)).toBe(false);
  }, 30_000);

  it('one bad file among good ones: the good ones are imported, the bad one is named with why, exit 1 at the end; a second run changes nothing', async () => {
    const db = join(tmp.dir, 'mixed.sqlite');
    const good = tmp.write('good.jsonl', `${JSON.stringify(sealTools()[0])}\n`); // one tool on one line
    const bad = tmp.write('bad.jsonl', '{"api_name": "a"}\n{oops\n');
    const alpaca = join(SHARED_DATASETS, 'tools/toolalpaca/eval_simulated.json');
    const args = ['carg', 'tools', 'import', good, bad, alpaca, '--db', db, '--json'];
    const r = await runCli(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /tools import: 1 of 3 tool files not imported \(the tools of the others were\):\n {2}.*bad\.jsonl:2: expected JSON, got invalid JSON/,
    );
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      imported: 50,
      incomplete: 5,
      unchanged: 0,
      failed: [{ file: bad }],
      files: [
        { file: good, tools: 1 },
        { file: alpaca, tools: 54 },
      ],
    });
    const store = openDb(db);
    const rows = listCargTools(store);
    store.close();
    expect(rows).toHaveLength(55);

    const again = await runCli(args.filter((a) => a !== bad));
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ imported: 0, incomplete: 0, duplicates: 0, rejected: 0, unchanged: 55, failed: [] });
    const after = openDb(db);
    expect(listCargTools(after)).toEqual(rows);
    after.close();
  }, 60_000);
});
