import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseToolText } from '../../src/schema/tool-file.js';
import { SHARED_DATASETS } from '../support/paths.js';

const read = (rel: string) => {
  const file = join(SHARED_DATASETS, rel);
  return () => parseToolText(readFileSync(file, 'utf8'), file);
};

describe('a file taken for a tool file says what it is and which file to give', () => {
  it.each([
    [
      'tools/seal-tools/dev.jsonl',
      /seal-tools\/dev\.jsonl: expected a tool file .*got a Seal-Tools query file .*import the tool\.jsonl beside it \(first entry: an object with id, query, calling\)$/,
    ],
    ['tools/seal-tools/field.jsonl', /got a field taxonomy .*carg tools expand --seed-fields/],
    ['bamboogle/bamboogle.jsonl', /got a QA dataset \(question and answer\), not tools: it is --dataset for mtr generate/],
    ['hotpotqa/hotpot_dev_distractor_300.jsonl', /got a QA dataset/],
  ])('%s', (rel, message) => {
    expect(read(rel)).toThrow(message);
  });

  it('BFCL multi-turn questions (classes, no functions) point to the function docs', () => {
    const line = {
      id: 'multi_turn_base_0',
      question: [[{ role: 'user', content: 'Move a.txt to temp.' }]],
      initial_config: {},
      path: [],
      involved_classes: ['GorillaFileSystem'],
    };
    expect(() => parseToolText(`${JSON.stringify(line)}\n${JSON.stringify({ ...line, id: 'multi_turn_base_1' })}\n`, 'BFCL_v4_multi_turn_base.json')).toThrow(
      /got BFCL multi-turn questions \(they name classes in involved_classes, not functions\): import the classes' function docs, multi_turn_func_doc\/\*\.json \(first entry: an object with id, question, initial_config, path, involved_classes\)$/,
    );
  });

  it('a file that looks like nothing known keeps the plain message', () => {
    expect(() => parseToolText('{"a": 1, "b": 2}\n', 'x.jsonl')).toThrow(/got no named tool in it \(first entry: an object with a, b\)$/);
  });

  it('a file in a known layout whose entries have no name says which layout and which name field, where', () => {
    const params = { type: 'object', properties: { q: { type: 'string' } } };
    const cases: [string, string, unknown, RegExp][] = [
      [
        'OpenAI function list',
        'fns.json',
        [{ type: 'function', function: { description: 'Searches.', parameters: params } }],
        /^fns\.json: expected a tool file .*got an OpenAI function list in which no entry names its tool: fns\.json#\/0 has no "function\.name" \(an object with type, function\)$/,
      ],
      [
        'bare OpenAI functions as JSON lines, the name null',
        'fns.jsonl',
        '{"name": null, "parameters": {}}\n',
        /got an OpenAI function list in which no entry names its tool: fns\.jsonl:1 has no "name" \(an object with name, parameters\)$/,
      ],
      [
        'ToolBench tool JSON',
        'tool.json',
        { tool_name: 'Weather', api_list: [{ description: 'Now.', method: 'GET', required_parameters: [] }] },
        /got a StableToolBench \/ ToolBench api_list in which no entry names its tool: tool\.json#\/api_list\/0 has no "name" \(an object with description, method, required_parameters\)$/,
      ],
      [
        'ToolBench query file',
        'G1_query.json',
        [{ query: 'q', api_list: [{ category_name: 'Data', tool_name: 'T', api_description: 'd' }] }],
        /G1_query\.json#\/0\/api_list\/0 has no "api_name" \(an object with category_name, tool_name, api_description\)$/,
      ],
      [
        'BFCL questions',
        'BFCL_v3_simple.json',
        `${JSON.stringify({ id: 'simple_0', question: [[{ role: 'user', content: 'x' }]], function: [{ description: 'd', parameters: { type: 'dict', properties: {} } }] })}\n`,
        /got BFCL functions in which no entry names its tool: BFCL_v3_simple\.json:1#\/function\/0 has no "name" \(an object with description, parameters\)$/,
      ],
      [
        'MCP tools/list',
        'mcp.json',
        { tools: [{ description: 'd', inputSchema: params }] },
        /got an MCP tools\/list answer in which no entry names its tool: mcp\.json#\/tools\/0 has no "name" \(an object with description, inputSchema\)$/,
      ],
    ];
    for (const [layout, file, value, message] of cases)
      expect(() => parseToolText(typeof value === 'string' ? value : JSON.stringify(value, null, 2), file), layout).toThrow(message);
  });
});
