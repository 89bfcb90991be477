import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { GenerateConfigSchema, roleConfig, runKey, transportOf } from '../../src/pipeline/config.js';
import { generateTraces, GENERATE_ROLES, type GenerateConfigInput } from '../../src/pipeline/generate.js';
import { storeStatus as status, closedPort } from '../support/store.js';
import { openDb } from '../../src/store/index.js';
import { mtrError } from '../support/errors.js';
import { type FakeReply, type FakeRequest, type FakeServer, type FakeServerOptions, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { scriptedModel } from '../support/scripted-roles.js';

const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const tmp = mkdtempSync(join(tmpdir(), 'mtr-resume-'));
const fast = { maxRetries: 1, retryBaseMs: 1, retryMaxMs: 5, timeoutMs: 5000 };
const items = await loadItems(BAMBOOGLE, { limit: 6 });
const script = scriptedModel({ items });
const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(respond: FakeServerOptions['respond'] = script): Promise<FakeServer> {
  const s = await startFakeOpenAI({ respond });
  servers.push(s);
  return s;
}
const config = (db: string, url: string, over: Partial<GenerateConfigInput> = {}): GenerateConfigInput => ({
  dataset: BAMBOOGLE,
  limit: 6,
  db,
  concurrency: 3,
  maxTurns: 6,
  model: { baseUrl: url, model: 'fake-model', ...fast },
  ...over,
});
const mentions = (req: FakeRequest, question: string) => JSON.stringify(req.messages).includes(question);
const query = <T>(db: string, sql: string, ...args: unknown[]): T[] => {
  const store = openDb(db);
  try {
    return store.prepare(sql).all(...args) as T[];
  } finally {
    store.close();
  }
};

describe('run identity without transport', () => {
  it('a model server on another address resumes the same run, says so once, and stores the new address', async () => {
    const db = join(tmp, 'moved.sqlite');
    const a = await serve();
    const first = await generateTraces(config(db, a.url, { limit: 3 }));
    expect(first).toMatchObject({ finished: 3, notices: [] });
    const b = await serve();
    const notices: string[] = [];
    const second = await generateTraces(config(db, b.url), { onNotice: (l) => notices.push(l) });
    expect(second).toMatchObject({ run_id: first.run_id, run_key: first.run_key, already_finished: 3, finished: 3 });
    expect(notices).toEqual([`resuming run ${first.run_key} (#${first.run_id}): model server moved from ${a.url} to ${b.url}`]);
    expect(second.notices).toEqual(notices);
    expect(status(db)).toMatchObject({ runs: 1, items_total: 6, traces_finished: 6, duplicates: 0 });
    const [stored] = query<{ config: string }>(db, 'SELECT config FROM runs');
    expect(JSON.parse(stored!.config).model.baseUrl).toBe(b.url);
  });

  it('a store made when run keys held the server address resumes under the new key', async () => {
    const db = join(tmp, 'legacy.sqlite');
    const a = await serve();
    const first = await generateTraces(config(db, a.url, { limit: 3 }));
    // make it the store the old code left: key with the address, roles filled with the old defaults
    const c = GenerateConfigSchema.parse(config(db, a.url, { limit: 3 }));
    const legacyKey = runKey(c, { name: 'bamboogle', path: BAMBOOGLE }, transportOf(c));
    expect(legacyKey).not.toBe(first.run_key);
    const oldRoles = Object.fromEntries(
      GENERATE_ROLES.map((r) => [
        r,
        { temperature: 0.7, maxTokens: 1024, timeoutMs: 60000, maxRetries: 4, retryBaseMs: 500, retryMaxMs: 30000, structured: 'auto' },
      ]),
    );
    const store = openDb(db);
    store.prepare('UPDATE runs SET key = ?, config = ?').run(legacyKey, JSON.stringify({ ...c, roles: oldRoles }));
    store.close();

    const b = await serve();
    const notices: string[] = [];
    const second = await generateTraces(config(db, b.url), { onNotice: (l) => notices.push(l) });
    expect(second).toMatchObject({ run_id: first.run_id, run_key: first.run_key, already_finished: 3, finished: 3 });
    expect(notices).toHaveLength(1);
    expect(query<{ key: string }>(db, 'SELECT key FROM runs')).toEqual([{ key: first.run_key }]);
    expect(status(db)).toMatchObject({ runs: 1, items_total: 6, traces_finished: 6, duplicates: 0 });
    // settings that shape traces still make another run
    const other = await generateTraces(config(db, b.url, { maxTurns: 5 }));
    expect(other.run_id).not.toBe(first.run_id);
  });

  it('of two old runs that differ only by server address, the one at the current address is resumed', async () => {
    const db = join(tmp, 'legacy-two.sqlite');
    const [a, b] = [await serve(), await serve()];
    const first = await generateTraces(config(db, a.url, { limit: 2 }));
    const at = (url: string) => GenerateConfigSchema.parse(config(db, url, { limit: 2 }));
    const legacyKey = (url: string) => runKey(at(url), { name: 'bamboogle', path: BAMBOOGLE }, transportOf(at(url)));
    const store = openDb(db);
    store.prepare('UPDATE runs SET key = ?').run(legacyKey(a.url));
    const second = Number(
      store.prepare('INSERT INTO runs (key, dataset, config) VALUES (?, ?, ?)').run(legacyKey(b.url), 'bamboogle', JSON.stringify(at(b.url))).lastInsertRowid,
    );
    store.close();
    const out = await generateTraces(config(db, b.url, { limit: 2 }));
    expect(out).toMatchObject({ run_id: second, run_key: first.run_key, already_finished: 0, finished: 2 });
    expect(query<{ id: number; key: string }>(db, 'SELECT id, key FROM runs ORDER BY id')).toEqual([
      { id: first.run_id, key: legacyKey(a.url) },
      { id: second, key: first.run_key },
    ]);
  });
});

describe('every model option reaches every role', () => {
  it('the run timeout, retries and temperature are every role’s unless a role overrides them; the stored config shows them', async () => {
    const c = GenerateConfigSchema.parse({
      ...config('x', 'http://127.0.0.1:1/v1'),
      model: { baseUrl: 'http://127.0.0.1:1/v1', timeoutMs: 5000, maxRetries: 7, temperature: 0.2 },
      roles: { maker: {}, agent: {}, actor: { model: 'sim' } },
    });
    for (const r of GENERATE_ROLES) expect(roleConfig(c, r)).toMatchObject({ timeoutMs: 5000, maxRetries: 7, temperature: 0.2 });
    expect(roleConfig(c, 'actor').model).toBe('sim');
    const defaults = GenerateConfigSchema.parse({ dataset: 'x', db: 'y', model: {}, roles: { maker: {} } });
    for (const r of GENERATE_ROLES) expect(roleConfig(defaults, r).timeoutMs).toBe(120_000);
  });
});

describe('resume retries failed items', () => {
  const [bad] = [items[1]!.question];
  /** 500 for every request about `question` while `broken()` */
  const failing =
    (broken: () => boolean, reply: FakeReply = { status: 500 }) =>
    (req: FakeRequest) =>
      broken() && mentions(req, bad) ? reply : script(req);

  it('a transient failure is retried on resume, up to --max-item-attempts across runs; status shows failures by code and attempts', async () => {
    const db = join(tmp, 'transient.sqlite');
    let broken = true;
    const s = await serve(failing(() => broken));
    const cfg = config(db, s.url, { maxItemAttempts: 2 });
    const first = await generateTraces(cfg);
    expect(first).toMatchObject({ finished: 5, failed: 1, retried: 0, failed_kept: 0 });
    expect(status(db)).toMatchObject({ traces_failed: 1, failures_by_code: { E_MODEL: { items: 1, attempts: 1 } }, items_retried: 0 });
    const second = await generateTraces(cfg); // still broken: second attempt
    expect(second).toMatchObject({ already_finished: 5, finished: 0, failed: 1, retried: 1 });
    expect(status(db).failures_by_code).toEqual({ E_MODEL: { items: 1, attempts: 2 } });
    broken = false;
    const third = await generateTraces(cfg); // out of attempts: left failed, no model call
    expect(third).toMatchObject({ finished: 0, failed: 0, retried: 0, failed_kept: 1, model_calls: 0 });
    const fourth = await generateTraces({ ...cfg, maxItemAttempts: 3 });
    expect(fourth).toMatchObject({ finished: 1, failed: 0, retried: 1, failed_kept: 0 });
    expect(status(db)).toMatchObject({ traces_finished: 6, traces_failed: 0, duplicates: 0, failures_by_code: {}, items_retried: 1 });
  });

  it('a lasting failure (the model never answers in shape) is kept on resume; --retry-failed retries it', async () => {
    const db = join(tmp, 'lasting.sqlite');
    let broken = true;
    const s = await serve(failing(() => broken, { content: 'not json at all' }));
    const first = await generateTraces(config(db, s.url));
    expect(first).toMatchObject({ finished: 5, failed: 1 });
    expect(Object.keys(status(db).failures_by_code)).toEqual(['E_MODEL_OUTPUT']);
    broken = false;
    expect(await generateTraces(config(db, s.url))).toMatchObject({ finished: 0, failed_kept: 1, model_calls: 0 });
    expect(await generateTraces(config(db, s.url, { retryFailed: true }))).toMatchObject({ finished: 1, retried: 1, failed_kept: 0 });
    expect(status(db)).toMatchObject({ traces_finished: 6, duplicates: 0 });
  });
});

describe('every retried request is stored', () => {
  it('a malformed 200 is retried and kept as a failed model call with its raw text; the trace finishes', async () => {
    const db = join(tmp, 'raw.sqlite');
    let first = true;
    const s = await serve((req) => {
      if (first) {
        first = false;
        return { raw: '{"id": "cut", "choi' };
      }
      return script(req);
    });
    const out = await generateTraces(config(db, s.url, { limit: 1 }));
    expect(out).toMatchObject({ finished: 1, failed: 0 });
    const rows = query<{ ok: number; raw: string; error: string; params: string }>(db, 'SELECT ok, raw, error, params FROM model_calls WHERE ok = 0');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.raw).toBe('{"id": "cut", "choi');
    expect(rows[0]!.error).toContain('malformed JSON');
    expect(JSON.parse(rows[0]!.params)).toMatchObject({ retry: 1 });
  });
});

