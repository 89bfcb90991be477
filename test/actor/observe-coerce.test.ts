import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PQueue from 'p-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActorOptions, observe } from '../../src/actor/index.js';
import { parseModelConfig } from '../../src/llm/config.js';
import { OpenAIChatModel } from '../../src/llm/openai.js';
import type { RunTool } from '../../src/schema/trace.js';
import { openStore } from '../../src/store/index.js';
import { UTILITY_TOOLS } from '../../src/tools/utility.js';
import type { Coercion } from '../../src/validate/coerce.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { simulated } from '../server/tools-fixture.js';

const TOOLS: RunTool[] = [{ origin: 'utility', tool: UTILITY_TOOLS.wiki_search! }];
let server: FakeServer;
beforeAll(async () => {
  server = await startFakeOpenAI({ respond: simulated });
});
afterAll(() => server.close());

const actor = (over: Partial<ActorOptions>): ActorOptions => {
  const model = new OpenAIChatModel({ ...parseModelConfig({ baseUrl: server.url, model: 'fake-model', timeoutMs: 5000, maxRetries: 0 }), baseUrl: server.url });
  return { model: { role: 'actor', model, queue: new PQueue({ concurrency: 2 }), temperature: 0, maxTokens: 256, maxAttempts: 2 }, ...over };
};

describe('observe with --coerce strings', () => {
  it('answers "3" for wiki_search top_k as the call with 3: one cache entry for both spellings, the coercion reported', async () => {
    const store = await openStore(join(mkdtempSync(join(tmpdir(), 'mtr-actor-coerce-')), 'cache.sqlite'), { create: true });
    try {
      const seen: Coercion[][] = [];
      const opts = actor({ coerce: 'strings', cache: store.actorCache, onCoerced: (c) => seen.push([...c]) });
      const before = server.requests.length;
      const first = await observe({ name: 'wiki_search', arguments: { query: 'Paris', top_k: '3' } }, TOOLS, [], opts, () => {});
      expect(first.source).toBe('simulated');
      expect(seen).toEqual([[{ parameter: 'top_k', from: 'string', to: 'integer' }]]);
      const second = await observe({ name: 'wiki_search', arguments: { query: 'Paris', top_k: 3 } }, TOOLS, [], opts, () => {});
      expect(second).toMatchObject({ source: 'cache', content: first.content });
      expect(server.requests.length).toBe(before + 1);
      expect(seen).toHaveLength(1); // the well-typed call needed no coercion

      const strict = await observe({ name: 'wiki_search', arguments: { query: 'Paris', top_k: '3' } }, TOOLS, [], actor({ cache: store.actorCache }), () => {});
      expect(strict).toMatchObject({ source: 'precheck', error: { type: 'type_error', parameter: 'top_k' } });
    } finally {
      await store.close();
    }
  });
});
