import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { parseTrace, renderSearchR1Trace } from '../../src/grammar/index.js';
import { generateTraces, type GenerateConfigInput } from '../../src/pipeline/generate.js';
import type { Step } from '../../src/schema/trace.js';
import { openDb, readTraces, runStatus } from '../../src/store/index.js';
import { Bm25Index, buildIndex } from '../../src/tools/bm25.js';
import type { CorpusPassage } from '../../src/tools/corpus.js';
import { mtrError } from '../support/errors.js';
import { type FakeRequest, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { applyStop, scriptedModel, searchR1Prefix } from '../support/scripted-roles.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-gen-sr1-'));
const fast = { maxRetries: 3, retryBaseMs: 5, retryMaxMs: 50, timeoutMs: 5000 };
const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');

const agentRequests = (requests: FakeRequest[]) => requests.filter((r) => !r.response_format);
/** nq_search.py's question handling, written out: stripped, `?` added. */
const sr1Question = (q: string) => (q.trim().endsWith('?') ? q.trim() : `${q.trim()}?`);
/** Search-R1's information block for passages (`_passages2string` over FlashRAG contents `"title"\ntext`, stripped, in blank lines), written out. */
const infoBlock = (results: { title: string; text: string }[]) =>
  `\n\n<information>${results
    .map((r, i) => `Doc ${i + 1}(Title: "${r.title}") ${r.text}\n`)
    .join('')
    .trim()}</information>\n\n`;
const questionOf = (r: FakeRequest) => r.messages[0].content as string;
const withoutIds = (steps: Step[]) =>
  steps.map((s) => ({
    ...s,
    ...(s.call ? { call: { name: s.call.name, arguments: s.call.arguments } } : {}),
    ...(s.observation ? { observation: { content: s.observation.content } } : {}),
  }));

async function run(config: Omit<GenerateConfigInput, 'model' | 'dialect'>, respond: (req: FakeRequest) => ReturnType<ReturnType<typeof scriptedModel>>) {
  const server = await startFakeOpenAI({ respond });
  try {
    const summary = await generateTraces({ dialect: 'search-r1', ...config, model: { baseUrl: server.url, model: 'fake-model', ...fast } });
    return { summary, requests: server.requests };
  } finally {
    await server.close();
  }
}

