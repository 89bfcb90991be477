import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseToolText } from '../../src/schema/tool-file.js';
import { loadToolsetFile } from '../../src/tools/toolset.js';
import { precheckCall } from '../../src/validate/precheck.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { bothAgree } from './tool-agree.js';

/**
 * Seal-Tools' files beside tool.jsonl, in the shape of fairyshine/Seal-Tools `Seal-Tools_Dataset/`
 * (`dataset_for_finetune/{train,dev,test_in_domain,test_out_domain}.json`, `dataset_in_old_format/*.jsonl`), with
 * content of our own. A fine-tuning record's human turn lists its tools as `api_list = [...]` in Python's repr.
 */
const INSTRUCTION =
  'Please chooose the needed apis and return api_calling list according to the task_instruction.\nOutput format: [{"api": "", "parameters": {"": ""}, "responses": ["API_call_0","API_call_1"]}]\nResponses can be used as parameter value. The number of responses depends on information in api_list.\n\nInput:\n';
const BAKE = `{'api_name': 'getBakingTime', 'api_description': "Baking time for a loaf (the baker's rule)", 'field': 'Culinary Arts/Baking', 'parameters': {'weight': {'type': 'float', 'description': 'Loaf weight in kg'}, 'crust': {'type': 'str', 'description': 'Crust wanted (e.g., soft, dark)'}}, 'required': ['weight'], 'responses': {'minutes': {'type': 'int', 'description': 'Minutes in the oven'}}}`;
const TIDE = `{'api_name': 'getTideLevel', 'api_description': 'Tide level at a harbour', 'field': 'Oceanography/Coastal', 'parameters': {'harbour': {'type': 'str', 'description': 'Harbour name'}, 'hours_ahead': {'type': 'int', 'description': 'Forecast hours'}}, 'required': ['harbour'], 'responses': {'level_m': {'type': 'float', 'description': 'Level in metres'}, 'rising': {'type': 'bool', 'description': 'Whether the tide rises'}}}`;
const NAP = `{'api_name': 'getNapLength', 'api_description': 'Suggested nap length', 'field': 'Sleep Medicine', 'parameters': {}, 'required': [], 'responses': {'minutes': {'type': 'int', 'description': 'Nap minutes'}}}`;

const record = (id: string, tools: string[], task: string, answer: string) => ({
  id,
  conversations: [
    { from: 'human', value: `${INSTRUCTION}api_list = [${tools.join(', ')}]\ntask_instruction = "${task}"\nOutput:\n` },
    { from: 'gpt', value: answer },
  ],
});
const FINETUNE = [
  record(
    'dev-easy-0',
    [BAKE, TIDE],
    'How long to bake a 1.2 kg loaf?',
    "[{'api': 'getBakingTime', 'parameters': {'weight': 1.2}, 'responses': ['API_call_0']}]",
  ),
  record(
    'dev-hard-1',
    [TIDE, NAP, BAKE],
    'Tide at Brest, then a nap.',
    "[{'api': 'getTideLevel', 'parameters': {'harbour': 'Brest'}, 'responses': ['API_call_0', 'API_call_1']}]",
  ),
];
const OLD_FORMAT = [
  [{ api: 'getBakingTime', parameters: { weight: 1.2 } }, 'How long to bake a 1.2 kg loaf?'],
  [
    [
      { api: 'getTideLevel', parameters: { harbour: 'Brest' }, responses: ['API_call_0'] },
      { api: 'getNapLength', parameters: {}, responses: ['API_call_1'] },
    ],
    'Tide at Brest, then a nap.',
  ],
];

