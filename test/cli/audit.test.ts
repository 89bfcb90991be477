import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { generateTraces } from '../../src/pipeline/generate.js';
import type { DatasetItem } from '../../src/schema/item.js';
import { Bm25Index, buildIndex } from '../../src/tools/bm25.js';
import { readCorpus } from '../../src/tools/corpus.js';
import { runCli } from '../support/cli.js';
import { type FakeRequest, type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { scriptedModel } from '../support/scripted-roles.js';
import { supportsByHand } from '../support/support-check.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-audit-'));
const DATASET = join(SHARED_DATASETS, 'musique/musique_train_100_with_paragraphs.json');
const index = join(tmp, 'musique.sqlite');
const UNRELATED = { title: 'Unrelated Topic', text: 'Nothing relevant is known here.' };
/** the one query the scripted actor cannot answer (garbage every time): a failed simulation */
let broken = '';

/**
 * ToolActor played by a script that reads its prompt as a model would: shown supporting passages (gold, or a
 * noisy draw that turned out useful) it returns the first one; told to be noisy, the first distractor; shown
 * nothing (mode none), an unrelated passage.
 */
function scriptedActor(req: FakeRequest) {
  const prompt = req.messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
  if (broken && prompt.includes(JSON.stringify(broken))) return { content: 'no JSON here' };
  const after = (marker: string) => {
    const at = prompt.indexOf(marker);
    const line = at < 0 ? undefined : prompt.slice(at + marker.length).match(/^- (.+?): (.+)$/m);
    return line ? { title: line[1]!, text: line[2]! } : undefined;
  };
  const passage = after('Supporting passages:\n') ?? after('distractor passages:\n') ?? UNRELATED;
  return { content: JSON.stringify({ results: [passage] }) };
}

const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

