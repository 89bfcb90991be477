import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { callFidelity, fidelityGold } from '../../src/reward/fidelity.js';
import type { CallAuditRecord } from '../../src/schema/fidelity.js';
import type { DatasetItem } from '../../src/schema/item.js';
import type { TraceRecord } from '../../src/schema/trace.js';
import { openStore } from '../../src/store/index.js';
import { Bm25Index, buildIndex } from '../../src/tools/bm25.js';
import { readCorpus } from '../../src/tools/corpus.js';
import { UTILITY_TOOLS } from '../../src/tools/utility.js';
import { runCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { freshPgDatabase } from '../support/postgres.js';
import { scriptedModel } from '../support/scripted-roles.js';
import { type Passages, supportsByHand } from '../support/support-check.js';

/**
 * `mtr generate --audit-rate R` end to end: the scripted model plays every role in Search-R1's dialect (two
 * searches per trace, simulated by ToolActor), the real side is a BM25 index built from the shared MuSiQue corpus.
 */
const tmp = mkdtempSync(join(tmpdir(), 'mtr-gen-audit-'));
const DATASET = join(SHARED_DATASETS, 'musique/musique_train_100_with_paragraphs.json');
const index = join(tmp, 'musique.sqlite');
let server: FakeServer;
let items: DatasetItem[];

beforeAll(async () => {
  await buildIndex(index, readCorpus(join(SHARED_DATASETS, 'corpus/musique_train100_corpus.json')));
  items = await loadItems(DATASET, { limit: 8 });
  server = await startFakeOpenAI({ respond: scriptedModel({ items, format: 'search-r1' }) });
}, 60_000);
afterAll(() => server.close());

const generate = (db: string, limit: number, ...extra: string[]) =>
  runCli([
    'generate',
    '--dataset',
    DATASET,
    '--limit',
    String(limit),
    '--db',
    db,
    '--dialect',
    'search-r1',
    '--max-turns',
    '4',
    '--base-url',
    server.url,
    '--model',
    'fake-model',
    '--concurrency',
    '4',
    '--json',
    ...extra,
  ]);
const simulated = ['--tool-routing', 'wiki_search=simulated'];

async function stored(db: string): Promise<{ traces: TraceRecord[]; audits: CallAuditRecord[] }> {
  const store = await openStore(db);
  try {
    return { traces: await store.traces.list(1, 'finished'), audits: await store.audits.list(1) };
  } finally {
    await store.close();
  }
}

const searchSteps = (traces: TraceRecord[]) =>
  traces.flatMap((t) => t.steps.filter((s) => s.call?.name === 'wiki_search' && s.observation).map((s) => ({ trace: t, step: s })));
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** The sampling rule written out: the first 4 bytes of sha256(["audit", run key, item, step]) over 2^32, below the rate. */
const sampledByHand = (rate: number, key: string, item: string, step: number) =>
  createHash('sha256')
    .update(JSON.stringify(['audit', key, item, step]))
    .digest()
    .readUInt32BE(0) /
    2 ** 32 <
  rate;

describe('generate --audit-rate 1: every simulated search also goes to the real index', () => {
  const db = join(tmp, 'all.sqlite');
  const plain = join(tmp, 'plain.sqlite');
  let audits: CallAuditRecord[];
  let traces: TraceRecord[];
  let key: string;

  beforeAll(async () => {
    const r = await generate(db, 4, ...simulated, '--index', index, '--audit-rate', '1');
    expect(r.stderr).not.toMatch(/error|audit/i);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ finished: 4, failed: 0 });
    key = s.run_key;
    ({ audits, traces } = await stored(db));
  }, 60_000);

  it('stores one audit per simulated search, holding the call, the simulated answer the trace kept and the real one', () => {
    const searches = searchSteps(traces);
    expect(searches).toHaveLength(8); // two searches per trace
    expect(searches.every(({ step }) => step.observation!.source === 'simulated')).toBe(true);
    expect(audits.map((a) => [a.trace_id, a.step])).toEqual(searches.map(({ trace, step }) => [trace.id, step.index]));
    const bm25 = new Bm25Index(index);
    try {
      for (const [i, a] of audits.entries()) {
        const { trace, step } = searches[i]!;
        expect(a).toMatchObject({ item_id: trace.item_id, tool: 'wiki_search', mode: 'none', source: 'simulated', failed: false });
        expect(a.arguments).toEqual(step.call!.arguments);
        expect(a.simulated).toEqual(step.observation!.content);
        expect(a.real).toEqual({ results: bm25.search(String(step.call!.arguments.query), 3).map((h) => ({ title: h.title, text: h.text })) });
        expect(a.latency_ms_real).toBeGreaterThanOrEqual(0);
        expect(a.latency_ms_simulated).toBeGreaterThan(0); // the actor's model call
      }
    } finally {
      bm25.close();
    }
  });

  it("each audit's figures are those of its stored answers, judged by its item's gold", () => {
    for (const a of audits) {
      const item = items.find((i) => i.id === a.item_id)!;
      const gold = fidelityGold(item);
      expect(a.metrics).toEqual(callFidelity(UTILITY_TOOLS.wiki_search!, a.real, a.simulated, gold));
      expect(a.metrics.support_real).toBe(supportsByHand(a.real as Passages, [...gold.answers, ...gold.titles]));
      expect(a.metrics.support_simulated).toBe(supportsByHand(a.simulated as Passages, [...gold.answers, ...gold.titles]));
      expect(a.metrics.schema_valid).toBe(true);
    }
    // the scripted actor writes the gold answer into every passage: a real answer that misses it is a leak
    expect(audits.every((a) => a.metrics.support_simulated)).toBe(true);
  });

  it('the traces are byte for byte those of the same run without audit', async () => {
    const r = await generate(plain, 4, ...simulated, '--index', index);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).run_key).toBe(key); // the rate is not part of the run key
    const other = await stored(plain);
    expect(other.audits).toEqual([]);
    const steps = (ts: TraceRecord[]) => Object.fromEntries(ts.map((t) => [t.item_id, JSON.stringify(t.steps)]));
    expect(steps(other.traces)).toEqual(steps(traces));
  });

  it('mtr status (and --json) carries the fidelity figures, aggregated as audit fidelity does, and the verdict', async () => {
    const json = await runCli(['status', '--db', db, '--json']);
    expect(json.code).toBe(0);
    const s = JSON.parse(json.stdout);
    expect(s.fidelity).toHaveLength(1);
    const e = s.fidelity[0];
    const share = (k: keyof CallAuditRecord['metrics']) => meanOf(audits.map((a) => (a.metrics[k] ? 1 : 0)));
    expect(e).toMatchObject({ tool: 'wiki_search', mode: 'none', calls: 8, failed: 0, schema_valid: 1, support_simulated: 1 });
    expect(e.agreement).toBe(share('agree'));
    expect(e.support_real).toBe(share('support_real'));
    expect(e.contradiction).toBe(share('contradiction'));
    expect(e.leak).toBe(share('leak'));
    expect(e.token_f1).toBeCloseTo(meanOf(audits.map((a) => a.metrics.token_f1)), 12);
    expect(e.latency_ms_real).toBeCloseTo(meanOf(audits.map((a) => a.latency_ms_real)), 9);
    expect(e.latency_ms_simulated).toBeCloseTo(meanOf(audits.map((a) => a.latency_ms_simulated)), 9);
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    const verdict = `wiki_search/none: simulated agrees with real on ${pct(e.agreement)} of 8 calls; answer support real ${pct(e.support_real)} vs simulated 100%`;
    expect(s.fidelity_verdicts).toEqual([verdict]);

    const text = await runCli(['status', '--db', db]);
    expect(text.stdout).toMatch(
      new RegExp(
        `^fidelity +wiki_search/none: 8 calls audited, 0 failed, agreement ${pct(e.agreement)}, support real ${pct(e.support_real)} vs simulated 100%, `,
        'm',
      ),
    );
    expect(text.stdout).toContain(`${verdict}\n`);
    // a store without audits shows no fidelity
    expect(JSON.parse((await runCli(['status', '--db', plain, '--json'])).stdout)).toMatchObject({ fidelity: [], fidelity_verdicts: [] });
  });

  it('on PostgreSQL: the same audits, written with their traces', async () => {
    const url = await freshPgDatabase('gen_audit');
    const r = await generate(url, 4, ...simulated, '--index', index, '--audit-rate', '1');
    expect(r.code).toBe(0);
    const pg = await stored(url);
    // trace ids follow the order traces ended in; latencies are the clock's
    const timeless = (xs: CallAuditRecord[]) =>
      xs
        .map(({ trace_id, latency_ms_real, latency_ms_simulated, ...rest }) => rest)
        .sort((a, b) => `${a.item_id}#${a.step}`.localeCompare(`${b.item_id}#${b.step}`));
    expect(timeless(pg.audits)).toEqual(timeless(audits));
    const s = JSON.parse((await runCli(['status', '--db', url, '--json'])).stdout);
    expect(s.fidelity_verdicts).toEqual(JSON.parse((await runCli(['status', '--db', db, '--json'])).stdout).fidelity_verdicts);
  });

  it('resuming with another rate keeps the run and adds no audit row', async () => {
    const r = await generate(db, 4, ...simulated, '--index', index, '--audit-rate', '0.5');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ run_key: key, already_finished: 4, finished: 0 });
    expect((await stored(db)).audits).toEqual(audits);
  });
});