/** Python's repr of a JSON value (the quote Python picks: single, double when the text has only single quotes). */
function pyRepr(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    return `${q}${v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll(q, `\\${q}`)}${q}`;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
    .join(', ')}}`;
}

const tmp = mkdtempSync(join(tmpdir(), 'mtr-seal-tools-'));
const write = (name: string, text: string): string => {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
};

describe('Seal-Tools fine-tuning files (dataset_for_finetune/*.json)', () => {
  it('gathers the api_list of every record, each name once, where it was first listed', () => {
    const read = parseToolText(JSON.stringify(FINETUNE, null, 2), 'dev.json');
    expect(read.format).toBe('seal-tools');
    expect(read.candidates.map((c) => [c.source, (c.raw as { api_name: string }).api_name, c.field, c.subfield])).toEqual([
      ['dev.json#/0/conversations/0/value/api_list/0', 'getBakingTime', 'Culinary Arts', 'Baking'],
      ['dev.json#/0/conversations/0/value/api_list/1', 'getTideLevel', 'Oceanography', 'Coastal'],
      ['dev.json#/1/conversations/0/value/api_list/1', 'getNapLength', 'Sleep Medicine', undefined],
    ]);
    // the Python literal read whole: a double-quoted string with an apostrophe, nested dicts, the required list
    expect(read.candidates[0]!.raw).toMatchObject({ api_description: "Baking time for a loaf (the baker's rule)", required: ['weight'] });
  });

  it('carg import and serve read it to the same three tools, none rejected; the gold calls pass the pre-check', async () => {
    const file = write('dev.json', JSON.stringify(FINETUNE, null, 2));
    const { imported, served, rows } = await bothAgree(file);
    expect(imported.files).toEqual([{ file, format: 'seal-tools', tools: 3 }]);
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ['getBakingTime', 'accepted'],
      ['getTideLevel', 'accepted'],
      ['getNapLength', 'accepted'],
    ]);
    const tool = (name: string) => served.tools.find((t) => t.api_name === name)!;
    expect(tool('getTideLevel').responses.rising).toEqual({ type: 'boolean', description: 'Whether the tide rises' });
    expect(precheckCall(tool('getBakingTime'), { weight: 1.2 })).toBeUndefined();
    expect(precheckCall(tool('getTideLevel'), { harbour: 'Brest' })).toBeUndefined();
    expect(precheckCall(tool('getTideLevel'), { hours_ahead: 3 })).toMatchObject({ type: 'missing_required', parameter: 'harbour' });
  });

  it('real tools written as Python repr into fine-tuning prompts read back as the tool.jsonl they come from', () => {
    const lines = readFileSync(join(SHARED_DATASETS, 'tools/seal-tools/tool.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .slice(0, 60);
    const tools = lines.map((l) => JSON.parse(l) as unknown);
    // five tools a prompt, each window overlapping the last, as the real files repeat tools across records
    const records = Array.from({ length: 20 }, (_, i) => record(`r${i}`, tools.slice(i * 3, i * 3 + 5).map(pyRepr), 'q', '[]'));
    const finetune = loadToolsetFile(write('test_out_domain.json', JSON.stringify(records, null, 2)));
    const direct = loadToolsetFile(write('tool.jsonl', lines.join('\n')));
    expect(finetune.tools).toHaveLength(60);
    expect(finetune.tools).toEqual(direct.tools);
  });

  it('an api_list that is no Python literal is an error naming the record and turn', () => {
    const broken = [record('x', ["{'api_name': 'a'"], 't', '[]')];
    expect(() => parseToolText(JSON.stringify(broken), 'train.json')).toThrow(
      /^train\.json#\/0\/conversations\/0\/value: api_list: expected a Python list of tools, got expected/,
    );
  });
});

describe('Seal-Tools files that hold no tools are refused, saying what they are', () => {
  it('an old-format query file ([calls, query] per line): calls without schemas', () => {
    const file = write('old_dev.jsonl', OLD_FORMAT.map((l) => JSON.stringify(l)).join('\n'));
    const message = /got a Seal-Tools old-format query file .*no schema\), not the tools: import the tool\.jsonl beside it/;
    expect(() => parseToolText(readFileSync(file, 'utf8'), file)).toThrow(message);
    expect(() => loadToolsetFile(file)).toThrow(message);
  });

  it('a JSON list that does not parse keeps its own message', () => {
    expect(() => parseToolText('[{"api": "x"},\n', 'f')).toThrow(/^f: expected a JSON list of tools, got invalid JSON$/);
  });

  it('the shared dev.jsonl ({id, query, calling}) stays a query file', () => {
    const file = join(SHARED_DATASETS, 'tools/seal-tools/dev.jsonl');
    expect(() => loadToolsetFile(file)).toThrow(/got a Seal-Tools query file \(calls of tools, \{id, query, calling\}\), not the tools/);
  });
});