type Row = {
  tool: string;
  mode: string;
  from: string;
  item_id: string;
  arguments: { query: string };
  gold: { answers: string[]; titles: string[] };
  real: { results: { title: string; text: string }[] };
  simulated: { results: { title: string; text: string }[] } | null;
  failed: boolean;
  latency_ms_real: number;
  latency_ms_simulated: number;
  metrics: Record<string, number | boolean | null>;
};
const readRows = (dir: string): Row[] =>
  readFileSync(join(dir, 'calls.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

let actor: FakeServer;
let items: DatasetItem[];
beforeAll(async () => {
  await buildIndex(index, readCorpus(join(SHARED_DATASETS, 'corpus/musique_train100_corpus.json')));
  items = await loadItems(DATASET, { limit: 3 });
  broken = items[0]!.decomposition![0]!.question;
  actor = await startFakeOpenAI({ respond: scriptedActor });
}, 60_000);
afterAll(() => actor.close());

const actorFlags = () => ['--actor-base-url', actor.url, '--retries', '0', '--max-attempts', '1'];

describe('mtr audit fidelity --dataset: a real BM25 index against a scripted ToolActor', () => {
  const out = join(tmp, 'dataset');
  let rows: Row[];
  let stdout: string;

  beforeAll(async () => {
    // noisy at a share of 1 from start to end: every noisy answer is a distractor, so its figures are known
    const noise = ['--noise-start', '1', '--noise-end', '1'];
    const r = await runCli(['audit', 'fidelity', '--dataset', DATASET, '--index', index, '--limit', '6', '--out', out, ...noise, ...actorFlags()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    stdout = r.stdout;
    rows = readRows(out);
  }, 60_000);

  it("asks each item's question, then each hop with #k filled by hop k's answer, in all three modes", () => {
    const queries: string[] = [];
    for (const item of items) {
      const hops = item.decomposition ?? [];
      queries.push(item.question, ...hops.map((h) => h.question.replace(/#(\d+)/g, (_, k) => hops[Number(k) - 1]!.answers[0]!)));
    }
    const audited = [...new Set(rows.map((r) => r.arguments.query))];
    expect(audited).toEqual(queries.slice(0, 6));
    expect(audited.some((q) => q.includes('#'))).toBe(false);
    expect(rows.map((r) => r.mode)).toEqual(audited.flatMap(() => ['none', 'gold', 'noisy']));
    const hop = rows.find((r) => r.from === `item ${items[0]!.id} hop 2`)!;
    expect(hop.gold.answers).toEqual([...items[0]!.answers, ...items[0]!.decomposition![1]!.answers]);
  });

  it('the real side is the BM25 index itself (top 3), the simulated side what the actor said', () => {
    const bm25 = new Bm25Index(index);
    try {
      for (const r of rows) expect(r.real.results).toEqual(bm25.search(r.arguments.query, 3).map((h) => ({ title: h.title, text: h.text })));
    } finally {
      bm25.close();
    }
    for (const r of rows.filter((x) => x.mode === 'none' && !x.failed)) expect(r.simulated).toEqual({ results: [UNRELATED] });
    for (const r of rows.filter((x) => x.mode === 'gold' && !x.failed)) expect(r.gold.titles).toContain(r.simulated!.results[0]!.title);
    for (const r of rows.filter((x) => x.mode === 'noisy' && !x.failed)) {
      const item = items.find((i) => i.id === r.item_id)!;
      expect(item.context!.filter((p) => !p.supporting).map((p) => p.title)).toContain(r.simulated!.results[0]!.title);
    }
  });

  it('each call has the figures its answers give by hand', () => {
    for (const r of rows) {
      const gold = [...r.gold.answers, ...r.gold.titles];
      const realTitles = [...new Set(r.real.results.map((p) => p.title))];
      const simTitles = new Set(r.simulated?.results.map((p) => p.title) ?? []);
      expect(r.metrics.support_real).toBe(supportsByHand(r.real, gold));
      expect(r.metrics.support_simulated).toBe(r.simulated ? supportsByHand(r.simulated, gold) : false);
      expect(r.metrics.title_overlap).toBe(realTitles.filter((t) => simTitles.has(t)).length / realTitles.length);
      expect(r.metrics.contradiction).toBe(r.metrics.support_real === true && r.metrics.support_simulated === false);
      expect(r.metrics.schema_valid).toBe(!r.failed);
    }
    // by construction: mode none never supports, gold always does (it returns a supporting passage)
    expect(rows.filter((r) => r.mode === 'none').every((r) => r.metrics.support_simulated === false)).toBe(true);
    expect(rows.filter((r) => r.mode === 'gold' && !r.failed).every((r) => r.metrics.support_simulated === true)).toBe(true);
    // the query the actor cannot answer failed in every mode, with the reason
    const failed = rows.filter((r) => r.failed);
    expect(failed.map((r) => [r.arguments.query, r.mode, r.simulated])).toEqual(['none', 'gold', 'noisy'].map((m) => [broken, m, null]));
  });

  it('fidelity.json: every figure is the mean of calls.jsonl over its (tool, mode)', () => {
    const file = JSON.parse(readFileSync(join(out, 'fidelity.json'), 'utf8'));
    expect(file.entries.map((e: { tool: string; mode: string }) => `${e.tool}/${e.mode}`)).toEqual([
      'wiki_search/none',
      'wiki_search/gold',
      'wiki_search/noisy',
    ]);
    for (const e of file.entries) {
      const g = rows.filter((r) => r.tool === e.tool && r.mode === e.mode);
      const share = (k: string) => meanOf(g.map((r) => (r.metrics[k] ? 1 : 0)));
      expect(e.calls).toBe(6);
      expect(e.failed).toBe(1);
      expect(e.schema_valid).toBe(share('schema_valid'));
      expect(e.support_real).toBe(share('support_real'));
      expect(e.support_simulated).toBe(share('support_simulated'));
      expect(e.agreement).toBe(share('agree'));
      expect(e.contradiction).toBe(share('contradiction'));
      expect(e.leak).toBe(share('leak'));
      expect(e.title_overlap).toBeCloseTo(meanOf(g.map((r) => r.metrics.title_overlap as number)), 12);
      expect(e.token_f1).toBeCloseTo(meanOf(g.map((r) => r.metrics.token_f1 as number)), 12);
      expect(e.latency_ms_real).toBeCloseTo(meanOf(g.map((r) => r.latency_ms_real)), 9);
      expect(e.latency_ms_simulated).toBeCloseTo(meanOf(g.map((r) => r.latency_ms_simulated)), 9);
    }
    const [none, gold] = file.entries;
    expect(none.support_simulated).toBe(0);
    expect(none.schema_valid).toBeCloseTo(5 / 6, 12);
    expect(gold.support_simulated).toBeCloseTo(5 / 6, 12);
    expect(gold.support_real).toBe(none.support_real); // the same real answers under every mode
  });

  it('prints the table and one verdict per tool and mode', () => {
    const file = JSON.parse(readFileSync(join(out, 'fidelity.json'), 'utf8'));
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    expect(stdout).toMatch(/^6 calls from .*musique_train_100_with_paragraphs\.json\n/);
    expect(stdout).toMatch(/tool\/mode +calls +failed +valid +support real +support sim +agree/);
    for (const e of file.entries) {
      expect(stdout).toMatch(
        new RegExp(`^wiki_search/${e.mode} +6 +1 +${pct(e.schema_valid)} +${pct(e.support_real)} +${pct(e.support_simulated)} +${pct(e.agreement)} `, 'm'),
      );
      expect(stdout).toContain(
        `wiki_search/${e.mode}: simulated agrees with real on ${pct(e.agreement)} of 6 calls; answer support real ${pct(e.support_real)} vs simulated ${pct(e.support_simulated)}\n`,
      );
    }
  });
});

describe('mtr audit fidelity --from-run: the wiki_search calls of a generated run', () => {
  let db: string;
  let empty: string;
  let badCall: string;
  beforeAll(async () => {
    const gen = await startFakeOpenAI({ respond: scriptedModel({ items }) });
    const model = { baseUrl: gen.url, model: 'fake-model', maxRetries: 0, timeoutMs: 5000 };
    try {
      db = join(tmp, 'run.sqlite');
      await generateTraces({ dataset: DATASET, limit: 3, db, concurrency: 3, maxTurns: 6, model });
      // one turn: the agent calls its task tool and is stopped before it ever searches
      empty = join(tmp, 'no-search.sqlite');
      await generateTraces({ dataset: DATASET, limit: 2, db: empty, concurrency: 2, maxTurns: 1, model });
    } finally {
      await gen.close();
    }
    // the second item's search is sent without its query: a call no tool would answer
    const scripted = scriptedModel({ items });
    const bad = await startFakeOpenAI({
      respond: (req) => {
        const r = scripted(req) as { content?: string };
        const second = JSON.stringify(items[1]!.question);
        return r.content?.includes(`"query":${second}`) ? { ...r, content: r.content.replace(`{"query":${second}}`, '{"top_k":3}') } : r;
      },
    });
    try {
      badCall = join(tmp, 'bad-call.sqlite');
      await generateTraces({ dataset: DATASET, limit: 3, db: badCall, concurrency: 3, maxTurns: 6, model: { ...model, baseUrl: bad.url } });
    } finally {
      await bad.close();
    }
  }, 60_000);

  it("audits each finished trace's search, judged by its item's gold", async () => {
    const out = join(tmp, 'run');
    const r = await runCli(['audit', 'fidelity', '--from-run', db, '--index', index, '--modes', 'gold', '--out', out, '--json', ...actorFlags()]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    const rows = readRows(out);
    expect(s).toMatchObject({ calls: 3, skipped: 0, modes: ['gold'], aborted: false });
    expect(rows.map((x) => [x.item_id, x.arguments.query, x.mode])).toEqual(items.map((i) => [i.id, i.question, 'gold']));
    for (const [i, x] of rows.entries()) {
      expect(x.from).toMatch(/^trace \d+ step 1$/);
      expect(x.gold).toEqual({ answers: items[i]!.answers, titles: items[i]!.context!.filter((p) => p.supporting).map((p) => p.title) });
      expect(x.metrics.support_simulated).toBe(true);
    }
    expect(s.entries).toHaveLength(1);
    expect(s.entries[0]).toMatchObject({ tool: 'wiki_search', mode: 'gold', calls: 3, failed: 0, schema_valid: 1, support_simulated: 1 });
    expect(s.entries[0].support_real).toBe(meanOf(rows.map((x) => (x.metrics.support_real ? 1 : 0))));
    expect(s.verdicts).toEqual([
      expect.stringMatching(/^wiki_search\/gold: simulated agrees with real on \d+% of 3 calls; answer support real \d+% vs simulated 100%$/),
    ]);
  });

  it('a stored call that fails the pre-check is skipped and named; the others are audited', async () => {
    const out = join(tmp, 'bad-call');
    const r = await runCli(['audit', 'fidelity', '--from-run', badCall, '--index', index, '--modes', 'none', '--out', out, '--json', ...actorFlags()]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ calls: 2, skipped: 1 });
    expect(r.stderr).toMatch(/^mtr audit fidelity: skipped trace \d+ step 1: .*query.*\n$/);
    expect(readRows(out).map((x) => x.item_id)).toEqual([items[0]!.id, items[2]!.id]);
  });

  it('a run without wiki_search calls: one clear line, exit 1', async () => {
    const r = await runCli(['audit', 'fidelity', '--from-run', empty, '--index', index, '--out', join(tmp, 'empty'), ...actorFlags()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mtr audit fidelity: nothing to audit \(E_EMPTY\): .*no-search\.sqlite:\S+ has no wiki_search call in its finished traces/);
  });
});

describe('mtr audit fidelity --retrieval-url: a Search-R1 retrieval server is the same real side', () => {
  it('gives the real answers the index gives, call for call', async () => {
    // a stand-in for Search-R1's retrieval_server.py over the same BM25 index
    const bm25 = new Bm25Index(index);
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const { queries, topk } = JSON.parse(body) as { queries: string[]; topk: number };
        const result = queries.map((q) => bm25.search(q, topk).map((h) => ({ document: { title: h.title, text: h.text }, score: h.score })));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const out = join(tmp, 'retrieval');
      const r = await runCli([
        'audit',
        'fidelity',
        '--dataset',
        DATASET,
        '--retrieval-url',
        url,
        '--limit',
        '6',
        '--modes',
        'none',
        '--out',
        out,
        ...actorFlags(),
      ]);
      expect(r.code).toBe(0);
      const rows = readRows(out);
      expect(rows).toHaveLength(6);
      for (const x of rows) expect(x.real.results).toEqual(bm25.search(x.arguments.query, 3).map((h) => ({ title: h.title, text: h.text })));
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      bm25.close();
    }
  });

  it('a dead retrieval server stops the audit before any simulation', async () => {
    const before = actor.requests.length;
    const r = await runCli(['audit', 'fidelity', '--dataset', DATASET, '--retrieval-url', 'http://127.0.0.1:9', '--out', join(tmp, 'dead'), ...actorFlags()]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('127.0.0.1:9');
    expect(actor.requests.length).toBe(before);
  });
});

describe('mtr audit fidelity: bad input', () => {
  it('no real backend: E_USAGE naming --index and --retrieval-url, exit 2', async () => {
    const r = await runCli(['audit', 'fidelity', '--dataset', DATASET, '--out', join(tmp, 'x'), ...actorFlags()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^mtr audit fidelity: expected a real backend to compare with: --index FILE .* or --retrieval-url URL, got neither \(see mtr audit fidelity --help\)\n$/,
    );
  });
  it('no source, or both; an unknown mode', async () => {
    const none = await runCli(['audit', 'fidelity', '--index', index, '--out', join(tmp, 'x'), ...actorFlags()]);
    expect([none.code, none.stderr]).toEqual([
      2,
      expect.stringContaining('expected one source of calls: --from-run DB[:RUN] or --dataset FILE|NAME, got neither'),
    ]);
    const mode = await runCli(['audit', 'fidelity', '--dataset', DATASET, '--index', index, '--modes', 'gold,exact', '--out', join(tmp, 'x')]);
    expect([mode.code, mode.stderr]).toEqual([
      2,
      expect.stringContaining('--modes: expected a comma-separated list of distinct grounding modes (none, gold, noisy)'),
    ]);
  });
});
