import { expect } from 'vitest';
import { importTools } from '../../src/carg/repository.js';
import { loadToolsetFile } from '../../src/tools/toolset.js';
import { memoryCarg } from '../carg/helpers.js';

/** `carg tools import` and `serve tools --toolset` read the file to the same tool set, none rejected. */
export async function bothAgree(file: string) {
  const db = await memoryCarg();
  const imported = await importTools(db, [file]);
  const served = loadToolsetFile(file);
  const rows = await db.listTools();
  expect(imported.rejected).toBe(0);
  expect(served.skipped).toEqual([]);
  expect(served.tools.map((t) => t.api_name).sort()).toEqual(rows.map((r) => r.name).sort());
  const byName = new Map(served.tools.map((t) => [t.api_name, t]));
  for (const r of rows.filter((x) => x.status === 'accepted')) expect(byName.get(r.name)).toEqual(r.template);
  return { imported, served, rows };
}
