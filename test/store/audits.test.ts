import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { CallAudit } from '../../src/schema/fidelity.js';
import type { DatasetItem } from '../../src/schema/item.js';
import type { Step } from '../../src/schema/trace.js';
import { openStore, TraceDraft } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { storeBackends } from '../support/store.js';

/** The audits of `generate --audit-rate` through the store interface, on both backends: written with their trace, read back parsed. */
const tmp = mkdtempSync(join(tmpdir(), 'mtr-store-audits-'));
const BACKENDS = storeBackends('audits');

const items: DatasetItem[] = ['a', 'b', 'c'].map((id) => ({ id, dataset: 'toy', question: `Where is ${id}?`, answers: [`place ${id}`] }));
const step: Step = {
  index: 0,
  think: 'search',
  call: { name: 'wiki_search', arguments: { query: 'where is a' } },
  observation: { content: { results: [{ title: 'A', text: 'a is in place a' }] }, source: 'simulated' },
  raw: '<tool_call>…',
};
const audit = (over: Partial<CallAudit> = {}): CallAudit => ({
  step: 0,
  tool: 'wiki_search',
  mode: 'none',
  source: 'simulated',
  arguments: { query: 'where is a' },
  real: { results: [{ title: 'B', text: 'b only' }] },
  simulated: step.observation!.content,
  failed: false,
  latency_ms_real: 1.5,
  latency_ms_simulated: 12.25,
  metrics: {
    schema_valid: true,
    support_real: false,
    support_simulated: true,
    title_overlap: 0,
    token_f1: 0.2,
    agree: false,
    contradiction: false,
    leak: true,
  },
  ...over,
});
const drafted = (id: number, audits: CallAudit[]): TraceDraft => {
  const d = new TraceDraft(id);
  d.sink.tools([], []);
  d.sink.step(step);
  d.audits.push(...audits);
  return d;
};

describe.each(BACKENDS)('call audits ($name)', (backend) => {
  it("are written in their trace's transaction and listed for finished traces only, per run", async () => {
    const { store } = await backend.fresh();
    const run = await store.runs.upsert('r1', 'toy', {});
    const other = await store.runs.upsert('r2', 'toy', {});
    await store.items.add(run, items);
    await store.items.add(other, items);
    const failedReal = audit({ step: 2, real: null, error: 'index shard down', failed: true });
    const a = await store.traces.begin(run, 'a');
    await store.traces.finish(a, drafted(a, [audit(), failedReal]), { stopReason: 'answer', answer: 'x' });
    const b = await store.traces.begin(run, 'b');
    await store.traces.fail(b, drafted(b, [audit()]), { code: 'E_MODEL', message: 'gone' });
    const c = await store.traces.begin(other, 'c');
    await store.traces.finish(c, drafted(c, [audit({ mode: 'gold', source: 'cache' })]), { stopReason: 'answer', answer: 'y' });
    expect(await store.audits.list(run)).toEqual([
      { ...audit(), trace_id: a, item_id: 'a' },
      { ...failedReal, trace_id: a, item_id: 'a' },
    ]);
    expect((await store.audits.list()).map((x) => [x.trace_id, x.mode, x.source])).toEqual([
      [a, 'none', 'simulated'],
      [a, 'none', 'simulated'],
      [c, 'gold', 'cache'],
    ]);
    // a trace whose end is refused (already finished) writes none of its audits
    await expect(store.traces.finish(a, drafted(a, [audit()]), { stopReason: 'answer' })).rejects.toMatchObject({ code: 'E_STORE' });
    expect(await store.audits.list(run)).toHaveLength(2);
    await store.close();
  });

  it('a row that does not parse is an E_STORE error naming the table, row and field', async () => {
    const { store, sql } = await backend.fresh();
    const run = await store.runs.upsert('r1', 'toy', {});
    await store.items.add(run, items);
    const a = await store.traces.begin(run, 'a');
    await store.traces.finish(a, drafted(a, [audit()]), { stopReason: 'answer' });
    await sql(`UPDATE call_audits SET mode = 'psychic'`);
    await expect(store.audits.list(run)).rejects.toMatchObject({ code: 'E_STORE', message: expect.stringMatching(/call_audits row \d+: mode: /) });
    await store.close();
  });
});

describe('call audits in a store from before them', () => {
  it('a SQLite store read without migrating has none; opened normally it gains the table', async () => {
    const path = join(tmp, 'old.sqlite');
    const made = await openStore(path, { create: true });
    await made.close();
    const raw = new Database(path);
    raw.exec('DROP TABLE call_audits');
    raw.pragma(`user_version = ${MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE call_audits'))}`); // the version before them
    raw.close();
    const old = await openStore(path, { readonly: true });
    expect(await old.audits.list()).toEqual([]);
    await old.close();
    const store = await openStore(path);
    const run = await store.runs.upsert('r1', 'toy', {});
    await store.items.add(run, items);
    const a = await store.traces.begin(run, 'a');
    await store.traces.finish(a, drafted(a, [audit()]), { stopReason: 'answer' });
    expect(await store.audits.list(run)).toHaveLength(1);
    await store.close();
  });
});
