import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { importTools } from '../../../src/carg/repository.js';
import { cargEvalJob } from '../../../src/pipeline/carg/eval.js';
import { cargSingleJob } from '../../../src/pipeline/carg/single.js';
import { openDb } from '../../../src/store/db.js';
import { openStore } from '../../../src/store/index.js';
import { tempDir } from '../../carg/helpers.js';
import { scriptedCarg } from '../../carg/scripted-carg.js';
import { type FakeServer, startFakeOpenAI } from '../../support/openai-server.js';
import { sealTools } from '../../support/seal-tools.js';

/** Every role-model set a CARG job gets from the one factory, and how often each was closed. */
const made = vi.hoisted(() => [] as { roles: string[]; closed: number }[]);
vi.mock('../../../src/pipeline/models.js', async (original) => {
  const real = await original<typeof import('../../../src/pipeline/models.js')>();
  return {
    ...real,
    roleModels: async (specs: Parameters<typeof real.roleModels>[0]) => {
      const models = await real.roleModels(specs);
      const entry = { roles: Object.keys(specs), closed: 0 };
      made.push(entry);
      return {
        ...models,
        close: () => {
          entry.closed++;
          return models.close();
        },
      };
    },
  };
});

const tools = sealTools().slice(30, 33);
const tmp = tempDir('models-closed');

describe("CARG jobs close the role models they start (one lifetime, the factory's)", () => {
  let server: FakeServer;
  let db: string;
  beforeAll(async () => {
    server = await startFakeOpenAI({ respond: scriptedCarg(tools) });
    db = join(tmp.dir, 'carg.sqlite');
    const store = await openStore(db, { create: true });
    await importTools(store.carg, [tmp.write('tools.json', tools)]);
    await store.close();
  });
  afterAll(() => server.close());

  it('after a finished stage, and after a stage the store stopped', async () => {
    made.length = 0;
    await cargSingleJob.run({ db, baseUrl: server.url, model: 'fake-model', retries: 0, count: 2, maxRefines: 0 });
    expect(made).toEqual([{ roles: ['maker', 'judge'], closed: 1 }]);

    const raw = openDb(db);
    raw.exec(`CREATE TRIGGER full_disk BEFORE INSERT ON carg_evals BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;`);
    raw.close();
    made.length = 0;
    await expect(cargEvalJob.run({ db, baseUrl: server.url, model: 'fake-model', retries: 0, holdout: 1 })).rejects.toMatchObject({ code: 'E_STORE' });
    expect(made).toEqual([{ roles: ['actor', 'judge'], closed: 1 }]);
  });
});