describe.each(['bamboogle/bamboogle.jsonl', '2wiki/2wiki_dev_qa_500.jsonl'])('generate --dialect search-r1 over %s, search simulated by ToolActor', (file) => {
  it("sends Search-R1's prompt as the one user turn, stores wiki_search steps, and the stored trace is the rollout text", async () => {
    const path = join(SHARED_DATASETS, file);
    const items = await loadItems(path, { limit: 12 });
    const db = join(tmp, `${file.replace(/\W/g, '_')}.sqlite`);
    const { summary, requests } = await run({ dataset: path, limit: 12, db, concurrency: 4, maxTurns: 4 }, scriptedModel({ items, format: 'search-r1' }));
    expect(summary).toMatchObject({ items: 12, finished: 12, failed: 0 });

    const byQuestion = new Map<string, FakeRequest[]>();
    for (const r of agentRequests(requests)) byQuestion.set(questionOf(r), [...(byQuestion.get(questionOf(r)) ?? []), r]);
    // no ToolMaker: the only structured calls are the actor's wiki_search observations
    expect(requests.filter((r) => r.response_format).every((r) => r.response_format.json_schema.name === 'wiki_search_response')).toBe(true);

    const store = openDb(db);
    const traces = readTraces(store, summary.run_id);
    expect(traces.map((t) => t.item_id)).toEqual(items.map((i) => i.id));
    for (const [i, t] of traces.entries()) {
      const item = items[i]!;
      const gold = item.answers[0]!;
      expect(t).toMatchObject({ status: 'finished', stop_reason: 'answer', answer: gold, classification: null });
      expect(t.tools.map((x) => [x.origin, x.tool.api_name])).toEqual([['utility', 'wiki_search']]);
      // the model wrote past </search>; the stop sequence and Search-R1's cut keep the response up to it
      expect(t.steps.map((s) => s.raw)).toEqual([
        `<think>Step 0: I need to search.</think>\n<search> ${item.question} </search>`,
        `<think>Step 1: I need to search.</think>\n<search> ${gold} </search>`,
        `<think>The results agree.</think>\n<answer> ${gold} </answer>`,
      ]);
      expect(t.steps.map((s) => s.call)).toEqual([
        { name: 'wiki_search', arguments: { query: item.question.trim() }, id: 'call_0' },
        { name: 'wiki_search', arguments: { query: gold.trim() }, id: 'call_1' },
        undefined,
      ]);
      expect(t.steps.map((s) => s.think)).toEqual(['Step 0: I need to search.', 'Step 1: I need to search.', 'The results agree.']);
      for (const s of t.steps.slice(0, 2)) expect(['simulated', 'cache']).toContain(s.observation!.source);

      // what the server received: the filled prefix byte for byte, no system prompt, stop at </search>, then
      // each response followed by the environment's information block as the next turn
      const sent = byQuestion.get(searchR1Prefix(sr1Question(item.question)))!;
      expect(sent).toHaveLength(3);
      for (const r of sent) expect(r.raw.stop).toEqual(['</search>']);
      const results = t.steps.slice(0, 2).map((s) => (s.observation!.content as { results: { title: string; text: string }[] }).results);
      expect(sent[2]!.messages).toEqual([
        { role: 'user', content: searchR1Prefix(sr1Question(item.question)) },
        { role: 'assistant', content: t.steps[0]!.raw },
        { role: 'user', content: infoBlock(results[0]!) },
        { role: 'assistant', content: t.steps[1]!.raw },
        { role: 'user', content: infoBlock(results[1]!) },
      ]);

      // the trace rendered in the dialect is the text the agent saw and wrote, in order; it parses back to the steps
      const rollout = `${t.steps[0]!.raw}${infoBlock(results[0]!)}${t.steps[1]!.raw}${infoBlock(results[1]!)}${t.steps[2]!.raw}`;
      expect(renderSearchR1Trace(t.steps)).toBe(rollout);
      const parsed = parseTrace(rollout, { dialect: 'search-r1' });
      expect(parsed.errors).toEqual([]);
      expect(withoutIds(parsed.steps)).toEqual(withoutIds(t.steps));
    }
    const calls = store.prepare('SELECT role, prompt_file, COUNT(*) n FROM model_calls GROUP BY role, prompt_file ORDER BY role').all();
    const simulated = traces.flatMap((t) => t.steps).filter((s) => s.observation?.source === 'simulated').length;
    expect(calls).toEqual([
      { role: 'actor', prompt_file: 'actor.md', n: simulated },
      { role: 'agent', prompt_file: 'search-r1.md', n: 36 },
    ]);
    expect(runStatus(store)).toMatchObject({ traces_finished: 12, answers: 12, duplicates: 0 });
    store.close();
  });
});

describe('generate --dialect search-r1 with a real BM25 index (--index)', () => {
  it('answers each search with the top 3 passages of the index, as Search-R1 renders them; no actor model call', async () => {
    const path = join(SHARED_DATASETS, 'hotpotqa/hotpot_dev_distractor_300.jsonl');
    const items = await loadItems(path, { limit: 10 });
    const passages = new Map<string, CorpusPassage>();
    for (const item of items) for (const p of item.context!) passages.set(`${p.title}\n${p.text}`, { id: String(passages.size), title: p.title, text: p.text });
    const index = join(tmp, 'hotpot10.sqlite');
    await buildIndex(index, passages.values());

    const { summary, requests } = await run(
      { dataset: path, limit: 10, db: join(tmp, 'bm25.sqlite'), index, maxTurns: 4 },
      scriptedModel({ items, format: 'search-r1' }),
    );
    expect(summary).toMatchObject({ finished: 10, failed: 0 });
    expect(requests.filter((r) => r.response_format)).toHaveLength(0);

    const bm25 = new Bm25Index(index);
    const store = openDb(join(tmp, 'bm25.sqlite'));
    for (const t of readTraces(store, summary.run_id)) {
      const query = t.steps[0]!.call!.arguments.query as string;
      const top3 = bm25.search(query, 3).map((h) => ({ title: h.title, text: h.text }));
      expect(top3).toHaveLength(3);
      expect(t.steps[0]!.observation).toEqual({ content: { results: top3 }, source: 'real' });
      const next = agentRequests(requests).find((r) => r.messages.length === 3 && r.messages[1].content === t.steps[0]!.raw)!;
      expect(next.messages[2]).toEqual({ role: 'user', content: infoBlock(top3) });
      expect(infoBlock(top3)).toContain(`<information>Doc 1(Title: "${top3[0]!.title}") `);
    }
    bm25.close();
    store.close();
  });
});

