import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMcpServer } from '../../src/server/mcp.js';
import { loadToolsetFile } from '../../src/tools/toolset.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { toolsFixture, type ToolsFixture } from './tools-fixture.js';

const SEAL_FILE = join(SHARED_DATASETS, 'tools/seal-tools/tool.jsonl');
// Every schema compile of any ajv instance (the shared one in src/schema/json-schema.ts included).
const compiles = vi.spyOn(Ajv2020.prototype, 'compile');
let fx: ToolsFixture;
let tools: ReturnType<typeof loadToolsetFile>['tools'];

beforeAll(async () => {
  compiles.mockClear();
  tools = loadToolsetFile(SEAL_FILE).tools;
  fx = await toolsFixture({ tools });
});
afterAll(() => fx.close());
afterEach(() => void (fx.fake.requests.length = 0));

async function connect(pageSize?: number): Promise<Client> {
  const [a, b] = InMemoryTransport.createLinkedPair();
  await createMcpServer(fx.service, () => ({ client: 'test', session: 'test' }), pageSize).connect(a);
  const client = new Client({ name: 'mtr-test', version: '1.0.0' });
  await client.connect(b);
  return client;
}

describe('MCP with the 4,076 Seal-Tools tools: lazy validators, paginated tools/list', () => {
  it('loads, initializes and lists every page without compiling a single validator', async () => {
    expect(tools).toHaveLength(4076);
    const client = await connect();
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      expect(page.tools.length).toBeLessThanOrEqual(100);
      names.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(41);
    expect(names).toEqual(tools.map((t) => t.api_name)); // every tool once, in order
    expect(compiles).not.toHaveBeenCalled();
    await client.close();
  });

  it("compiles a tool's validator at its first call only, and only that tool's", async () => {
    const client = await connect();
    const tool = tools.find((t) => t.required.length === 1 && t.parameters[t.required[0]!]!.type === 'string')!; // types are served as JSON Schema names;
    const bad = await client.callTool({ name: tool.api_name, arguments: {} });
    expect(bad).toMatchObject({ isError: true, structuredContent: { error: { type: 'missing_required' } } });
    const after = compiles.mock.calls.length;
    expect(after).toBe(1);
    await client.callTool({ name: tool.api_name, arguments: { [tool.required[0]!]: 'x', nope: 1 } });
    expect(compiles.mock.calls.length).toBe(after); // cached
    await client.close();
  });

  it('a foreign cursor is invalid params; page size 0 lists every tool in one page', async () => {
    const client = await connect();
    await expect(client.listTools({ cursor: 'not-ours' })).rejects.toThrow(/cursor: expected a nextCursor/);
    await client.close();
    const whole = await connect(0);
    const page = await whole.listTools();
    expect(page.tools).toHaveLength(4076);
    expect(page.nextCursor).toBeUndefined();
    await whole.close();
  });
});