describe('generate --audit-rate 0.5: a deterministic share of the calls', () => {
  it('audits the calls the hash picks, the same ones on a second run', async () => {
    const picked: string[][] = [];
    for (const name of ['half-a.sqlite', 'half-b.sqlite']) {
      const db = join(tmp, name);
      const r = await generate(db, 8, ...simulated, '--index', index, '--audit-rate', '0.5');
      expect(r.code).toBe(0);
      const key = JSON.parse(r.stdout).run_key as string;
      const { traces, audits } = await stored(db);
      const searches = searchSteps(traces);
      expect(searches).toHaveLength(16);
      const expected = searches
        .filter(({ trace, step }) => sampledByHand(0.5, key, trace.item_id, step.index))
        .map(({ trace, step }) => `${trace.item_id}#${step.index}`);
      expect(audits.map((a) => `${a.item_id}#${a.step}`)).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(16);
      picked.push(expected);
    }
    expect(picked[1]).toEqual(picked[0]);
  });
});

describe('generate --audit-rate: real failures, real routes and bad input', () => {
  let retrieval: Server;
  let url: string;
  beforeAll(async () => {
    // a Search-R1 retrieval server over the same index that fails the second item's question
    const bm25 = new Bm25Index(index);
    retrieval = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const { queries, topk } = JSON.parse(body) as { queries: string[]; topk: number };
        if (queries.some((q) => q.trim() === items[1]!.question.trim())) return void res.writeHead(500).end('index shard down');
        const result = queries.map((q) => bm25.search(q, topk).map((h) => ({ document: { title: h.title, text: h.text }, score: h.score })));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result }));
      });
    });
    retrieval.on('close', () => bm25.close());
    await new Promise<void>((r) => retrieval.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(retrieval.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => retrieval.close(() => r())));

  it('a failed real call is stored as failed and counted; its trace still finishes', async () => {
    const db = join(tmp, 'failing.sqlite');
    const r = await generate(db, 3, ...simulated, '--retrieval-url', url, '--audit-rate', '1');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ finished: 3, failed: 0 });
    const { audits } = await stored(db);
    expect(audits).toHaveLength(6);
    const failed = audits.filter((a) => a.failed);
    expect(failed.map((a) => [a.item_id, a.step])).toEqual([[items[1]!.id, 0]]);
    expect(failed[0]!.real).toBeNull();
    expect(failed[0]!.error).toMatch(/500/);
    expect(failed[0]!.metrics).toMatchObject({ support_real: false, agree: false, contradiction: false });
    const s = JSON.parse((await runCli(['status', '--db', db, '--json'])).stdout);
    expect(s.fidelity[0]).toMatchObject({ calls: 6, failed: 1 });
  });

  it('wiki_search routed to the real backend: nothing to audit, said once', async () => {
    const db = join(tmp, 'real.sqlite');
    const r = await generate(db, 2, '--index', index, '--audit-rate', '1');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^--audit-rate: nothing to audit, wiki_search is answered by the real backend.*--tool-routing wiki_search=simulated/m);
    expect((await stored(db)).audits).toEqual([]);
  });

  it('a rate out of [0, 1], or a rate without a real backend: one clear line, exit 2', async () => {
    const out = await generate(join(tmp, 'bad-rate.sqlite'), 2, '--index', index, '--audit-rate', '1.5');
    const none = await generate(join(tmp, 'no-backend.sqlite'), 2, '--audit-rate', '0.2');
    for (const r of [out, none]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(out.stderr).toBe('mtr generate: --audit-rate: expected 0 to 1, got 1.5 (see mtr generate --help)\n');
    expect(none.stderr).toBe(
      'mtr generate: --audit-rate: expected a real backend to compare with (--index FILE or --retrieval-url URL), got --audit-rate 0.2 without one (see mtr generate --help)\n',
    );
  });
});
