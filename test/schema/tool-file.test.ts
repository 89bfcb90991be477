import { describe, expect, it } from 'vitest';
import { parseToolText } from '../../src/schema/tool-file.js';

const fn = {
  type: 'function',
  function: {
    name: 'get_time',
    description: 'Time in a zone.',
    parameters: { type: 'object', properties: { zone: { type: 'string', description: 'IANA zone' } }, required: ['zone'] },
  },
};
const template = {
  api_name: 'add',
  api_description: 'Adds.',
  parameters: { a: { type: 'int', description: 'a' } },
  required: ['a'],
  responses: { sum: { type: 'int', description: 'a + a' } },
};
const read = (text: string) => parseToolText(text, 'f');
const where = (text: string) => read(text).candidates.map((c) => [c.source, c.format, (c.raw as { api_name?: unknown }).api_name]);

describe('the one tool-file reader: every layout, each tool named by where it is', () => {
  it('JSON lines of templates, functions and groups; a one-line file; a BOM', () => {
    const group = { category: 'Time', tool: 'clock', functions: [fn.function] };
    expect(where([JSON.stringify(template), '', JSON.stringify(fn), JSON.stringify(group)].join('\n'))).toEqual([
      ['f:1', 'template', 'add'],
      ['f:3', 'openai', 'get_time'],
      ['f:4#/functions/0', 'tooleyes', 'get_time'],
    ]);
    expect(read(`\uFEFF${JSON.stringify(template)}\n`)).toMatchObject({ format: 'template', candidates: [{ source: 'f:1' }] });
    expect(read(`${JSON.stringify(group)}\n`).candidates[0]).toMatchObject({
      source: 'f:1#/functions/0',
      field: 'Time',
      subfield: 'clock',
      raw: { field: 'Time/clock' },
    });
  });

  it('documents: a list (mixed entries read one by one), {tools}, MCP tools/list with or without the JSON-RPC envelope', () => {
    expect(where(JSON.stringify([template, fn, 42]))).toEqual([
      ['f#/0', 'template', 'add'],
      ['f#/1', 'openai', 'get_time'],
      ['f#/2', 'template', undefined],
    ]);
    expect(where(JSON.stringify({ tools: [template] }))).toEqual([['f#/tools/0', 'template', 'add']]);
    const mcp = {
      name: 'echo',
      description: 'Echoes.',
      inputSchema: { type: 'object', properties: { t: { type: 'string' } } },
      outputSchema: { type: 'object', properties: { t: { type: 'string' } } },
    };
    expect(read(JSON.stringify({ tools: [mcp] }))).toMatchObject({
      format: 'mcp',
      candidates: [{ source: 'f#/tools/0', raw: { api_name: 'echo', responses: { t: { type: 'string' } } } }],
    });
    expect(read(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { tools: [mcp] } })).candidates[0]!.source).toBe('f#/result/tools/0');
  });

  it('an empty file, bad JSON and a file without a single named tool are errors naming the file (and line)', () => {
    expect(() => read(' \n')).toThrow(/^f: expected tools \(JSON or JSON lines\), got an empty file$/);
    expect(() => read(`${JSON.stringify(template)}\n{oops`)).toThrow(/^f:2: expected JSON, got invalid JSON/);
    expect(() => read('[{"api_name": 1},')).toThrow(/^f: expected a JSON list of tools, got invalid JSON$/);
    expect(() => read('{"Sports": ["Football"]}\n{"Music": []}')).toThrow(
      /^f: expected a tool file .*got a field taxonomy .*--seed-fields, and import the tool file \(first entry: an object with Sports\)$/,
    );
    expect(read('[]')).toEqual({ format: 'template', candidates: [] });
  });
});
