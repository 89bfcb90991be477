import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PQueue from 'p-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ActorOptions, type Exchange, observe } from '../../src/actor/index.js';
import { loadItems } from '../../src/data/index.js';
import { parseModelConfig } from '../../src/llm/config.js';
import { OpenAIChatModel } from '../../src/llm/openai.js';
import type { RoleModel } from '../../src/llm/role.js';
import type { DatasetItem } from '../../src/schema/item.js';
import type { ModelCall } from '../../src/schema/model-call.js';
import { validateJson } from '../../src/schema/json-schema.js';
import { responsesJsonSchema } from '../../src/schema/tool-convert.js';
import type { RunTool, ToolCall } from '../../src/schema/trace.js';
import { openStore } from '../../src/store/index.js';
import { UTILITY_TOOLS } from '../../src/tools/utility.js';
import { type FakeReply, type FakeRequest, type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { instanceOf } from '../support/scripted-roles.js';
import { LOOKUP, SAME_CALL_CASES } from '../support/same-call-cases.js';
import { sealTools } from '../support/seal-tools.js';

const WIKI: RunTool = { origin: 'utility', tool: UTILITY_TOOLS.wiki_search! };
const SEAL = sealTools().find((t) => t.required.length === 1 && t.parameters[t.required[0]!]!.type === 'str' && Object.keys(t.parameters).length >= 2)!;
const TOOLS: RunTool[] = [WIKI, { origin: 'maker', tool: SEAL }];
const tmp = mkdtempSync(join(tmpdir(), 'mtr-actor-'));

let server: FakeServer;
/** what the fake model answers next; default: a valid response carrying a marker */
let reply: (req: FakeRequest) => FakeReply;
const valid = (req: FakeRequest): FakeReply => ({
  content: JSON.stringify(instanceOf(req.response_format.json_schema.schema.anyOf[0], `simulated#${server.requests.length}`)),
});

beforeAll(async () => {
  server = await startFakeOpenAI({ respond: (req) => reply(req) });
});
afterAll(() => server.close());
beforeEach(() => {
  reply = valid;
  server.requests.length = 0;
});

function actor(over: Partial<ActorOptions> = {}): ActorOptions {
  const model = new OpenAIChatModel({ ...parseModelConfig({ baseUrl: server.url, model: 'fake-model', timeoutMs: 5000, maxRetries: 0 }), baseUrl: server.url });
  const rm: RoleModel = { role: 'actor', model, queue: new PQueue({ concurrency: 4 }), temperature: 0, maxTokens: 512, maxAttempts: 2 };
  return { model: rm, ...over };
}
const calls: ModelCall[] = [];
const sink = (c: ModelCall) => calls.push(c);
const prompt = (i = 0): string => server.requests[i]!.messages.map((m: { content: string }) => m.content).join('\n');

describe('errors: one shape, pre-checked without a model call', () => {
  it('answers type, missing, excess and unknown-tool errors as {"error": {type, parameter, message}} with no request', async () => {
    const good = Object.fromEntries(Object.keys(SEAL.parameters).map((k) => [k, 'x']));
    const cases: [ToolCall, string, string][] = [
      [{ name: 'wiki_search', arguments: { query: 42 } }, 'type_error', 'query'],
      [{ name: 'wiki_search', arguments: { top_k: 3 } }, 'missing_required', 'query'],
      [{ name: 'wiki_search', arguments: { query: 'Paris', lang: 'en' } }, 'excess_parameter', 'lang'],
      [{ name: 'wiki_search', arguments: { query: 'Paris', top_k: 50 } }, 'invalid_value', 'top_k'],
      [{ name: 'wiki_serch', arguments: { query: 'Paris' } }, 'unknown_tool', 'name'],
      [{ name: SEAL.api_name, arguments: { ...good, [SEAL.required[0]!]: undefined, zzz: 1 } }, 'missing_required', SEAL.required[0]!],
    ];
    for (const [call, type, parameter] of cases) {
      const o = await observe(call, TOOLS, [], actor(), sink);
      expect(o.source).toBe('precheck');
      expect(o.content).toEqual({ error: o.error });
      expect(o.error).toMatchObject({ type, parameter, message: expect.stringContaining(parameter === 'name' ? 'wiki_search' : parameter) });
    }
    expect(server.requests).toHaveLength(0);
  });

  it('lets the model judge a well-typed but invalid value, in the same error shape', async () => {
    reply = () => ({
      content: JSON.stringify({
        error: { type: 'invalid_value', parameter: 'query', message: '"Blue" is a colour, not a city; give a city name such as "Oslo"' },
      }),
    });
    const o = await observe({ name: 'wiki_search', arguments: { query: 'weather in the city of Blue' } }, TOOLS, [], actor(), sink);
    expect(o).toMatchObject({ source: 'simulated', error: { type: 'invalid_value', parameter: 'query' } });
    expect(o.content).toEqual({ error: o.error });
    expect(server.requests).toHaveLength(1);
    expect(prompt()).toContain('invalid_value');
  });
});

describe('grounding: what the actor prompt shows', () => {
  let hotpot: DatasetItem;
  let musique: DatasetItem;
  beforeAll(async () => {
    hotpot = (await loadItems(join(SHARED_DATASETS, 'hotpotqa/hotpot_dev_distractor_300.jsonl'), { limit: 1 }))[0]!;
    musique = (await loadItems(join(SHARED_DATASETS, 'musique/musique_train_100_with_paragraphs.json'), { limit: 1 }))[0]!;
  });
  const call: ToolCall = { name: 'wiki_search', arguments: { query: 'first lookup' } };
  const supporting = (i: DatasetItem) => i.context!.filter((p) => p.supporting);
  const distractors = (i: DatasetItem) => i.context!.filter((p) => !p.supporting);

  it('none: no gold answer or paragraph reaches the model', async () => {
    const o = await observe(call, TOOLS, [], actor(), sink, { item: hotpot, step: 0 });
    expect(o.grounding).toBeUndefined();
    for (const p of hotpot.context!) expect(prompt()).not.toContain(p.text);
    expect(prompt()).not.toContain(hotpot.question);
  });

  it('gold: the question, gold answers, supporting paragraphs and decomposition, never the distractors', async () => {
    const o = await observe(call, TOOLS, [], actor({ grounding: { mode: 'gold', noiseStart: 0, noiseEnd: 0.5, noiseBase: 10 } }), sink, {
      item: musique,
      step: 0,
    });
    expect(o.grounding).toMatchObject({ mode: 'gold', useful: true, material: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const text = prompt();
    expect(text).toContain(musique.question);
    for (const a of musique.answers) expect(text).toContain(JSON.stringify(a));
    for (const h of musique.decomposition!) expect(text).toContain(h.question);
    for (const p of supporting(musique)) expect(text).toContain(p.text.slice(0, 300));
    for (const p of distractors(musique)) expect(text).not.toContain(p.text.slice(0, 300));
    expect(calls.at(-1)!.prompt_file).toBe('actor.md+actor-gold.md');
  });

  it('noisy at p = 1: distractors and the instruction not to reveal the answer, never the supporting paragraphs', async () => {
    const grounding = { mode: 'noisy' as const, noiseStart: 1, noiseEnd: 1, noiseBase: 10 };
    const o = await observe(call, TOOLS, [], actor({ grounding, position: () => ({ index: 3, total: 10 }) }), sink, { item: hotpot, step: 0 });
    expect(o.grounding).toMatchObject({ mode: 'noisy', useful: false, p_noisy: 1 });
    const text = prompt();
    expect(text).toContain('NOISY');
    for (const p of supporting(hotpot)) expect(text).not.toContain(p.text);
    expect(distractors(hotpot).some((p) => text.includes(p.text))).toBe(true);
    expect(calls.at(-1)!.prompt_file).toBe('actor.md+actor-noisy.md');
  });

  it('noisy at p = 0 is gold; the recorded p follows the schedule at the item position', async () => {
    const grounding = { mode: 'noisy' as const, noiseStart: 0, noiseEnd: 0, noiseBase: 10 };
    const o = await observe(call, TOOLS, [], actor({ grounding }), sink, { item: hotpot, step: 0 });
    expect(o.grounding).toMatchObject({ mode: 'noisy', useful: true, p_noisy: 0 });
    for (const p of supporting(hotpot)) expect(prompt()).toContain(p.text.slice(0, 300));
  });
});

describe('consistency: repeated calls are replayed without a model request', () => {
  it('replays a call repeated within the trace (canonical arguments: key order, case, spacing)', async () => {
    const first = await observe({ name: SEAL.api_name, arguments: { [SEAL.required[0]!]: 'Mount  Everest ' } }, TOOLS, [], actor(), sink);
    const history: Exchange[] = [{ call: { name: SEAL.api_name, arguments: { [SEAL.required[0]!]: 'Mount  Everest ' } }, observation: first }];
    const again = await observe({ name: SEAL.api_name, arguments: { [SEAL.required[0]!]: 'mount everest' } }, TOOLS, history, actor(), sink);
    expect(server.requests).toHaveLength(1);
    expect(again).toMatchObject({ source: 'cache', content: first.content });
    expect(prompt()).toContain('(none)'); // the first call saw an empty session
  });

  // The one rule of "the same call" (src/grammar/call.ts), on the table the repeated_call check and the efficiency reward are tested on.
  for (const c of SAME_CALL_CASES) {
    it(`${c.what}: ${c.same ? 'replayed within the trace and from the run cache' : 'simulated anew, within the trace and across the run'}`, async () => {
      const tools = [...TOOLS, LOOKUP];
      const a: ToolCall = { name: 'lookup', arguments: c.a };
      const b: ToolCall = { name: 'lookup', arguments: c.b };
      const first = await observe(a, tools, [], actor(), sink);
      expect(first.source).toBe('simulated');
      const inTrace = await observe(b, tools, [{ call: a, observation: first }], actor(), sink);
      expect(inTrace.source).toBe(c.same ? 'cache' : 'simulated');
      if (c.same) expect(inTrace.content).toEqual(first.content);
      expect(server.requests).toHaveLength(c.same ? 1 : 2);

      const db = await openStore(':memory:', { create: true });
      const opts = actor({ cache: db.actorCache });
      const cached = await observe(a, tools, [], opts, sink);
      const again = await observe(b, tools, [], opts, sink);
      expect(again.source).toBe(c.same ? 'cache' : 'simulated');
      expect(again.cache_key === cached.cache_key).toBe(c.same);
      await db.close();
    });
  }

  it('replays a call repeated anywhere in the run from the SQLite cache, also after reopening the store', async () => {
    const file = join(tmp, 'cache.sqlite');
    const db = await openStore(file, { create: true });
    const opts = actor({ cache: db.actorCache });
    const call: ToolCall = { name: 'wiki_search', arguments: { query: 'Eiffel Tower height', top_k: 2 } };
    const first = await observe(call, TOOLS, [], opts, sink);
    expect(first.source).toBe('simulated');
    expect(validateJson(responsesJsonSchema(WIKI.tool), first.content).ok).toBe(true);
    const other = await observe({ name: 'wiki_search', arguments: { top_k: 2, query: 'eiffel tower HEIGHT' } }, TOOLS, [], opts, sink);
    expect(other).toMatchObject({ source: 'cache', content: first.content, cache_key: first.cache_key });
    expect(server.requests).toHaveLength(1);
    await db.close();

    const reopened = await openStore(file);
    const replay = await observe(call, TOOLS, [], actor({ cache: reopened.actorCache }), sink);
    expect(replay).toMatchObject({ source: 'cache', content: first.content });
    expect(server.requests).toHaveLength(1);
    expect(await reopened.actorCache.stats()).toEqual({ entries: 1, hits: 2 });
    // a different argument is a different call
    await observe({ name: 'wiki_search', arguments: { query: 'Eiffel Tower height', top_k: 3 } }, TOOLS, [], actor({ cache: reopened.actorCache }), sink);
    expect(server.requests).toHaveLength(2);
    await reopened.close();
  });

  it('keys the cache by grounding material: the same call for another item under gold grounding is a new request', async () => {
    const items = await loadItems(join(SHARED_DATASETS, 'hotpotqa/hotpot_dev_distractor_300.jsonl'), { limit: 2 });
    const db = await openStore(':memory:', { create: true });
    const opts = actor({ cache: db.actorCache, grounding: { mode: 'gold', noiseStart: 0, noiseEnd: 0.5, noiseBase: 10 } });
    const call: ToolCall = { name: 'wiki_search', arguments: { query: 'same words' } };
    await observe(call, TOOLS, [], opts, sink, { item: items[0]!, step: 0 });
    expect((await observe(call, TOOLS, [], opts, sink, { item: items[0]!, step: 4 })).source).toBe('cache');
    expect((await observe(call, TOOLS, [], opts, sink, { item: items[1]!, step: 0 })).source).toBe('simulated');
    expect(server.requests).toHaveLength(2);
    await db.close();
  });

  it('sends one request for identical calls in flight at the same time', async () => {
    const db = await openStore(':memory:', { create: true });
    const opts = actor({ cache: db.actorCache });
    const out = await Promise.all(Array.from({ length: 5 }, () => observe({ name: 'wiki_search', arguments: { query: 'concurrent' } }, TOOLS, [], opts, sink)));
    expect(server.requests).toHaveLength(1);
    expect(out.filter((o) => o.source === 'simulated')).toHaveLength(1);
    for (const o of out) expect(o.content).toEqual(out[0]!.content);
    await db.close();
  });
});

describe('routing: real, simulated and hybrid', () => {
  const real = {
    wiki_search: {
      name: 'wiki_search',
      call: async (a: Record<string, unknown>) => ({ results: [{ title: 'Real', text: `real answer for ${String(a.query)}` }] }),
    },
  };
  const call: ToolCall = { name: 'wiki_search', arguments: { query: 'q' } };

  it('answers tools routed real from the backend, with no model request', async () => {
    const o = await observe(call, TOOLS, [], actor({ routing: { wiki_search: { mode: 'real' } }, realTools: real }), sink);
    expect(o).toEqual({ content: { results: [{ title: 'Real', text: 'real answer for q' }] }, source: 'real' });
    expect(server.requests).toHaveLength(0);
  });

  it('hybrid: simulated for the first N items (or steps), real after', async () => {
    const item = { id: 'x', dataset: 'd', question: 'q?', answers: ['a'] };
    const byItems = (index: number) =>
      actor({ routing: { wiki_search: { mode: 'hybrid', warmup: 2, unit: 'items' } }, realTools: real, position: () => ({ index, total: 10 }) });
    const sources = [];
    for (const i of [0, 1, 2, 9])
      sources.push((await observe({ name: 'wiki_search', arguments: { query: `i${i}` } }, TOOLS, [], byItems(i), sink, { item, step: 0 })).source);
    expect(sources).toEqual(['simulated', 'simulated', 'real', 'real']);
    const bySteps = actor({ routing: { wiki_search: { mode: 'hybrid', warmup: 1, unit: 'steps' } }, realTools: real });
    expect((await observe({ name: 'wiki_search', arguments: { query: 's0' } }, TOOLS, [], bySteps, sink, { item, step: 0 })).source).toBe('simulated');
    expect((await observe({ name: 'wiki_search', arguments: { query: 's1' } }, TOOLS, [], bySteps, sink, { item, step: 1 })).source).toBe('real');
    expect(server.requests).toHaveLength(3);
  });

  it('fails clearly when a tool is routed real without a backend', async () => {
    await expect(observe(call, TOOLS, [], actor({ routing: { wiki_search: { mode: 'real' } } }), sink)).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringContaining('--index'),
    });
  });
});