describe('generate --dialect search-r1: malformed turns, resume, one dialect per run', () => {
  const items = async (n: number) => loadItems(BAMBOOGLE, { limit: n });

  it("answers a turn with neither action with Search-R1's correction text and lets the agent try again", async () => {
    const its = await items(3);
    const script = scriptedModel({ items: its, format: 'search-r1' });
    // first turn of every trace: prose and an unclosed answer; afterwards the scripted policy (one turn behind)
    const respond = (req: FakeRequest) => {
      if (req.response_format) return script(req);
      const turn = req.messages.filter((m) => m.role === 'assistant').length;
      if (turn === 0) return { content: applyStop('<think>Hmm.</think> It could be <answer> something', req.raw.stop) };
      return script({ ...req, messages: [req.messages[0], ...req.messages.slice(3)] });
    };
    const { summary, requests } = await run({ dataset: BAMBOOGLE, limit: 3, db: join(tmp, 'malformed.sqlite'), maxTurns: 5 }, respond);
    expect(summary).toMatchObject({ finished: 3, failed: 0 });
    const correction =
      '\nMy previous action is invalid. If I want to search, I should put the query between <search> and </search>. If I want to give the final answer, I should put the answer between <answer> and </answer>. Let me try again.\n';
    const second = agentRequests(requests).filter((r) => r.messages.length === 3);
    expect(second).toHaveLength(3);
    for (const r of second)
      expect(r.messages.slice(1)).toEqual([
        { role: 'assistant', content: '<think>Hmm.</think> It could be <answer> something' },
        { role: 'user', content: correction },
      ]);

    const store = openDb(join(tmp, 'malformed.sqlite'));
    for (const [i, t] of readTraces(store, summary.run_id).entries()) {
      expect(t.answer).toBe(its[i]!.answers[0]);
      expect(t.steps.map((s) => (s.call ? 'search' : s.answer !== undefined ? 'answer' : 'invalid'))).toEqual(['invalid', 'search', 'search', 'answer']);
      expect(t.steps[0]).toEqual({
        index: 0,
        think: 'Hmm.',
        raw: '<think>Hmm.</think> It could be <answer> something',
        observation: {
          content: { error: { type: 'malformed_call', message: correction } },
          error: { type: 'malformed_call', message: 'expected <search> query </search> or <answer> answer </answer>, got neither' },
          source: 'precheck',
        },
      });
    }
    store.close();
  });

  it('--max-turns N: N turns whose searches are run, then a final turn whose search is kept unanswered (do_search=False)', async () => {
    const its = await items(2);
    const script = scriptedModel({ items: its, format: 'search-r1' });
    const { summary, requests } = await run({ dataset: BAMBOOGLE, limit: 2, db: join(tmp, 'final.sqlite'), maxTurns: 1 }, script);
    expect(summary).toMatchObject({ finished: 2 });
    expect(agentRequests(requests)).toHaveLength(4);
    const store = openDb(join(tmp, 'final.sqlite'));
    for (const [i, t] of readTraces(store, summary.run_id).entries()) {
      expect(t).toMatchObject({ stop_reason: 'max_turns', answer: null });
      expect(t.steps.map((s) => [s.call?.arguments.query, s.observation?.source])).toEqual([
        [its[i]!.question.trim(), 'simulated'],
        [its[i]!.answers[0], undefined],
      ]);
      expect(renderSearchR1Trace(t.steps)).toMatch(/<\/information>\n\n<think>Step 1: I need to search.<\/think>\n<search> [^<]+ <\/search>$/);
    }
    store.close();
  });

  it('stops after --max-turns + 1 turns when no turn is an action', async () => {
    const its = await items(2);
    const script = scriptedModel({ items: its });
    const { summary } = await run({ dataset: BAMBOOGLE, limit: 2, db: join(tmp, 'never.sqlite'), maxTurns: 2 }, (req) =>
      req.response_format ? script(req) : { content: 'I think the answer might be somewhere.' },
    );
    const store = openDb(join(tmp, 'never.sqlite'));
    expect(summary).toMatchObject({ finished: 2 });
    for (const t of readTraces(store, summary.run_id)) {
      expect(t).toMatchObject({ stop_reason: 'max_turns', answer: null });
      expect(t.steps.map((s) => s.observation?.error?.type)).toEqual(['malformed_call', 'malformed_call', 'malformed_call']);
    }
    store.close();
  });

  it('resumes: the same command skips finished items, and a hermes run of the same data is another run', async () => {
    const its = await items(8);
    const db = join(tmp, 'resume.sqlite');
    // one server for every run: its URL is part of the run's key
    const sr1 = scriptedModel({ items: its, format: 'search-r1' });
    const hermesScript = scriptedModel({ items: its });
    const server = await startFakeOpenAI({ respond: (req) => (questionOf(req).startsWith('Answer the given question.') ? sr1(req) : hermesScript(req)) });
    const model = { baseUrl: server.url, model: 'fake-model', ...fast };
    const first = await generateTraces({ dataset: BAMBOOGLE, limit: 4, db, dialect: 'search-r1', model });
    const seen = server.requests.length;
    const again = await generateTraces({ dataset: BAMBOOGLE, limit: 8, db, dialect: 'search-r1', model });
    expect(first).toMatchObject({ finished: 4 });
    expect(again).toMatchObject({ run_key: first.run_key, already_finished: 4, finished: 4 });
    expect(agentRequests(server.requests.slice(seen)).map(questionOf)).not.toContain(searchR1Prefix(sr1Question(its[0]!.question)));

    const hermes = await generateTraces({ dataset: BAMBOOGLE, limit: 4, db, model });
    expect(hermes).toMatchObject({ finished: 4, already_finished: 0 });
    expect(hermes.run_key).not.toBe(first.run_key);
    const mixed = await mtrError(generateTraces({ dataset: BAMBOOGLE, limit: 4, db, run: hermes.run_key, dialect: 'search-r1', model }));
    expect([mixed.code, mixed.message]).toEqual([
      'E_USAGE',
      `--dialect: run ${hermes.run_key} was generated with --dialect hermes, got search-r1; pass --dialect hermes or another --run`,
    ]);
    await server.close();
    const store = openDb(db);
    const configs = (store.prepare('SELECT config FROM runs ORDER BY id').all() as { config: string }[]).map((r) => JSON.parse(r.config).dialect);
    expect(configs).toEqual(['search-r1', 'hermes']);
    store.close();
  });

  it('refuses settings Search-R1 has no place for: native tool calls, other utility tools', async () => {
    const base = { dataset: BAMBOOGLE, limit: 1, db: join(tmp, 'refused.sqlite'), dialect: 'search-r1' as const, model: { baseUrl: 'http://127.0.0.1:9/v1' } };
    const native = await mtrError(generateTraces({ ...base, format: 'native' }));
    expect([native.code, native.message]).toEqual([
      'E_USAGE',
      '--format: expected text with --dialect search-r1 (Search-R1 writes <search> in its text), got native',
    ]);
    const tools = await mtrError(generateTraces({ ...base, utilityTools: ['wiki_search', 'calculator'] }));
    expect([tools.code, tools.message]).toEqual([
      'E_USAGE',
      '--utility-tools: expected wiki_search with --dialect search-r1 (its one tool is search), got wiki_search,calculator',
    ]);
  });
});
