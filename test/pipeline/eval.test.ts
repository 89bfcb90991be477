import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptedEvalModel } from '../../fakes/eval-agent.js';
import { loadItems } from '../../src/data/index.js';
import { evalJob, type EvalProgress, type Prediction } from '../../src/pipeline/eval.js';
import type { DatasetItem } from '../../src/schema/item.js';
import { Bm25Index, buildIndex } from '../../src/tools/bm25.js';
import { readCorpus } from '../../src/tools/corpus.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { scriptedModel } from '../support/scripted-roles.js';
import { officialDisagreements } from '../support/official-qa.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { tracesOfRun } from '../support/store.js';

const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const HOTPOT = join(SHARED_DATASETS, 'hotpotqa/hotpot_dev_qa_500.jsonl');
const tmp = mkdtempSync(join(tmpdir(), 'mtr-eval-'));

/** Item i answers: gold (i % 3 = 0), a wrong entity (1), gold plus words (2: EM 0, cover-EM 1, F1 between). */
const scripted = (item: DatasetItem, i: number): string => [item.answers[0]!, 'Nobody Inparticular', `${item.answers[0]} or maybe not`][i % 3]!;

let bamboogle: DatasetItem[];
let hotpot: DatasetItem[];
let server: FakeServer;
let model: { baseUrl: string; model: string };
/** A BM25 index over the shared wiki-18 sample, built once for the tests that search for real. */
let built: Promise<string> | undefined;
const wikiIndex = (): Promise<string> => {
  const index = join(tmp, 'wiki18.sqlite');
  built ??= buildIndex(index, readCorpus(join(SHARED_DATASETS, 'corpus/wiki18_sample_1000.jsonl'))).then(() => index);
  return built;
};
const readPredictions = (dir: string): Prediction[] =>
  readFileSync(join(dir, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const readMetrics = (dir: string) => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
const agentRequests = () => server.requests.filter((r) => !r.response_format);

beforeAll(async () => {
  bamboogle = await loadItems(BAMBOOGLE, { limit: 6 });
  hotpot = await loadItems(HOTPOT, { limit: 4 });
  const answers = new Map([
    ...bamboogle.map((it, i) => [it.question, scripted(it, i)] as const),
    ...hotpot.map((it, i) => [it.question, scripted(it, i)] as const),
  ]);
  server = await startFakeOpenAI({ respond: scriptedEvalModel([...bamboogle, ...hotpot], answers) });
  model = { baseUrl: server.url, model: 'fake-model' };
});
afterAll(() => server.close());

describe('mtr eval (scripted agent on a local OpenAI-compatible server)', () => {
  it('simulated tools: scores each answer against the gold, writes predictions and metrics the official script agrees with, and resumes', async () => {
    const out = join(tmp, 'simulated');
    const progress: EvalProgress[] = [];
    const s = await evalJob.run({ dataset: `${BAMBOOGLE},${HOTPOT}`, out, limit: 6, ...model, concurrency: 3 }, { onProgress: (p) => progress.push(p) });
    expect(s.aborted).toBe(false);
    expect(s.runs.map((r) => [r.dataset, r.items, r.finished])).toEqual([
      ['bamboogle', 6, 6],
      ['hotpotqa', 6, 6],
    ]);
    const hotpot6 = await loadItems(HOTPOT, { limit: 6 });
    const items = [...bamboogle, ...hotpot6];
    const rows = readPredictions(out);
    expect(rows.map((r) => [r.dataset, r.id, r.question, r.golden_answers])).toEqual(items.map((it) => [it.dataset, it.id, it.question, it.answers]));
    // hotpot items 4 and 5 are not scripted: the agent says "unknown"
    const expected = [...bamboogle.map(scripted), ...hotpot.map(scripted), 'unknown', 'unknown'];
    expect(rows.map((r) => r.prediction)).toEqual(expected);
    expect(rows.map((r) => r.em)).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0]);
    expect(rows.map((r) => r.cover_em)).toEqual([1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0]);
    for (const r of rows) expect([r.turns, r.calls]).toEqual([2, 1]); // one search, one answer

    const metrics = readMetrics(out);
    expect(metrics).toEqual(s.metrics);
    expect(Object.keys(metrics.datasets)).toEqual(['bamboogle', 'hotpotqa']);
    expect(metrics.datasets.bamboogle).toMatchObject({ em: 2 / 6, cover_em: 4 / 6, turns: 2, calls: 1, n: 6 });
    expect(metrics.datasets.hotpotqa).toMatchObject({ em: 2 / 6, cover_em: 3 / 6, n: 6 });
    expect(metrics.mean).toMatchObject({ em: 2 / 6, cover_em: (4 / 6 + 3 / 6) / 2, n: 12 });
    expect(officialDisagreements(out)).toEqual([]);

    // utility tools by default: no ToolMaker call; every search answered by ToolActor
    expect(server.requests.some((r) => r.response_format?.json_schema?.name === 'tool_set')).toBe(false);
    const traces = await tracesOfRun(join(out, 'eval.sqlite'), s.runs[0]!.run_key);
    for (const t of traces) {
      expect(t.tools.map((x) => [x.origin, x.tool.api_name])).toEqual([['utility', 'wiki_search']]);
      expect(t.steps[0]!.observation!.source).toBe('simulated');
    }
    expect(progress.at(-1)).toMatchObject({ total: 12, done: 12, failed: 0, dataset: 'hotpotqa' });

    const before = server.requests.length;
    const again = await evalJob.run({ dataset: `${BAMBOOGLE},${HOTPOT}`, out, limit: 6, ...model });
    expect(server.requests.length).toBe(before); // resumed: nothing left to ask
    expect(again.runs.map((r) => [r.already_finished, r.finished])).toEqual([
      [6, 0],
      [6, 0],
    ]);
    expect(again.metrics).toEqual(s.metrics);
    expect(readPredictions(out)).toEqual(rows);
  });

  it('real tools: every search is answered by the BM25 index (source real), none by ToolActor', async () => {
    const index = await wikiIndex();
    const out = join(tmp, 'real');
    const actorBefore = server.requests.filter((r) => r.response_format).length;
    const s = await evalJob.run({ dataset: BAMBOOGLE, out, limit: 6, tools: 'real', index, ...model });
    expect(server.requests.filter((r) => r.response_format).length).toBe(actorBefore);
    const bm25 = new Bm25Index(index);
    try {
      const traces = await tracesOfRun(join(out, 'eval.sqlite'), s.runs[0]!.run_key);
      expect(traces.map((t) => t.item_id)).toEqual(bamboogle.map((i) => i.id));
      for (const [i, t] of traces.entries()) {
        const obs = t.steps[0]!.observation!;
        expect(obs.source).toBe('real');
        expect(obs.content).toEqual({ results: bm25.search(bamboogle[i]!.question, 3).map((h) => ({ title: h.title, text: h.text })) });
      }
    } finally {
      bm25.close();
    }
    expect(s.metrics.datasets.bamboogle).toMatchObject({ em: 2 / 6, cover_em: 4 / 6, calls: 1 });
    expect(officialDisagreements(out)).toEqual([]);
  });

  it('per-role model flags override --base-url: the agent on its own server, ToolActor on the shared one', async () => {
    const agentServer = await startFakeOpenAI({ respond: scriptedEvalModel(bamboogle, new Map(bamboogle.map((it) => [it.question, it.answers[0]!]))) });
    try {
      const actorBefore = server.requests.filter((r) => r.response_format).length;
      const agentBefore = agentRequests().length;
      const s = await evalJob.run({ dataset: BAMBOOGLE, out: join(tmp, 'roles'), limit: 3, baseUrl: server.url, agentBaseUrl: agentServer.url });
      expect(s.metrics.datasets.bamboogle).toMatchObject({ em: 1, n: 3 });
      expect(agentServer.requests.filter((r) => !r.response_format)).toHaveLength(6); // search, then answer
      expect(agentServer.requests.filter((r) => r.response_format)).toHaveLength(0);
      expect(agentRequests().length).toBe(agentBefore);
      expect(server.requests.filter((r) => r.response_format).length - actorBefore).toBe(3); // one simulated search each
    } finally {
      await agentServer.close();
    }
  });

  it('hybrid tools: the first --warmup items are answered by ToolActor, the rest by the index', async () => {
    const index = await wikiIndex();
    const s = await evalJob.run({ dataset: BAMBOOGLE, out: join(tmp, 'hybrid'), limit: 6, tools: 'hybrid', warmup: 2, index, ...model });
    const traces = await tracesOfRun(join(tmp, 'hybrid', 'eval.sqlite'), s.runs[0]!.run_key);
    expect(traces.map((t) => t.steps[0]!.observation!.source)).toEqual(['simulated', 'simulated', 'real', 'real', 'real', 'real']);
  });

  it('stopped early (Ctrl-C): nothing is written, and the same command resumes and writes both files', async () => {
    const out = join(tmp, 'stopped');
    const stop = new AbortController();
    const input = { dataset: BAMBOOGLE, out, limit: 6, concurrency: 1, toolsFrom: 'none' as const, ...model };
    const s = await evalJob.run(input, { signal: stop.signal, onProgress: (p) => p.done > 0 && stop.abort() });
    expect(s.aborted).toBe(true);
    expect(s.runs[0]!.finished).toBeLessThan(6);
    expect(existsSync(join(out, 'metrics.json')) || existsSync(join(out, 'predictions.jsonl'))).toBe(false);
    const again = await evalJob.run(input);
    expect(again.runs[0]!.already_finished).toBe(s.runs[0]!.finished);
    expect(readPredictions(out)).toHaveLength(6);
  });

  it("Search-R1's dialect over the index: its rollout (search, search, answer) scored like any other", async () => {
    const sr1 = await startFakeOpenAI({ respond: scriptedModel({ items: bamboogle, format: 'search-r1' }) });
    try {
      const index = await wikiIndex();
      const out = join(tmp, 'search-r1');
      const s = await evalJob.run({ dataset: BAMBOOGLE, out, limit: 6, dialect: 'search-r1', maxTurns: 4, tools: 'real', index, baseUrl: sr1.url });
      expect(readPredictions(out).map((r) => r.prediction)).toEqual(bamboogle.map((i) => i.answers[0]));
      expect(s.metrics.datasets.bamboogle).toMatchObject({ em: 1, f1: 1, cover_em: 1, turns: 3, calls: 2, n: 6 });
      const traces = await tracesOfRun(join(out, 'eval.sqlite'), s.runs[0]!.run_key);
      for (const t of traces) expect(t.steps.slice(0, 2).map((x) => x.observation!.source)).toEqual(['real', 'real']);
      expect(officialDisagreements(out)).toEqual([]);
    } finally {
      await sr1.close();
    }
  });

  it('--tools-from none: no tools, no tool call; the agent answers from its own knowledge (another run)', async () => {
    const out = join(tmp, 'none');
    const seen = agentRequests().length;
    const s = await evalJob.run({ dataset: BAMBOOGLE, out, limit: 6, toolsFrom: 'none', ...model });
    const asked = agentRequests().slice(seen);
    expect(asked).toHaveLength(6); // one turn each
    for (const r of asked) expect(r.messages[0].content).not.toContain('wiki_search');
    const traces = await tracesOfRun(join(out, 'eval.sqlite'), s.runs[0]!.run_key);
    for (const t of traces) {
      expect(t.tools).toEqual([]);
      expect(t.steps.map((x) => x.call)).toEqual([undefined]);
    }
    expect(s.metrics.datasets.bamboogle).toMatchObject({ em: 2 / 6, turns: 1, calls: 0, n: 6 });
    expect(readPredictions(out).map((r) => r.prediction)).toEqual(bamboogle.map(scripted));
  });

  it("--tools-from maker: ToolMaker designs the item's tools first (the tools-on arm of the ablation)", async () => {
    const out = join(tmp, 'maker');
    const makerBefore = server.requests.filter((r) => r.response_format?.json_schema?.name === 'tool_set').length;
    const s = await evalJob.run({ dataset: BAMBOOGLE, out, limit: 3, toolsFrom: 'maker', ...model });
    expect(server.requests.filter((r) => r.response_format?.json_schema?.name === 'tool_set').length - makerBefore).toBe(3);
    const traces = await tracesOfRun(join(out, 'eval.sqlite'), s.runs[0]!.run_key);
    for (const t of traces) expect(t.tools.map((x) => x.origin)).toEqual(['maker', 'utility']);
    expect(s.metrics.datasets.bamboogle).toMatchObject({ em: 1 / 3, n: 3 });
  });
});
