import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveRewardJob } from '../../src/pipeline/serve-reward.js';
import { serveToolsJob } from '../../src/pipeline/serve-tools.js';
import { buildIndex } from '../../src/tools/bm25.js';
import { openStore } from '../../src/store/index.js';
import { startFakeOpenAI } from '../support/openai-server.js';
import { serveCli } from '../support/cli.js';
import { freshPgDatabase, pgExec } from '../support/postgres.js';
import { closedPort } from '../support/store.js';
import { SEAL, simulated, WIKI } from '../server/tools-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-serve-jobs-'));

describe('serve reward setup (called as a library)', () => {
  it('builds the reward service from the reward fields, with where to listen and its summary', async () => {
    const { service, listen, summary } = await serveRewardJob.run({ weights: 'em=1', dialect: 'search-r1', port: 0 });
    expect(serveRewardJob.summary.parse(summary)).toEqual({
      dialect: 'search-r1',
      weights: { em: 1, f1: 0, cover_em: 0, format: 0, consistency: 0, efficiency: 0 },
    });
    expect(listen).toEqual({ host: '127.0.0.1', port: 0, maxBodyBytes: 32 * 1024 * 1024 });
    const r1 = '<think>t</think>\n<search> q </search>\n\n<information>Doc 1(Title: T) Tulsa.</information>\n\n<think>ok</think>\n<answer> Tulsa </answer>';
    expect(service.reward(service.source(undefined), { query: r1, gold: ['Tulsa'] }).reward).toBe(1);
    expect(service.score({ completion: '<answer>Lyon</answer>', answer: 'Tulsa' }, { file: 'request' }).reward).toBe(0);
    expect(() => service.source('nope')).toThrow(/data_source: expected one of qa, /);
  });

  it('refuses a bad weight spec naming --weights, and reads the default port', async () => {
    await expect(serveRewardJob.run({ weights: 'em=x' })).rejects.toMatchObject({ code: 'E_USAGE', message: '--weights: expected name=number, got "em=x"' });
    expect((await serveRewardJob.run({})).listen.port).toBe(8787);
  });
});

describe('serve tools setup (called as a library)', () => {
  it('an all-real tool set (wiki_search over --index) needs no model: the service answers from the index', async () => {
    const index = join(tmp, 'i.sqlite');
    await buildIndex(index, [
      { id: 'p1', title: 'Tulsa', text: 'Tulsa is a city in Oklahoma.' },
      { id: 'p2', title: 'Paris', text: 'Paris is in France.' },
    ]);
    const set = await serveToolsJob.run({ index, token: 's3cret' });
    try {
      expect(set.tools.map((t) => t.api_name)).toEqual(['wiki_search']);
      expect(set.listen).toMatchObject({ host: '127.0.0.1', port: 8788, token: 's3cret' });
      const { service, summary } = await set.ready;
      expect(serveToolsJob.summary.parse(summary)).toEqual({ tools: 1, source: 'the utility tools (retrieval only)', skipped: 0, simulated_by: null });
      const o = await service.call('wiki_search', { query: 'Tulsa Oklahoma' }, { client: 'test' });
      expect(o).toMatchObject({ source: 'real', content: { results: [{ title: 'Tulsa' }] } });
    } finally {
      await set.close();
      await set.close(); // once
    }
  });

  const caches = { 'a SQLite file': async () => join(tmp, 'cache.sqlite'), 'a PostgreSQL database': () => freshPgDatabase('serve_cache') };
  it.each(Object.entries(caches))(
    '--cache on %s: created if missing, its actor cache replays an identical call after a restart with no model request',
    async (_, made) => {
      const fake = await startFakeOpenAI({ respond: simulated });
      const cache = await made();
      const once = async () => {
        const set = await serveToolsJob.run({ baseUrl: fake.url, model: 'fake-model', cache });
        try {
          const { service, summary } = await set.ready;
          expect(summary.simulated_by).toBe('fake-model');
          return await service.call('wiki_search', { query: 'Paris' }, { client: 'test' });
        } finally {
          await set.close();
        }
      };
      try {
        const first = await once();
        const again = await once();
        expect(first.source).toBe('simulated');
        expect(again).toMatchObject({ source: 'cache', content: first.content });
        expect(fake.requests).toHaveLength(1);
        const store = await openStore(cache);
        expect(await store.actorCache.stats()).toMatchObject({ entries: 1, hits: 1 });
        await store.close();
      } finally {
        await fake.close();
      }
    },
  );

  it('mtr serve tools --cache postgres://… (the binary, over HTTP): the cache row lands in PostgreSQL, and the same call to a restarted server is a hit', async () => {
    const fake = await startFakeOpenAI({ respond: simulated });
    const db = await freshPgDatabase('serve_cli_cache');
    const toolset = join(tmp, 'cli-tools.json');
    writeFileSync(toolset, JSON.stringify([WIKI, SEAL]));
    const call = async () => {
      const served = await serveCli('tools', ['--toolset', toolset, '--base-url', fake.url, '--model', 'fake-model', '--retries', '0', '--cache', db]);
      try {
        const res = await fetch(`${served.url}/v1/tools/${SEAL.api_name}`, { method: 'POST', body: JSON.stringify({ [SEAL.required[0]!]: 'Lyon' }) });
        expect(res.status).toBe(200);
        return (await res.json()) as { source: string; content: unknown };
      } finally {
        expect((await served.stop()).code).toBe(0);
      }
    };
    const rows = () => pgExec(db, 'SELECT tool, hits FROM actor_cache');
    try {
      const first = await call();
      expect(first.source).toBe('simulated');
      expect(await rows()).toEqual([{ tool: SEAL.api_name, hits: 0 }]);
      const again = await call();
      expect(again).toMatchObject({ source: 'cache', content: first.content });
      expect(await rows()).toEqual([{ tool: SEAL.api_name, hits: 1 }]);
      expect(fake.requests).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('reports skipped tools as notices, and refuses both tool sources or a dead --retrieval-url before serving', async () => {
    const file = join(tmp, 'tools.jsonl');
    writeFileSync(file, `${JSON.stringify(WIKI)}\n${JSON.stringify(SEAL)}\n${JSON.stringify({ api_name: 'broken', parameters: 5 })}\n`);
    const notices: string[] = [];
    const set = await serveToolsJob.run({ toolset: file, baseUrl: `http://127.0.0.1:${await closedPort()}/v1` }, { onNotice: (l) => notices.push(l) });
    expect(set.tools.map((t) => t.api_name)).toEqual([WIKI.api_name, SEAL.api_name]);
    expect(notices).toEqual([expect.stringMatching(new RegExp(`^skipped ${file.replace(/[/.]/g, '\\$&')}:3: `))]);
    await expect(set.ready).rejects.toMatchObject({ code: 'E_MODEL_UNREACHABLE' }); // the model is started, not awaited, by the setup
    await set.close();
    await expect(serveToolsJob.run({ toolset: file, fromRun: 'x.sqlite' })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: 'expected at most one of --toolset FILE or --from-run DB[:RUN], got both',
    });
    const port = await closedPort();
    await expect(serveToolsJob.run({ retrievalUrl: `http://127.0.0.1:${port}/retrieve` })).rejects.toThrow(
      `--retrieval-url: cannot use the retrieval server at http://127.0.0.1:${port}/retrieve`,
    );
  });
});
