import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromOpenAIFunction, normalizeType, parametersJsonSchema, toOpenAIFunction } from '../../src/schema/tool-convert.js';
import { metaSchemaErrors } from '../../src/schema/json-schema.js';
import { checkToolCandidate } from '../../src/schema/tool-check.js';
import { OpenAIFunctionSchema } from '../../src/schema/tool.js';
import { precheckCall } from '../../src/validate/precheck.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { sealTools } from '../support/seal-tools.js';

describe('unified template ↔ JSON Schema ↔ OpenAI functions', () => {
  it('normalises Python-style and generic type names', () => {
    expect(['str', 'int', 'float', 'list', 'dict', 'bool', 'List[str]', 'Optional[int]', 'Dict[str, int]', 'string'].map(normalizeType)).toEqual([
      'string',
      'integer',
      'number',
      'array',
      'object',
      'boolean',
      'array',
      'integer',
      'object',
      'string',
    ]);
    expect(normalizeType('widget')).toBeUndefined();
  });

  it('turns every Seal-Tools tool into a meta-valid JSON Schema and an OpenAI function', () => {
    for (const tool of sealTools()) {
      const schema = parametersJsonSchema(tool);
      expect(metaSchemaErrors(schema)).toEqual([]);
      const fn = OpenAIFunctionSchema.parse(toOpenAIFunction(tool));
      expect(fn.function.name).toBe(tool.api_name);
      expect(Object.keys((fn.function.parameters as { properties: object }).properties)).toEqual(Object.keys(tool.parameters));
    }
  });

  it('reads every ToolEyes OpenAI function into the template and back without loss', () => {
    const library = (
      JSON.parse(readFileSync(join(SHARED_DATASETS, 'tools/tooleyes_tool_library.json'), 'utf8')) as { tools: { category: string; functions: unknown[] }[] }
    ).tools;
    let n = 0;
    for (const t of library) {
      for (const raw of t.functions) {
        const fn = OpenAIFunctionSchema.parse({ type: 'function', function: raw });
        const tool = fromOpenAIFunction(fn, t.category);
        expect(tool.api_name).toBe(fn.function.name);
        const back = toOpenAIFunction(tool).function.parameters as { required: string[]; properties: object };
        expect(back.required).toEqual((fn.function.parameters as { required?: string[] } | undefined)?.required ?? []);
        expect(Object.keys(back.properties)).toEqual(Object.keys((fn.function.parameters as { properties?: object } | undefined)?.properties ?? {}));
        n++;
      }
    }
    expect(n).toBe(758);
  });
});

describe('enum on an array parameter', () => {
  // BFCL's shape (e.g. `cuisine` lists): the values constrain each element, not the whole array
  const tool = {
    api_name: 'find_restaurants',
    api_description: 'Find restaurants by cuisine.',
    parameters: {
      cuisine: { type: 'array', description: 'Cuisines.', items: { type: 'string' }, enum: ['Italian', 'Thai', 'Vegan'] },
      pair: {
        type: 'array',
        description: 'One of two whole pairs.',
        items: { type: 'integer' },
        enum: [
          [1, 2],
          [3, 4],
        ],
      },
    },
    required: ['cuisine'],
    responses: {},
  };

  it('moves the values onto items once, so the pre-check and a served tool agree', () => {
    const props = parametersJsonSchema(tool).properties as Record<string, Record<string, unknown>>;
    expect(props.cuisine).toEqual({ description: 'Cuisines.', type: 'array', items: { type: 'string', enum: ['Italian', 'Thai', 'Vegan'] } });
    expect(props.pair!.enum).toEqual([
      [1, 2],
      [3, 4],
    ]); // values that are arrays keep the whole-array meaning
    expect(precheckCall(tool, { cuisine: ['Thai', 'Vegan'] })).toBeUndefined();
    expect(precheckCall(tool, { cuisine: [] })).toBeUndefined();
    expect(precheckCall(tool, { cuisine: ['Thai'], pair: [3, 4] })).toBeUndefined();
    expect(precheckCall(tool, { cuisine: ['Thai', 'Greek'] })).toMatchObject({ type: 'invalid_value', parameter: 'cuisine.1' });
    expect(precheckCall(tool, { cuisine: ['Thai'], pair: [1, 4] })).toMatchObject({ type: 'invalid_value', parameter: 'pair' });
    const checked = checkToolCandidate(tool);
    expect(checked.refused).toEqual([]);
    expect(precheckCall(checked.servable!, { cuisine: ['Italian'] })).toBeUndefined();
  });
});
