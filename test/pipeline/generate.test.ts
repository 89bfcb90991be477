import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { generateJob, GenerateSummary, generateTraces, resolveGenerateConfig } from '../../src/pipeline/generate.js';
import { MODEL_DEFAULTS } from '../../src/llm/config.js';
import { validateJson } from '../../src/schema/json-schema.js';
import { responsesJsonSchema } from '../../src/schema/tool-convert.js';
import { openDb, readTraces, runStatus } from '../../src/store/index.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { scriptedModel, TASK_TOOL } from '../support/scripted-roles.js';

const DATASETS = ['bamboogle/bamboogle.jsonl', 'hotpotqa/hotpot_dev_distractor_300.jsonl', '2wiki/2wiki_dev_qa_500.jsonl', 'musique/musique_dev_qa_500.jsonl'];

const tmp = mkdtempSync(join(tmpdir(), 'mtr-gen-'));
const fast = { maxRetries: 3, retryBaseMs: 5, retryMaxMs: 50, timeoutMs: 5000 };

describe.each(DATASETS)('generate over %s (20 items, real ChatOpenAI → local server)', (file) => {
  let server: FakeServer;
  const path = join(SHARED_DATASETS, file);

  beforeAll(async () => {
    const items = await loadItems(path, { limit: 20 });
    server = await startFakeOpenAI({ respond: scriptedModel({ items }) });
  });
  afterAll(() => server.close());

  it('stores one finished trace per item with its tools, steps, observations, answer and model calls', async () => {
    const db = join(tmp, `${file.replace(/\W/g, '_')}.sqlite`);
    const items = await loadItems(path, { limit: 20 });
    const summary = await generateTraces({
      dataset: path,
      limit: 20,
      db,
      concurrency: 8,
      maxTurns: 6,
      model: { baseUrl: server.url, model: 'fake-model', ...fast },
    });
    expect(summary).toMatchObject({ items: 20, finished: 20, failed: 0, aborted: false });

    const store = openDb(db);
    const traces = readTraces(store, summary.run_id);
    expect(traces.map((t) => t.item_id)).toEqual(items.map((i) => i.id));
    for (const [i, t] of traces.entries()) {
      expect(t.status).toBe('finished');
      expect(t.stop_reason).toBe('answer');
      expect(t.answer).toBe(items[i]!.answers[0]);
      expect(t.classification).toEqual({ domain: 'encyclopedia', reasoning_type: 'bridge', hops: 2 });
      expect(t.tools.map((x) => [x.origin, x.tool.api_name])).toEqual([
        ['maker', TASK_TOOL.api_name],
        ['utility', 'wiki_search'],
      ]);
      expect(t.steps.map((s) => s.call?.name ?? 'answer')).toEqual([TASK_TOOL.api_name, 'wiki_search', 'answer']);
      expect(t.steps[0]!.call!.arguments).toEqual({ entity: items[i]!.question, attribute: 'answer' });
      for (const s of t.steps.slice(0, 2)) {
        const tool = t.tools.find((x) => x.tool.api_name === s.call!.name)!.tool;
        expect(s.observation!.source).toBe('simulated');
        expect(validateJson(responsesJsonSchema(tool), s.observation!.content).ok).toBe(true);
        expect(s.raw).toContain('<tool_call>');
        expect(s.think).toMatch(/^Step \d: I should use/);
      }
    }
    const calls = store.prepare('SELECT role, COUNT(*) n, MIN(prompt_hash) h, MIN(tokens_in) tin FROM model_calls GROUP BY role ORDER BY role').all() as {
      role: string;
      n: number;
      h: string;
      tin: number;
    }[];
    // per trace: maker = classify + tools; agent = 3 turns; actor = 2 observations
    expect(calls.map((c) => [c.role, c.n])).toEqual([
      ['actor', 40],
      ['agent', 60],
      ['maker', 40],
    ]);
    for (const c of calls) {
      expect(c.h).toMatch(/^[0-9a-f]{16}$/);
      expect(c.tin).toBeGreaterThan(0);
    }
    const status = runStatus(store);
    expect(status).toMatchObject({ items_total: 20, traces_finished: 20, traces_failed: 0, duplicates: 0, steps: 60, tool_calls: 40, model_calls: 140 });
    store.close();
  });
});

