import { describe, expect, it } from 'vitest';
import type { DatasetItem } from '../../src/schema/item.js';
import type { ModelCall } from '../../src/schema/model-call.js';
import { openStore, type Store, TraceDraft } from '../../src/store/index.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { freshPgDatabase, pgExec } from '../support/postgres.js';

/**
 * The PostgreSQL backend's own guarantees, beyond the shared interface test: several connections (as several
 * processes or machines have) racing on one database, and values that must read back exactly as SQLite's.
 */
const items: DatasetItem[] = Array.from({ length: 6 }, (_, i) => ({ id: `q${i}`, dataset: 'toy', question: `Question ${i}?`, answers: [`a${i}`] }));
const call: ModelCall = {
  role: 'agent',
  model: 'm',
  prompt_file: 'agent.md',
  prompt_hash: 'h',
  params: { temperature: 0.7, top_p: 0.95 },
  tokens_in: 3,
  tokens_out: 1,
  latency_ms: 1 / 3, // a double: PostgreSQL's REAL would keep 7 digits
  attempt: 1,
  ok: true,
};
const draft = (id: number, answer: string): TraceDraft => {
  const d = new TraceDraft(id);
  d.step({ index: 0, think: 'done', answer, raw: `<answer>${answer}</answer>` });
  d.call(call);
  return d;
};

describe('PostgreSQL store', () => {
  it('stores opened at once on a new database migrate it once; a store from a newer mtr is refused', async () => {
    const url = await freshPgDatabase('migrate');
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url, { create: true })));
    await Promise.all(stores.map((s) => s.close()));
    expect(await pgExec(url, 'SELECT version FROM mtr_schema')).toEqual([{ version: PG_MIGRATIONS.length }]);
    await pgExec(url, `UPDATE mtr_schema SET version = ${PG_MIGRATIONS.length + 1}`);
    await expect(openStore(url)).rejects.toMatchObject({ code: 'E_STORE', message: expect.stringMatching(/is newer than this mtr/) });
  });

  it('four connections racing to finish traces of the same items: exactly one finished trace per item, the losers write nothing', async () => {
    const url = await freshPgDatabase('race');
    const stores: Store[] = [];
    for (let i = 0; i < 4; i++) stores.push(await openStore(url, { create: true }));
    const runId = await stores[0]!.runs.upsert('r', 'toy', {});
    // every connection adds the same items at once: one position each, none lost or doubled
    await Promise.all(stores.map((s) => s.items.add(runId, items)));
    expect((await stores[0]!.items.list(runId)).map((i) => i.id)).toEqual(items.map((i) => i.id));
    expect(await pgExec(url, 'SELECT COUNT(DISTINCT ord)::int AS n FROM items')).toEqual([{ n: items.length }]);

    const outcomes = await Promise.all(
      stores.flatMap((s, w) =>
        items.map(async (item) => {
          const id = await s.traces.begin(runId, item.id);
          return s.traces.finish(id, draft(id, `w${w}`), { stopReason: 'answer', answer: `w${w}` }).then(
            () => 'won',
            (e: Error) => (/UNIQUE constraint failed: traces_one_finished/.test(e.message) ? 'lost' : e.message),
          );
        }),
      ),
    );
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(items.length);
    expect(outcomes.filter((o) => o === 'lost')).toHaveLength(items.length * 3);
    const status = await stores[1]!.runs.status(runId);
    expect(status).toMatchObject({ traces_finished: items.length, traces_running: 0, duplicates: 0, steps: items.length, model_calls: items.length });
    // the losers' traces are still 'running' with nothing hanging off them: a resume drops them
    expect(await pgExec(url, `SELECT COUNT(*)::int AS n FROM traces WHERE status = 'running'`)).toEqual([{ n: items.length * 3 }]);
    expect(await stores[2]!.traces.dropUnfinished(runId)).toBe(items.length * 3);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('connections the server drops (a restart, an idle timeout) are replaced: the store goes on, a trace begun before still finishes whole', async () => {
    const url = await freshPgDatabase('dropped');
    const store = await openStore(url, { create: true });
    const runId = await store.runs.upsert('r', 'toy', {});
    await store.items.add(runId, items.slice(0, 2));
    const id = await store.traces.begin(runId, 'q0');
    const killed = await pgExec(
      url,
      'SELECT COUNT(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()) AS k',
    );
    expect(killed[0]!.n).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200)); // the pool hears of it and drops those clients
    await store.traces.finish(id, draft(id, 'a0'), { stopReason: 'answer', answer: 'a0' });
    expect(await store.runs.status(runId)).toMatchObject({ traces_finished: 1, steps: 1, model_calls: 1 });
    await store.close();
  });

  it('reads back exactly what SQLite would: doubles, JSON text as written, timestamps as datetime("now") writes them', async () => {
    const url = await freshPgDatabase('values');
    const store = await openStore(url, { create: true });
    const runId = await store.runs.upsert('r', 'toy', { b: 1, a: [2, { z: 1, y: 2 }] });
    await store.items.add(runId, items.slice(0, 1));
    const id = await store.traces.begin(runId, 'q0');
    await store.traces.finish(id, draft(id, 'a0'), { stopReason: 'answer', answer: 'a0' });
    expect(await store.modelCalls.list(id)).toEqual([call]);
    const [row] = await pgExec(url, 'SELECT r.config, r.created_at, t.finished_at FROM runs r JOIN traces t ON t.run_id = r.id');
    expect(row!.config).toBe('{"b":1,"a":[2,{"z":1,"y":2}]}'); // key order kept (JSONB would sort it)
    for (const at of [row!.created_at, row!.finished_at]) {
      expect(at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(Math.abs(Date.parse(`${String(at).replace(' ', 'T')}Z`) - Date.now())).toBeLessThan(60_000); // UTC
    }
    await store.close();
  });
});