describe('every dependency is checked before anything is written', () => {
  it('a dead --retrieval-url stops the run at once with one line naming it and the ways out, no store, no model call', async () => {
    const s = await serve();
    const db = join(tmp, 'dead-retrieval.sqlite');
    const url = `http://127.0.0.1:${await closedPort()}`;
    const e = await mtrError(generateTraces(config(db, s.url, { retrievalUrl: url })));
    expect(e.code).toBe('E_INPUT');
    expect(e.message).toContain(`--retrieval-url: cannot use the retrieval server at ${url}/retrieve`);
    expect(e.message).toContain('ECONNREFUSED');
    for (const way of ['start it', '--index FILE', 'drop the flag']) expect(e.message).toContain(way);
    expect(e.message).not.toContain('\n');
    expect(existsSync(db)).toBe(false);
    expect(s.requests).toHaveLength(0);
  });

  it('a retrieval server that answers garbage is refused the same way', async () => {
    const s = await serve();
    const junk = await startFakeOpenAI({ respond: () => ({ content: 'x' }) }); // POST /retrieve → 404
    servers.push(junk);
    const db = join(tmp, 'junk-retrieval.sqlite');
    const e = await mtrError(generateTraces(config(db, s.url, { retrievalUrl: junk.url })));
    expect(e.message).toContain('expected status 200, got 404');
    expect(existsSync(db)).toBe(false);
  });

  it('an --index that is missing or no index stops the run naming it and the ways out, no store', async () => {
    const s = await serve();
    const db = join(tmp, 'bad-index.sqlite');
    const notIndex = join(tmp, 'not-an-index.sqlite');
    writeFileSync(notIndex, 'hello');
    for (const index of [join(tmp, 'missing.sqlite'), notIndex]) {
      const e = await mtrError(generateTraces(config(db, s.url, { index })));
      expect(e.code).toBe('E_USAGE');
      expect(e.message).toContain(index);
      expect(e.message).toContain('"mtr index"');
      expect(e.message).toContain('drop the flag');
      expect(existsSync(db)).toBe(false);
    }
    expect(s.requests).toHaveLength(0);
  });

  it('a dead model server stops the run before the store is created', async () => {
    const db = join(tmp, 'dead-model.sqlite');
    const e = await mtrError(generateTraces(config(db, `http://127.0.0.1:${await closedPort()}/v1`)));
    expect(e.code).toBe('E_MODEL_UNREACHABLE');
    expect(existsSync(db)).toBe(false);
  });
});