describe('generate under injected faults', () => {
  it('retries 429/500/timeouts, repairs malformed JSON and broken tool schemas, and records every failed attempt', async () => {
    const items = await loadItems(join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl'), { limit: 20 });
    const script = scriptedModel({ items, needsRepair: true });
    const faults = ['429', '500', 'hang', 'malformed'] as const;
    const server = await startFakeOpenAI({
      respond: (req, n) => {
        const fault = n % 7 === 3 ? faults[((n / 7) % 4) | 0] : undefined;
        if (fault === '429') return { status: 429, body: '{"error":{"message":"slow down"}}', headers: { 'retry-after': '0' } };
        if (fault === '500') return { status: 500, body: '{"error":{"message":"boom"}}' };
        if (fault === 'hang') return { hang: true };
        const reply = script(req);
        if (fault === 'malformed' && req.response_format && 'content' in reply) return { content: `${reply.content!.slice(0, -3)} oops` };
        return reply;
      },
    });
    const db = join(tmp, 'faults.sqlite');
    const summary = await generateTraces({
      dataset: join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl'),
      limit: 20,
      db,
      concurrency: 4,
      model: { baseUrl: server.url, ...fast, timeoutMs: 300 },
    });
    await server.close();
    expect(summary).toMatchObject({ finished: 20, failed: 0 });

    const store = openDb(db);
    const traces = readTraces(store, summary.run_id);
    for (const t of traces) {
      expect(t.rejected_tools).toHaveLength(1);
      expect(t.rejected_tools[0]!.reasons.join(' ')).toMatch(/api_name: expected snake_case.*required: "year" is not a parameter/);
      expect(t.tools.map((x) => x.tool.api_name)).toEqual([TASK_TOOL.api_name, 'wiki_search']);
    }
    const failed = store.prepare('SELECT error, raw FROM model_calls WHERE ok = 0').all() as { error: string; raw: string | null }[];
    const [transport, shape] = [failed.filter((f) => f.error.startsWith('retried: ')), failed.filter((f) => !f.error.startsWith('retried: '))];
    expect(shape.length).toBeGreaterThan(0);
    for (const f of shape) expect(f.raw).toMatch(/oops$/);
    // each retried request is a row too, with the server's body when it sent one
    expect(new Set(transport.map((f) => f.raw))).toEqual(new Set(['{"message":"slow down"}', '{"message":"boom"}', null]));
    expect(transport.some((f) => f.error.includes('no answer within 300 ms'))).toBe(true);
    const retried = store.prepare(`SELECT COUNT(*) n FROM model_calls WHERE params LIKE '%"retries"%'`).get() as { n: number };
    expect(retried.n).toBeGreaterThan(0);
    expect(runStatus(store).duplicates).toBe(0);
    store.close();
  });
});

describe('generate when the store fails', () => {
  it('stops the run with the store error instead of leaving it as an unhandled rejection', async () => {
    const file = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
    const items = await loadItems(file, { limit: 3 });
    const server = await startFakeOpenAI({ respond: scriptedModel({ items }) });
    const db = join(tmp, 'store-fails.sqlite');
    let broken = false;
    // Once the run is set up, another connection makes every new trace row fail, as a full disk would.
    const breakStore = () => {
      if (broken) return;
      broken = true;
      const other = openDb(db);
      other.exec(`CREATE TRIGGER no_traces BEFORE INSERT ON traces BEGIN SELECT RAISE(ABORT, 'database or disk is full (test)'); END`);
      other.close();
    };
    const run = generateTraces({ dataset: file, limit: 3, db, concurrency: 2, model: { baseUrl: server.url, ...fast } }, { onProgress: breakStore });
    await expect(run).rejects.toThrow(/disk is full \(test\)/);
    await server.close();
    const store = openDb(db);
    expect(runStatus(store)).toMatchObject({ items_total: 3, traces_finished: 0, traces_running: 0 });
    expect(store.prepare('SELECT owner_pid FROM runs').get()).toEqual({ owner_pid: null });
    store.close();
  });
});

describe('agent formats and turn outcomes', () => {
  const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');

  it('native tool_calls map to the same stored steps as the text format', async () => {
    const items = await loadItems(BAMBOOGLE, { limit: 5 });
    const server = await startFakeOpenAI({ respond: scriptedModel({ items, format: 'native' }) });
    const summary = await generateTraces({
      dataset: BAMBOOGLE,
      limit: 5,
      db: join(tmp, 'native.sqlite'),
      format: 'native',
      model: { baseUrl: server.url, ...fast },
    });
    const agentRequests = server.requests.filter((r) => !r.response_format);
    await server.close();
    expect(summary).toMatchObject({ finished: 5, failed: 0 });
    const store = openDb(join(tmp, 'native.sqlite'));
    for (const [i, t] of readTraces(store, summary.run_id).entries()) {
      expect(t.answer).toBe(items[i]!.answers[0]);
      expect(t.steps.map((s) => s.call?.name ?? 'answer')).toEqual([TASK_TOOL.api_name, 'wiki_search', 'answer']);
      expect(t.steps[0]!.raw).toContain(`<tool_call>\n{"name":"${TASK_TOOL.api_name}"`);
      expect(t.steps[0]!.think).toBe('Step 0: look up lookup_entity_fact.');
    }
    // The agent offered the tools natively, and read observations as tool messages answering its call ids.
    expect(agentRequests[0]!.tools!.map((t: { function: { name: string } }) => t.function.name)).toEqual([TASK_TOOL.api_name, 'wiki_search']);
    const last = agentRequests.at(-1)!.messages;
    const toolMessage = last.find((m: { role: string }) => m.role === 'tool');
    const assistant = last.find((m: { role: string; tool_calls?: unknown[] }) => m.role === 'assistant' && m.tool_calls);
    expect(toolMessage.tool_call_id).toBe(assistant.tool_calls[0].id);
    store.close();
  });

  it('a malformed agent turn gets a format error observation; the trace stops at --max-turns without an answer', async () => {
    const items = await loadItems(BAMBOOGLE, { limit: 2 });
    const script = scriptedModel({ items });
    const server = await startFakeOpenAI({ respond: (req) => (req.response_format ? script(req) : { content: 'I think the answer might be somewhere.' }) });
    const summary = await generateTraces({
      dataset: BAMBOOGLE,
      limit: 2,
      db: join(tmp, 'malformed.sqlite'),
      maxTurns: 3,
      model: { baseUrl: server.url, ...fast },
    });
    const lastAgent = server.requests.filter((r) => !r.response_format).at(-1)!;
    await server.close();
    expect(summary).toMatchObject({ finished: 2, failed: 0 });
    const store = openDb(join(tmp, 'malformed.sqlite'));
    for (const t of readTraces(store, summary.run_id)) {
      expect(t).toMatchObject({ stop_reason: 'max_turns', answer: null });
      expect(t.steps).toHaveLength(3);
      for (const s of t.steps)
        expect(s.observation).toMatchObject({ source: 'precheck', error: { type: 'malformed_call', message: expect.stringContaining('missing_action') } });
    }
    expect(JSON.stringify(lastAgent.messages.at(-1))).toContain('<tool_response>');
    expect(runStatus(store)).toMatchObject({ answers: 0, stopped_at_max_turns: 2 });
    store.close();
  });

  it('an ill-typed call is answered by the pre-check with no actor model call; an unknown tool likewise', async () => {
    const items = await loadItems(BAMBOOGLE, { limit: 1 });
    const script = scriptedModel({ items });
    const calls = [
      { name: TASK_TOOL.api_name, arguments: { entity: 42 } },
      { name: 'get_secret', arguments: {} },
    ];
    const server = await startFakeOpenAI({
      respond: (req) => {
        if (req.response_format) return script(req);
        const turn = req.messages.filter((m) => m.role === 'assistant').length;
        const call = calls[turn];
        return {
          content: call ? `<think>try</think><tool_call>${JSON.stringify(call)}</tool_call>` : `<think>done</think><answer>${items[0]!.answers[0]}</answer>`,
        };
      },
    });
    const summary = await generateTraces({ dataset: BAMBOOGLE, limit: 1, db: join(tmp, 'precheck.sqlite'), model: { baseUrl: server.url, ...fast } });
    const actorRequests = server.requests.filter((r) => r.response_format?.json_schema?.name?.endsWith('_response'));
    await server.close();
    expect(actorRequests).toHaveLength(0);
    const store = openDb(join(tmp, 'precheck.sqlite'));
    const [t] = readTraces(store, summary.run_id);
    expect(t!.steps[0]!.observation).toMatchObject({
      source: 'precheck',
      error: { type: 'type_error', parameter: 'entity', message: 'parameter "entity": expected string, got integer 42' },
    });
    expect(t!.steps[1]!.observation).toMatchObject({ source: 'precheck', error: { type: 'unknown_tool' } });
    expect(t!.answer).toBe(items[0]!.answers[0]);
    store.close();
  });
});

describe('generate as a job: flags resolved to the run config', () => {
  const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');

  it('every default is the config field default; lists, routes and per-role models are resolved', () => {
    const c = resolveGenerateConfig({ dataset: BAMBOOGLE, db: 'x.sqlite' });
    expect(c).toMatchObject({
      offset: 0,
      concurrency: 8,
      maxTurns: 8,
      format: 'text',
      dialect: 'hermes',
      utilityTools: ['wiki_search'],
      maxTools: 4,
      maxRepairs: 2,
      maxAttempts: 3,
      maxItemAttempts: 3,
      retryFailed: false,
      actorCache: true,
      skipBad: false,
    });
    expect(c.grounding).toEqual({ mode: 'none', noiseStart: 0, noiseEnd: 0.5, noiseBase: 10 });
    expect(c.model).toMatchObject({ timeoutMs: MODEL_DEFAULTS.timeoutMs, maxRetries: MODEL_DEFAULTS.maxRetries, temperature: MODEL_DEFAULTS.temperature });
    expect(c.roles).toEqual({ maker: {}, agent: {}, actor: {} });
    const d = resolveGenerateConfig({
      dataset: BAMBOOGLE,
      db: 'x.sqlite',
      run: 'mine',
      timeout: 5,
      utilityTools: 'none',
      toolRouting: 'wiki_search=hybrid:5',
      noActorCache: true,
      baseUrl: 'http://127.0.0.1:8000/v1',
      actorBaseUrl: 'http://127.0.0.1:8001/v1',
      actorModel: 'gtm',
    });
    expect(d).toMatchObject({ run: 'mine', utilityTools: [], toolRouting: { wiki_search: { mode: 'hybrid', warmup: 5, unit: 'items' } }, actorCache: false });
    expect(d.model).toMatchObject({ baseUrl: 'http://127.0.0.1:8000/v1', timeoutMs: 5000 }); // --timeout reaches every role through the run's model
    expect(d.roles).toEqual({ maker: {}, agent: {}, actor: { baseUrl: 'http://127.0.0.1:8001/v1', model: 'gtm' } });
  });

  it('a bad value is a usage error naming its flag; --run is a name, never an id', () => {
    expect(() => resolveGenerateConfig({ dataset: BAMBOOGLE, db: 'x.sqlite', maxTools: 9 })).toThrow(/^--max-tools: /);
    expect(() => resolveGenerateConfig({ dataset: BAMBOOGLE, db: 'x.sqlite', noiseBase: 0 })).toThrow(/^--noise-base: expected a number > 0/);
    expect(() => resolveGenerateConfig({ dataset: BAMBOOGLE, db: 'x.sqlite', run: '12' })).toThrow(/^--run: expected a run name with a non-digit/);
    expect(() => resolveGenerateConfig({ dataset: BAMBOOGLE, db: 'x.sqlite', toolRouting: 'wiki_search=sometimes' })).toThrow(/^--tool-routing: expected/);
  });

  it('runs from TypeScript with partial input, as a library caller would', async () => {
    const items = await loadItems(BAMBOOGLE, { limit: 2 });
    const server = await startFakeOpenAI({ respond: scriptedModel({ items }) });
    try {
      const progress: number[] = [];
      const summary = await generateJob.run(
        { dataset: BAMBOOGLE, limit: 2, db: join(tmp, 'job.sqlite'), baseUrl: server.url, retries: 1 },
        { onProgress: (p) => progress.push(p.done) },
      );
      expect(GenerateSummary.parse(summary)).toMatchObject({ items: 2, finished: 2, failed: 0, aborted: false, failures: [] });
      expect(progress.at(-1)).toBe(2);
    } finally {
      await server.close();
    }
  });
});
