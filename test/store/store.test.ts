import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { DatasetItem } from '../../src/schema/item.js';
import { openStore, TraceDraft } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';

/** The SQLite backend's own guarantees (file format, migrations, the database-level rules); the interface itself is test/store/interface.test.ts. */
const tmp = mkdtempSync(join(tmpdir(), 'mtr-store-'));
const items: DatasetItem[] = ['a', 'b', 'c'].map((id) => ({ id, dataset: 'toy', question: `Question ${id}?`, answers: [`answer ${id}`] }));
const raw = (path: string) => new Database(path, { readonly: true });

describe('SQLite store', () => {
  it('migrates once and records the schema version', async () => {
    const path = join(tmp, 'migrate.sqlite');
    await (await openStore(path, { create: true })).close();
    await (await openStore(path)).close();
    const db = raw(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a store from a newer mtr', async () => {
    const path = join(tmp, 'newer.sqlite');
    await (await openStore(path, { create: true })).close();
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    await expect(openStore(path)).rejects.toMatchObject({
      code: 'E_STORE',
      message: `${path}: database schema version ${MIGRATIONS.length + 1} is newer than this mtr (${MIGRATIONS.length}); upgrade mtr`,
    });
  });

  it('refuses to migrate a SQLite file that is not an mtr store, and leaves it as it was', async () => {
    const path = join(tmp, 'foreign.sqlite');
    const other = new Database(path);
    other.exec('CREATE TABLE notes (x TEXT)');
    other.close();
    await expect(openStore(path)).rejects.toThrow(/foreign\.sqlite: expected an mtr store \(or a new file\), got a SQLite database with 1 other table/);
    const again = raw(path);
    expect(again.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all()).toEqual([{ name: 'notes' }]);
    expect(again.pragma('journal_mode', { simple: true })).toBe('delete');
    again.close();
  });

  it('forbids a second finished trace for an item at the database level, whatever writes it', async () => {
    const path = join(tmp, 'unique.sqlite');
    const store = await openStore(path, { create: true });
    const runId = await store.runs.upsert('run-1', 'toy', {});
    await store.items.add(runId, items);
    const t = await store.traces.begin(runId, 'a');
    await store.traces.finish(t, new TraceDraft(t), { stopReason: 'answer', answer: 'answer a' });
    await store.close();
    const db = new Database(path);
    expect(() => db.prepare(`INSERT INTO traces (run_id, item_id, status) VALUES (?, 'a', 'finished')`).run(runId)).toThrow(/UNIQUE/);
    db.close();
  });

  it("dropping a killed process's running trace takes whatever hangs off it (steps, tools, calls cascade)", async () => {
    const path = join(tmp, 'cascade.sqlite');
    const store = await openStore(path, { create: true });
    const runId = await store.runs.upsert('run-1', 'toy', {});
    await store.items.add(runId, items);
    const t = await store.traces.begin(runId, 'b');
    const db = new Database(path); // rows an older mtr wrote as the trace went
    db.prepare(`INSERT INTO steps (trace_id, idx, think, raw) VALUES (?, 0, 't', 'r')`).run(t);
    db.prepare(`INSERT INTO tools (trace_id, name, origin, accepted, schema, attempt) VALUES (?, 'x', 'maker', 1, '{}', 0)`).run(t);
    db.prepare(
      `INSERT INTO model_calls (trace_id, role, model, prompt_file, prompt_hash, params, tokens_in, tokens_out, latency_ms, attempt, ok) VALUES (?, 'agent', 'm', 'p', 'h', '{}', 1, 1, 1, 1, 1)`,
    ).run(t);
    expect(await store.traces.dropUnfinished(runId)).toBe(1);
    for (const table of ['steps', 'tools', 'model_calls']) expect(db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get()).toEqual({ n: 0 });
    db.close();
    await store.close();
  });
});
