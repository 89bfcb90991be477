import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelCall } from '../../src/schema/model-call.js';
import { openDb, openStore } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { freshPgDatabase } from '../support/postgres.js';

/** `status` per server on stores a pool wrote, the embedded model wrote, and a store from before the column. */
const tmp = mkdtempSync(join(tmpdir(), 'mtr-pool-status-'));

const call = (latency_ms: number, ok: boolean, server?: string): ModelCall => ({
  role: 'agent',
  model: 'm',
  prompt_file: 'agent-system',
  prompt_hash: 'h',
  params: {},
  tokens_in: 1,
  tokens_out: 1,
  latency_ms,
  attempt: 1,
  ok,
  ...(server ? { server } : {}),
});

/** A store (a SQLite file, or a fresh PostgreSQL database) holding one finished trace with these calls. */
async function storeWith(path: string, calls: ModelCall[]): Promise<string> {
  const store = await openStore(path, { create: true });
  const run = await store.runs.upsert('r', 'd', {});
  await store.items.add(run, [{ id: 'q1', dataset: 'd', question: 'Q?', answers: ['a'] }]);
  const trace = await store.traces.begin(run, 'q1');
  await store.traces.finish(trace, { tools: [], rejected: [], steps: [], calls }, { stopReason: 'answer', answer: 'a' });
  await store.close();
  return path;
}

const BACKENDS = [
  { name: 'SQLite', location: async () => join(tmp, 'pool.sqlite') },
  { name: 'PostgreSQL', location: () => freshPgDatabase('pool_status') },
];

describe.each(BACKENDS)('status per model server ($name)', ({ location }) => {
  it('counts calls and errors, mean and nearest-rank p95 latency per server; the server round-trips', async () => {
    const [A, B] = ['http://a:1/v1', 'http://b:2/v1'];
    // A: latencies 1..20 (p95 = the 19th), one failed; B: one call
    const calls = [...Array.from({ length: 20 }, (_, i) => call(20 - i, i !== 3, A)), call(7.5, true, B), call(3, true)];
    const path = await storeWith(await location(), calls);
    const store = await openStore(path);
    const status = await store.runs.status();
    const [trace] = await store.traces.list(1);
    expect((await store.modelCalls.list(trace!.id)).map((c) => c.server)).toEqual(calls.map((c) => c.server));
    await store.close();
    expect(status.by_server).toEqual({
      [A]: { calls: 20, errors: 1, mean_latency_ms: 10.5, p95_latency_ms: 19 },
      [B]: { calls: 1, errors: 0, mean_latency_ms: 7.5, p95_latency_ms: 7.5 },
    });
    expect(status.model_calls).toBe(22); // the embedded model's call has no server
  });
});

describe('status per model server, older stores', () => {
  it('a store from before the server column, read without migrating, has no per-server figures', async () => {
    const path = await storeWith(join(tmp, 'old.sqlite'), [call(5, true)]);
    const db = openDb(path);
    // migration 12's index names the column: the store as it was, with the index by trace it replaced
    db.exec('DROP INDEX model_calls_by_trace_totals; CREATE INDEX model_calls_by_trace ON model_calls(trace_id); ALTER TABLE model_calls DROP COLUMN server');
    db.pragma(`user_version = ${MIGRATIONS.length - 1}`);
    db.close();
    const store = await openStore(path, { readonly: true });
    const status = await store.runs.status();
    const [trace] = await store.traces.list(1);
    expect((await store.modelCalls.list(trace!.id))[0]).not.toHaveProperty('server');
    await store.close();
    expect(status).toMatchObject({ model_calls: 1, by_server: {} });
  });
});
