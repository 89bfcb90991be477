import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAIEmbedder } from '../../src/carg/embed.js';
import { runCli } from '../support/cli.js';
import { sealTools } from '../support/seal-tools.js';
import { closedPort } from '../support/store.js';
import { startFakeEmbeddings, tempDir } from './helpers.js';

/** `--embed-base-url A,B`: the embedder on the chat models' server pool. */
const tmp = tempDir('embed-pool');
const servers: Awaited<ReturnType<typeof startFakeEmbeddings>>[] = [];
const start = async () => {
  const s = await startFakeEmbeddings();
  servers.push(s);
  return s;
};
afterAll(() => Promise.all(servers.map((s) => s.close().catch(() => undefined))));

/** The fake's embedding of a text (its a-z letter counts), computed here to check what came back. */
const letters = (text: string): number[] => {
  const v = new Array(26).fill(0);
  for (const ch of text.toLowerCase()) if (ch >= 'a' && ch <= 'z') v[ch.charCodeAt(0) - 97]++;
  return v;
};

describe('embedding server pool', () => {
  it('shares batches between two servers; one stopped, every embedding is still computed and the calls shift to the other', async () => {
    const [a, b] = [await start(), await start()];
    const embedder = openAIEmbedder({ baseUrl: `${a.url},${b.url}`, model: 'fake-embed', batchSize: 1 });
    const first = sealTools()
      .slice(0, 6)
      .map((t) => t.api_name);
    expect(await embedder.embed(first)).toEqual(first.map(letters));
    expect([a.inputs.length, b.inputs.length]).toEqual([3, 3]); // one batch in flight at a time: in turn

    await a.close();
    const second = sealTools()
      .slice(6, 14)
      .map((t) => t.api_name);
    expect(await embedder.embed(second)).toEqual(second.map(letters));
    expect(a.inputs).toHaveLength(3); // nothing more reached the stopped server
    expect(b.inputs.slice(3).flat()).toEqual(second); // every batch of the second call, in order, on the live one
  });

  it('carg tools import --embed-base-url DOWN,UP: the same duplicates as on the live server alone', async () => {
    const up = await start();
    const down = `http://127.0.0.1:${await closedPort()}/v1`;
    const seal = sealTools();
    const file = tmp.write('pair.json', [seal[0]!, { ...seal[0]!, api_name: 'EvidenceAnalyze' }, seal[1]!, seal[2]!]);
    const imported = async (urls: string, db: string) => {
      const r = await runCli([
        'carg',
        'tools',
        'import',
        file,
        '--db',
        join(tmp.dir, db),
        '--embed-base-url',
        urls,
        '--embed-model',
        'fake-embed',
        '--threshold',
        '0.99',
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const alone = await imported(up.url, 'alone.sqlite');
    const sent = up.inputs.flat().length;
    const pooled = await imported(`${down},${up.url}`, 'pooled.sqlite');
    expect(pooled).toMatchObject({ imported: 3, duplicates: 1 });
    expect({ ...pooled, files: [] }).toEqual({ ...alone, files: [] });
    expect(up.inputs.flat().slice(sent)).toEqual(up.inputs.flat().slice(0, sent)); // every name embedded, by the live server
  });

  it('--embed-base-url is checked as --base-url is: a value that is not a URL list is a usage error', async () => {
    const r = await runCli([
      'carg',
      'tools',
      'import',
      tmp.write('one.json', [sealTools()[0]!]),
      '--db',
      join(tmp.dir, 'x.sqlite'),
      '--embed-base-url',
      'localhost:8000',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--embed-base-url');
    expect(r.stderr).toContain('expected an http(s) URL such as http://localhost:8000/v1, or several comma-separated, got "localhost:8000"');
  });
});
