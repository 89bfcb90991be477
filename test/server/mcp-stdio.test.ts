import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeServer } from '../support/openai-server.js';
import { REPO_ROOT, SHARED_DATASETS } from '../support/paths.js';
import { SEAL, simulated, WIKI } from './tools-fixture.js';

let fake: FakeServer;
let file: string;

beforeAll(async () => {
  fake = await startFakeOpenAI({ respond: simulated });
  file = join(mkdtempSync(join(tmpdir(), 'mtr-mcp-stdio-')), 'tools.jsonl');
  writeFileSync(file, `${JSON.stringify(WIKI)}\n${JSON.stringify(SEAL)}\n`);
});
afterAll(() => fake.close());

const stdioClient = async (toolset: string, extra: string[] = []) => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(REPO_ROOT, 'bin/mtr.js'), 'serve', 'tools', '--mcp', 'stdio', '--toolset', toolset, '--base-url', fake.url, '--model', 'fake-model', ...extra],
    cwd: REPO_ROOT,
    env: { ...(process.env as Record<string, string>), OPENAI_API_KEY: '' },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'mtr-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
};

describe('MCP over stdio: `mtr serve tools --mcp stdio`', () => {
  it('pages the 4,076 Seal-Tools tools with nextCursor (100 a page; --mcp-page-size 0: one page)', async () => {
    const seal = join(SHARED_DATASETS, 'tools/seal-tools/tool.jsonl');
    const client = await stdioClient(seal);
    try {
      const first = await client.listTools();
      expect(first.tools).toHaveLength(100);
      let cursor = first.nextCursor;
      let count = first.tools.length;
      while (cursor) {
        const page = await client.listTools({ cursor });
        count += page.tools.length;
        cursor = page.nextCursor;
      }
      expect(count).toBe(4076);
    } finally {
      await client.close();
    }
    const whole = await stdioClient(seal, ['--mcp-page-size', '0']);
    try {
      const page = await whole.listTools();
      expect([page.tools.length, page.nextCursor]).toEqual([4076, undefined]);
    } finally {
      await whole.close();
    }
  });

  it('lists the tools, answers a call from the simulator and a bad call with a tool error', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(REPO_ROOT, 'bin/mtr.js'), 'serve', 'tools', '--mcp', 'stdio', '--toolset', file, '--base-url', fake.url, '--model', 'fake-model'],
      cwd: REPO_ROOT,
      env: { ...(process.env as Record<string, string>), OPENAI_API_KEY: '' },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d) => (stderr += d));
    const client = new Client({ name: 'mtr-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual([WIKI.api_name, SEAL.api_name]);
      const good = await client.callTool({ name: 'wiki_search', arguments: { query: 'Paris' } });
      expect(good).toMatchObject({ structuredContent: { results: [{ title: 'simulated#0' }] } });
      const bad = await client.callTool({ name: 'wiki_search', arguments: { query: 'Paris', lang: 'en' } });
      expect(bad).toMatchObject({ isError: true, structuredContent: { error: { type: 'excess_parameter', parameter: 'lang' } } });
      // one stdio connection is one session: the second simulated call sees the first
      await client.callTool({ name: 'wiki_search', arguments: { query: 'Rome' } });
      expect(fake.requests).toHaveLength(2);
      expect(JSON.stringify(fake.requests[1]!.messages)).toContain('Paris');
      expect(stderr).toContain('MCP over stdio: 2 tools');
    } finally {
      await client.close();
    }
  });
});
