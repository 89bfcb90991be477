import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTools } from '../../../src/carg/repository.js';
import { cargErrorsJob } from '../../../src/pipeline/carg/errors.js';
import { cargSingleJob } from '../../../src/pipeline/carg/single.js';
import { runCargStage } from '../../../src/pipeline/carg/stage.js';
import { MtrError } from '../../../src/schema/errors.js';
import { openDb } from '../../../src/store/db.js';
import { openStore } from '../../../src/store/index.js';
import { tempDir } from '../../carg/helpers.js';
import { scriptedCarg } from '../../carg/scripted-carg.js';
import { type FakeServer, startFakeOpenAI } from '../../support/openai-server.js';
import { sealTools } from '../../support/seal-tools.js';

const tools = sealTools().slice(20, 24);
const tmp = tempDir('stage');

async function repository(name: string): Promise<string> {
  const db = join(tmp.dir, name);
  const store = await openStore(db, { create: true });
  await importTools(store.carg, [tmp.write(`${name}.json`, tools)]);
  await store.close();
  return db;
}

const count = (db: string, sql: string): number => {
  const store = openDb(db);
  try {
    return (store.prepare(sql).get() as { n: number }).n;
  } finally {
    store.close();
  }
};

describe('CARG stages on the one runner', () => {
  let server: FakeServer;
  let broken = true;
  beforeAll(async () => {
    const scripted = scriptedCarg(tools);
    // the generator answers nonsense for one tool while `broken`: that tool fails with E_MODEL_OUTPUT, the others do not
    server = await startFakeOpenAI({
      respond: (req) =>
        broken && req.response_format?.json_schema?.name === 'single_turn_samples' && JSON.stringify(req.messages).includes(tools[1]!.api_name)
          ? { content: 'no JSON here' }
          : scripted(req),
    });
  });
  afterAll(() => server.close());

  it("a tool's failure is stored with its code, shown again on resume, retried, and cleared once the tool is done", async () => {
    const db = await repository('failures.sqlite');
    const input = { db, baseUrl: server.url, model: 'fake-model', retries: 0, maxAttempts: 1, count: 2, maxRefines: 0 };
    const first = await cargSingleJob.run(input);
    expect(first).toMatchObject({ tools: 4, done: 3, failed: 1, aborted: false });
    expect(first.failures).toEqual([{ tool: tools[1]!.api_name, code: 'E_MODEL_OUTPUT', error: expect.any(String) }]);
    expect(count(db, 'SELECT COUNT(*) AS n FROM carg_failures')).toBe(1);

    // a resumed run that does not get to the tool still reports its stored failure
    const resumed = await cargSingleJob.run({ ...input, limit: 0 });
    expect(resumed).toMatchObject({ already_done: 3, done: 0, failed: 0, failures: [{ tool: tools[1]!.api_name, code: 'E_MODEL_OUTPUT' }] });

    broken = false;
    const fixed = await cargSingleJob.run(input);
    expect(fixed).toMatchObject({ already_done: 3, done: 1, failed: 0, failures: [] });
    expect(count(db, 'SELECT COUNT(*) AS n FROM carg_failures')).toBe(0);
  });

  it('the store failing stops the stage with E_STORE; it is not counted as one tool failing', async () => {
    const db = await repository('store-fails.sqlite');
    const store = openDb(db);
    store.exec(`CREATE TRIGGER full_disk BEFORE INSERT ON carg_jobs BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;`);
    store.close();
    // errors without a model: deterministic mutations, then the write the trigger refuses
    await expect(cargErrorsJob.run({ db, concurrency: 1 })).rejects.toMatchObject({
      code: 'E_STORE',
      message: expect.stringMatching(/store-fails.sqlite: database or disk is full/),
    });
    expect(count(db, 'SELECT COUNT(*) AS n FROM carg_failures')).toBe(0);
    expect(count(db, 'SELECT COUNT(*) AS n FROM carg_samples')).toBe(0);
  });

  it('an unreachable model is fatal by the runner rule: no tool starts after it, the tool in flight is awaited and stored, nothing writes after the throw', async () => {
    const db = await repository('fatal.sqlite');
    const store = await openStore(db);
    const started: string[] = [];
    let stage: Promise<unknown> | undefined;
    try {
      stage = runCargStage(store.carg, { stage: 'single', job: 'single', split: 'all', holdout: 0, concurrency: 2 }, async (tool, row) => {
        started.push(tool.api_name);
        if (row.name === tools[0]!.api_name) {
          await new Promise((r) => setTimeout(r, 150)); // in flight when the other one fails
          await store.carg.saveJob('single', row.id, { rounds: 0 }, []);
          return;
        }
        throw new MtrError('E_MODEL_UNREACHABLE', 'cannot reach http://127.0.0.1:9/v1');
      });
      await expect(stage).rejects.toMatchObject({ code: 'E_MODEL_UNREACHABLE' });
      expect(started).toEqual([tools[0]!.api_name, tools[1]!.api_name]);
      expect([...(await store.carg.finishedTools('single'))]).toHaveLength(1); // the slow tool finished before the throw
    } finally {
      await store.close(); // as the job does: anything still running would now fail on a closed store
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(started).toHaveLength(2);
  });

  it('only an MtrError code decides what is fatal: an error that merely carries code E_MODEL_UNREACHABLE is one tool failing', async () => {
    const db = await repository('duck.sqlite');
    const store = await openStore(db);
    try {
      const s = await runCargStage(store.carg, { stage: 'single', job: 'single', split: 'all', holdout: 0, concurrency: 1, limit: 2 }, () => {
        throw Object.assign(new Error('looks fatal'), { code: 'E_MODEL_UNREACHABLE' });
      });
      expect(s).toMatchObject({ done: 0, failed: 2, failures: [{ code: 'E_INTERNAL', error: 'looks fatal' }, { code: 'E_INTERNAL' }] });
    } finally {
      await store.close();
    }
  });

  it("Ctrl-C (the hooks' signal) stops taking tools, finishes the ones in flight and says aborted; the re-run does the rest", async () => {
    const db = await repository('abort.sqlite');
    broken = false;
    const controller = new AbortController();
    const input = { db, baseUrl: server.url, model: 'fake-model', retries: 0, count: 2, maxRefines: 0, concurrency: 1 };
    const first = await cargSingleJob.run(input, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 1) controller.abort();
      },
    });
    expect(first).toMatchObject({ tools: 4, done: 1, failed: 0, aborted: true });
    expect(count(db, 'SELECT COUNT(*) AS n FROM carg_jobs')).toBe(1);
    const rest = await cargSingleJob.run(input);
    expect(rest).toMatchObject({ already_done: 1, done: 3, aborted: false });
  });

  it('a model server that cannot be reached stops the job before any write (E_MODEL_UNREACHABLE)', async () => {
    const db = await repository('unreachable.sqlite');
    await expect(cargSingleJob.run({ db, baseUrl: 'http://127.0.0.1:9/v1', model: 'fake-model', retries: 0 })).rejects.toMatchObject({
      code: 'E_MODEL_UNREACHABLE',
    });
    expect(count(db, 'SELECT COUNT(*) AS n FROM carg_samples')).toBe(0);
  });

  it('a stage on a store that does not exist is refused (E_STORE) and creates nothing', async () => {
    const db = join(tmp.dir, 'typo.sqlite');
    await expect(cargErrorsJob.run({ db })).rejects.toMatchObject({
      code: 'E_STORE',
      message: `${db}: no such store (import tools first: mtr carg tools import FILE… --db ${db})`,
    });
    expect(existsSync(db)).toBe(false);
  });

  it('a model server that starts refusing mid-run (401) stops the job: nothing is sent or written after it throws, and no failure is stored', async () => {
    const scripted = scriptedCarg(tools);
    let refusing = false;
    const refuser = await startFakeOpenAI({
      latencyMs: 20,
      respond: (req) => {
        if (req.response_format?.json_schema?.name === 'single_turn_samples' && JSON.stringify(req.messages).includes(tools[2]!.api_name)) refusing = true;
        return refusing ? { status: 401, body: '{"error":{"message":"key revoked"}}' } : scripted(req);
      },
    });
    try {
      const db = await repository('refused.sqlite');
      await expect(
        cargSingleJob.run({ db, baseUrl: refuser.url, model: 'fake-model', retries: 0, count: 2, maxRefines: 0, concurrency: 1 }),
      ).rejects.toMatchObject({ code: 'E_MODEL_UNREACHABLE' });
      const sent = refuser.requests.length;
      await new Promise((r) => setTimeout(r, 300));
      expect(refuser.requests.length).toBe(sent);
      expect(count(db, 'SELECT COUNT(*) AS n FROM carg_jobs')).toBe(2);
      expect(count(db, 'SELECT COUNT(*) AS n FROM carg_failures')).toBe(0);
    } finally {
      await refuser.close();
    }
  });
});
