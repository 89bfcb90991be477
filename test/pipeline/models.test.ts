import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OpenAIChatModel } from '../../src/llm/openai.js';
import { roleModels } from '../../src/pipeline/models.js';
import type { ChatModel } from '../../src/llm/types.js';
import { MtrError } from '../../src/schema/errors.js';
import { mtrError } from '../support/errors.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { closedPort } from '../support/store.js';

/** Counts how often each started model is closed (the real models, observed by wrapping their close). */
function watchCloses(models: ChatModel[]): Map<ChatModel, number> {
  const closes = new Map<ChatModel, number>();
  for (const m of models) {
    const close = m.close.bind(m);
    closes.set(m, 0);
    m.close = async () => {
      closes.set(m, closes.get(m)! + 1);
      await close();
    };
  }
  return closes;
}

describe('roleModels: the one role-model factory', () => {
  let a: FakeServer;
  let b: FakeServer;
  beforeAll(async () => {
    [a, b] = await Promise.all([startFakeOpenAI({ respond: () => ({ content: 'ok' }) }), startFakeOpenAI({ respond: () => ({ content: 'ok' }) })]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('one instance per distinct backend, shared by the roles; each role its own queue and sampling; close() closes each instance once', async () => {
    const models = await roleModels({
      maker: { config: { baseUrl: a.url, model: 'm', temperature: 0.2 }, concurrency: 2, maxAttempts: 3 },
      agent: { config: { baseUrl: a.url, model: 'm', temperature: 0.9, maxTokens: 64 }, concurrency: 5, maxAttempts: 1 },
      actor: { config: { baseUrl: b.url, model: 'm' }, concurrency: 1, maxAttempts: 2 },
    });
    const { maker, agent, actor } = models.roles;
    expect(maker.model).toBe(agent.model); // temperature and max tokens go with each call, not the instance
    expect(actor.model).not.toBe(maker.model);
    expect([maker.queue, agent.queue, actor.queue].map((q) => q.concurrency)).toEqual([2, 5, 1]);
    expect(new Set([maker.queue, agent.queue, actor.queue]).size).toBe(3);
    expect([maker, agent, actor].map((r) => [r.role, r.temperature, r.maxAttempts])).toEqual([
      ['maker', 0.2, 3],
      ['agent', 0.9, 1],
      ['actor', 0.7, 2],
    ]);
    expect(agent.maxTokens).toBe(64);
    const closes = watchCloses([maker.model, actor.model]);
    await Promise.all([models.close(), models.close()]);
    await models.close();
    expect([...closes.values()]).toEqual([1, 1]);
  });

  it('a different model name or timeout is another instance', async () => {
    const models = await roleModels({
      maker: { config: { baseUrl: a.url, model: 'm' }, concurrency: 1, maxAttempts: 1 },
      agent: { config: { baseUrl: a.url, model: 'other' }, concurrency: 1, maxAttempts: 1 },
      judge: { config: { baseUrl: a.url, model: 'm', timeoutMs: 1000 }, concurrency: 1, maxAttempts: 1 },
    });
    expect(new Set(Object.values(models.roles).map((r) => r.model)).size).toBe(3);
    await models.close();
  });

  it('a backend that fails to start: the ones that started are closed, then the error propagates', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}/v1`;
    const close = vi.spyOn(OpenAIChatModel.prototype, 'close');
    const e = await mtrError(
      roleModels({
        maker: { config: { baseUrl: a.url, model: 'm', maxRetries: 0 }, concurrency: 1, maxAttempts: 1 },
        actor: { config: { baseUrl: dead, model: 'm', maxRetries: 0 }, concurrency: 1, maxAttempts: 1 },
      }),
    );
    expect(e.code).toBe('E_MODEL_UNREACHABLE');
    expect(e.message).toContain(dead);
    expect(close).toHaveBeenCalledTimes(1); // the maker's model, on the live server
    expect(close.mock.contexts[0]).toMatchObject({ model: 'm' });
    close.mockRestore();
  });

  it('a given model is used as it is and not closed by the factory', async () => {
    let closed = 0;
    const standIn: ChatModel = {
      backend: 'openai',
      model: 'none',
      generate: () => Promise.reject(new MtrError('E_USAGE', 'no simulator')),
      close: async () => void closed++,
    };
    const models = await roleModels({ actor: { config: {}, concurrency: 4, maxAttempts: 1, model: standIn } });
    expect(models.roles.actor.model).toBe(standIn);
    await models.close();
    expect(closed).toBe(0);
  });

  it('a bad role setting names the role', async () => {
    await expect(roleModels({ judge: { config: { baseUrl: a.url, temperature: 7 }, concurrency: 1, maxAttempts: 1 } })).rejects.toThrow(/judge model/);
  });
});
