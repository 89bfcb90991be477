import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { evalJob, type Prediction } from '../../src/pipeline/eval.js';
import type { DatasetItem } from '../../src/schema/item.js';
import { loadToolsetFile } from '../../src/tools/toolset.js';
import { type FakeRequest, type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { scriptedModel, TASK_TOOL } from '../support/scripted-roles.js';
import { officialDisagreements } from '../support/official-qa.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { tracesOfRun } from '../support/store.js';

const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const TOOLALPACA = join(SHARED_DATASETS, 'tools/toolalpaca/eval_simulated.json');
const tmp = mkdtempSync(join(tmpdir(), 'mtr-eval-toolset-'));

/** A tool file in the unified template: the scripted agent's task tool (which no ToolMaker makes here), one tool the check refuses, and a wiki_search that would shadow the utility one. */
const toolFile = (name: string, tool: object = TASK_TOOL): string => {
  const file = join(tmp, name);
  const wikiSearch = { ...TASK_TOOL, api_name: 'wiki_search', api_description: 'A second search.' };
  writeFileSync(file, JSON.stringify([tool, { api_description: 'a tool with no name' }, wikiSearch], null, 2));
  return file;
};

const readPredictions = (dir: string): Prediction[] =>
  readFileSync(join(dir, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const actorRequests = (s: FakeServer, tool: string) => s.requests.filter((r) => r.response_format?.json_schema?.name === `${tool}_response`);
const makerCalls = (s: FakeServer) => s.requests.filter((r) => ['tool_set', 'task_classification'].includes(r.response_format?.json_schema?.name)).length;

let items: DatasetItem[];
let server: FakeServer;
beforeAll(async () => {
  items = await loadItems(BAMBOOGLE, { limit: 3 });
  // the agent calls lookup_entity_fact, then wiki_search, then answers with the gold answer
  server = await startFakeOpenAI({ respond: scriptedModel({ items }) });
});
afterAll(() => server.close());

describe('mtr eval --toolset (a fixed tool set instead of ToolMaker)', () => {
  it("the agent gets the file's usable tools plus wiki_search, ToolActor simulates the file's tool from its schema; skipped tools are told once", async () => {
    const file = toolFile('tools.json');
    const out = join(tmp, 'json');
    const notices: string[] = [];
    const s = await evalJob.run({ dataset: BAMBOOGLE, out, limit: 3, toolset: file, baseUrl: server.url }, { onNotice: (l) => notices.push(l) });
    expect(s.runs.map((r) => [r.items, r.finished, r.failed])).toEqual([[3, 3, 0]]);
    expect(notices).toHaveLength(2);
    expect(notices[0]).toBe(`--toolset: skipped ${file}#/1: api_name: Invalid input: expected string, received undefined`);
    expect(notices[1]).toBe(`--toolset: skipped ${file}: wiki_search: api_name: "wiki_search" is a utility tool of the run (--utility-tools)`);

    const traces = await tracesOfRun(join(out, 'eval.sqlite'), s.runs[0]!.run_key);
    expect(traces).toHaveLength(3);
    for (const t of traces) {
      expect(t.tools.map((x) => [x.origin, x.tool.api_name])).toEqual([
        ['user', 'lookup_entity_fact'],
        ['utility', 'wiki_search'],
      ]);
      expect(t.tools[0]!.tool).toEqual(loadToolsetFile(file).tools[0]);
      expect(t.steps.map((x) => x.call?.name)).toEqual(['lookup_entity_fact', 'wiki_search', undefined]);
      expect(t.steps[0]!.observation!.source).toBe('simulated');
    }
    expect(makerCalls(server)).toBe(0);
    // ToolActor was shown the file's tool: its description and response fields
    const asked = actorRequests(server, 'lookup_entity_fact');
    expect(asked).toHaveLength(3);
    for (const r of asked) {
      const prompt = r.messages.map((m) => String(m.content)).join('\n');
      expect(prompt).toContain('"api_name": "lookup_entity_fact"');
      expect(prompt).toContain(TASK_TOOL.api_description);
      expect(Object.keys(r.response_format.json_schema.schema.anyOf[0].properties)).toEqual(Object.keys(TASK_TOOL.responses));
    }
    const rows = readPredictions(out);
    expect(rows.map((r) => [r.id, r.prediction, r.em, r.turns, r.calls])).toEqual(items.map((it) => [it.id, it.answers[0], 1, 3, 2]));
    expect(s.metrics.datasets.bamboogle).toMatchObject({ em: 1, turns: 3, calls: 2, n: 3 });
    expect(officialDisagreements(out)).toEqual([]);
  });

  it("the run key holds the tool set's hash: the same tools in another layout resume the run, changed tools make a new one", async () => {
    const out = join(tmp, 'key');
    const first = await evalJob.run({ dataset: BAMBOOGLE, out, limit: 3, toolset: toolFile('a.json'), baseUrl: server.url });
    const plain = await evalJob.run({ dataset: BAMBOOGLE, out, limit: 3, tools: 'simulated', baseUrl: server.url });
    expect(plain.runs[0]!.run_key).not.toBe(first.runs[0]!.run_key);

    const sameTools = join(tmp, 'same.jsonl'); // one tool per line: another layout, the same checked tool
    writeFileSync(sameTools, `${JSON.stringify(TASK_TOOL)}\n`);
    const before = server.requests.length;
    const again = await evalJob.run({ dataset: BAMBOOGLE, out, limit: 3, toolset: sameTools, baseUrl: server.url });
    expect(again.runs[0]).toMatchObject({ run_key: first.runs[0]!.run_key, already_finished: 3, finished: 0 });
    expect(server.requests.length).toBe(before);

    const changed = await evalJob.run({
      dataset: BAMBOOGLE,
      out,
      limit: 3,
      toolset: toolFile('b.json', { ...TASK_TOOL, api_description: 'Returns one fact about an entity.' }),
      baseUrl: server.url,
    });
    expect(changed.runs[0]).toMatchObject({ finished: 3, already_finished: 0 });
    expect(new Set([first, plain, changed].map((s) => s.runs[0]!.run_key)).size).toBe(3);
  });

  it('a shared real tool file (ToolAlpaca, OpenAPI): native tool calls list all of its tools, the agent calls one, ToolActor answers it', async () => {
    const tools = loadToolsetFile(TOOLALPACA).tools;
    const wanted = tools.find((t) => t.api_name === 'getAxolotlFacts')!;
    const roles = scriptedModel({ items });
    const gold = new Map(items.map((it) => [it.question, it.answers[0]!]));
    // one call per item, so none is replayed from the actor cache
    const limitOf = (question: string) => items.findIndex((it) => it.question === question) + 1;
    const agent = (req: FakeRequest) => {
      if (req.response_format) return roles(req);
      const question = [...gold.keys()].find((q) => req.messages.some((m) => String(m.content).includes(q)))!;
      if (req.messages.some((m) => m.role === 'assistant')) return { content: `<think>Enough.</think>\n<answer>${gold.get(question)}</answer>` };
      return { content: '<think>Facts first.</think>', tool_calls: [{ name: 'getAxolotlFacts', arguments: { category: 'habits', limit: limitOf(question) } }] };
    };
    const alpaca = await startFakeOpenAI({ respond: agent });
    try {
      const out = join(tmp, 'toolalpaca');
      const s = await evalJob.run({ dataset: BAMBOOGLE, out, limit: 2, format: 'native', toolset: TOOLALPACA, baseUrl: alpaca.url });
      expect(s.runs[0]).toMatchObject({ finished: 2, failed: 0 });
      const offered = alpaca.requests.find((r) => !r.response_format)!.tools!.map((t) => t.function?.name);
      expect(offered).toEqual([...tools.map((t) => t.api_name), 'wiki_search']);
      const traces = await tracesOfRun(join(out, 'eval.sqlite'), s.runs[0]!.run_key);
      for (const [i, t] of traces.entries()) {
        expect(t.tools).toHaveLength(tools.length + 1);
        expect(t.steps[0]!.call).toMatchObject({ name: 'getAxolotlFacts', arguments: { category: 'habits', limit: i + 1 } });
        expect(t.steps[0]!.observation!.source).toBe('simulated');
      }
      const asked = actorRequests(alpaca, 'getAxolotlFacts');
      expect(asked).toHaveLength(2);
      expect(asked[0]!.messages.map((m) => String(m.content)).join('\n')).toContain(wanted.api_description);
      expect(readPredictions(out).map((r) => r.em)).toEqual([1, 1]);
    } finally {
      await alpaca.close();
    }
  });
});
