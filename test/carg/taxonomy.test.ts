import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFieldFile, seededRandom, expandTaxonomy } from '../../src/carg/taxonomy.js';
import { openStore } from '../../src/store/index.js';
import { startFakeOpenAI, type FakeServer } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { cargTestRoles, tempDir } from './helpers.js';

const FIELDS = join(SHARED_DATASETS, 'tools/seal-tools/field.jsonl');
const tmp = tempDir('taxonomy');

describe('field taxonomy', () => {
  it('reads Seal-Tools field.jsonl: 146 fields, 5,859 subfields', async () => {
    const fields = readFieldFile(FIELDS);
    expect(fields).toHaveLength(146);
    expect(fields.reduce((n, f) => n + f.subfields.length, 0)).toBe(5859);
    expect(fields[0]).toMatchObject({ field: 'Sports', subfields: expect.arrayContaining(['Basketball', 'Archery']) });
    expect(() => readFieldFile(tmp.write('bad.jsonl', '{"A": ["x"]}\n{"B": "y"}\n'))).toThrow(/bad\.jsonl:2: expected \{"Field"/);
    expect(() => readFieldFile(`${tmp.dir}/missing.jsonl`)).toThrow(/missing\.jsonl: expected a readable field file, got ENOENT/);
  });

  it('seededRandom repeats its sequence for a seed', async () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  describe('expansion through the real client', () => {
    let server: FakeServer;
    const seed = tmp.write('seed.jsonl', '{"Sports": ["Tennis"]}\n{"Finance": ["Banking", "Insurance"]}\n');
    const text = (r: any) => r.messages.map((m: any) => m.content).join('\n');
    beforeAll(async () => {
      server = await startFakeOpenAI({
        respond: (req) => {
          const name = req.response_format?.json_schema?.name;
          if (name === 'carg_expand_fields') return { content: JSON.stringify({ fields: ['Astronomy', 'sports', 'Cooking'] }) };
          if (name === 'carg_expand_subfields') return { content: JSON.stringify({ subfields: ['Basics', 'Advanced'] }) };
          const sub = /subfield "([^"]+)"/.exec(text(req))![1]!;
          const slug = sub.replace(/\W/g, '');
          return {
            content: JSON.stringify({
              tools: [
                {
                  api_name: `get${slug}Report`,
                  api_description: `Report on ${sub}.`,
                  parameters: { id: { type: 'string', description: 'Record id' } },
                  required: ['id'],
                  responses: { report: { type: 'string', description: 'The report' } },
                },
                {
                  api_name: `broken${slug}`,
                  api_description: 'Broken.',
                  parameters: {},
                  required: ['x'],
                  responses: { ok: { type: 'boolean', description: 'ok' } },
                },
              ],
            }),
          };
        },
      });
    });
    afterAll(() => server.close());

    it('adds new fields (not existing ones), subfields for bare fields, and checked tools per pair; a re-run resumes', async () => {
      const store = await openStore(join(tmp.dir, 'expand.sqlite'), { create: true });
      const db = store.carg;
      const model = (await cargTestRoles(['maker'], { baseUrl: server.url, model: 'fake-model', maxRetries: 0 })).roles.maker;
      const opts = { model, seedFile: seed, fieldRounds: 1, fieldsPerRound: 3, subfields: 2, toolsPer: 2, pairLimit: 4, seed: 1 };
      const s = await expandTaxonomy(db, opts);
      expect(s).toMatchObject({ new_fields: 2, new_subfields: 4, pairs: 4, imported: 4, rejected: 4, by_reason: { required_not_a_parameter: 4 } });
      const fields = await db.listFields();
      expect(fields.filter((f) => f.origin === 'model' && f.subfield === '').map((f) => f.field)).toEqual(['Astronomy', 'Cooking']);
      expect(fields.filter((f) => f.tools_done).map((f) => `${f.field}/${f.subfield}`)).toEqual([
        'Sports/Tennis',
        'Finance/Banking',
        'Finance/Insurance',
        'Astronomy/Basics',
      ]);
      const tennis = (await db.listTools(['accepted'])).find((t) => t.name === 'getTennisReport')!;
      expect(tennis).toMatchObject({ field: 'Sports', subfield: 'Tennis', source: 'expand:Sports/Tennis#0' });

      const before = server.requests.length;
      const again = await expandTaxonomy(db, opts);
      expect(again).toMatchObject({ new_fields: 0, new_subfields: 0, pairs: 3 }); // the 3 pairs left, no new rounds
      expect(server.requests.length - before).toBe(3);
      expect((await db.listFields()).every((f) => f.subfield === '' || f.tools_done)).toBe(true);
      await store.close();
    });
  });
});
