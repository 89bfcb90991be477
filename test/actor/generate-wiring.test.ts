import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { generateTraces } from '../../src/pipeline/generate.js';
import type { DatasetItem } from '../../src/schema/item.js';
import { openDb, readTraces } from '../../src/store/index.js';
import { buildIndex } from '../../src/tools/bm25.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { scriptedModel, TASK_TOOL } from '../support/scripted-roles.js';

const DATASET = join(SHARED_DATASETS, 'hotpotqa/hotpot_dev_distractor_300.jsonl');
const tmp = mkdtempSync(join(tmpdir(), 'mtr-actor-gen-'));
const fast = { maxRetries: 1, retryBaseMs: 5, retryMaxMs: 20, timeoutMs: 5000 };
let server: FakeServer;
let items: DatasetItem[];
const actorRequests = () => server.requests.filter((r) => r.response_format?.json_schema?.name?.endsWith('_response'));

beforeAll(async () => {
  items = await loadItems(DATASET, { limit: 6 });
  server = await startFakeOpenAI({ respond: scriptedModel({ items }) });
});
afterAll(() => server.close());

describe('generate with grounding, a real wiki_search and the actor cache', () => {
  it('grounds simulated tools in the gold material, answers wiki_search from the index, and replays the actor on a second run', async () => {
    const index = join(tmp, 'hotpot.sqlite');
    const passages = items.flatMap((i, n) => i.context!.map((p, k) => ({ id: `${n}-${k}`, title: p.title, text: p.text })));
    await buildIndex(index, passages);
    const db = join(tmp, 'run.sqlite');
    const config = {
      dataset: DATASET,
      limit: 6,
      db,
      concurrency: 3,
      maxTurns: 6,
      grounding: { mode: 'gold' as const },
      index,
      model: { baseUrl: server.url, model: 'fake-model', ...fast },
    };

    const first = await generateTraces({ ...config, run: 'first' });
    expect(first).toMatchObject({ finished: 6, failed: 0 });
    expect(actorRequests()).toHaveLength(6); // one simulated task-tool call per trace; wiki_search is real
    for (const item of items) {
      const req = actorRequests().find((r) => r.messages[0].content.includes(item.question))!;
      expect(req.messages[0].content).toContain(JSON.stringify(item.answers[0]));
      for (const p of item.context!.filter((c) => c.supporting)) expect(req.messages[0].content).toContain(p.text.slice(0, 200));
    }
    const store = openDb(db);
    for (const [i, t] of readTraces(store, first.run_id).entries()) {
      const [task, wiki] = t.steps;
      expect(task!.call!.name).toBe(TASK_TOOL.api_name);
      expect(task!.observation).toMatchObject({ source: 'simulated', grounding: { mode: 'gold', useful: true }, cache_key: expect.any(String) });
      expect(wiki!.observation!.source).toBe('real');
      const titles = (wiki!.observation!.content as { results: { title: string }[] }).results.map((r) => r.title);
      expect(titles.some((title) => items[i]!.context!.some((p) => p.supporting && p.title === title))).toBe(true);
    }
    store.close();

    const before = actorRequests().length;
    const second = await generateTraces({ ...config, run: 'second' });
    expect(second).toMatchObject({ finished: 6, failed: 0 });
    expect(actorRequests().length).toBe(before); // every actor call replayed from the cache
    const again = openDb(db);
    for (const t of readTraces(again, second.run_id)) expect(t.steps[0]!.observation!.source).toBe('cache');
    again.close();
  });

  it('rejects real routing without a backend and unknown real tools before touching the store', async () => {
    const base = { dataset: DATASET, limit: 1, db: join(tmp, 'never.sqlite'), model: { baseUrl: server.url, model: 'fake-model', ...fast } };
    await expect(generateTraces({ ...base, toolRouting: { wiki_search: { mode: 'real' } } })).rejects.toThrow(
      /needs a real backend: expected --index FILE or --retrieval-url URL/,
    );
    await expect(generateTraces({ ...base, index: join(tmp, 'hotpot.sqlite'), toolRouting: { calculator: { mode: 'real' } } })).rejects.toThrow(
      /calculator: expected a tool with a real backend \(wiki_search\)/,
    );
  });
});
