import { describe, expect, it } from 'vitest';
import { precheckCall, unknownToolError } from '../../src/validate/precheck.js';
import { normalizeType } from '../../src/schema/tool-convert.js';
import type { ToolTemplate } from '../../src/schema/tool.js';
import { sealTools } from '../support/seal-tools.js';

const TOOLS = sealTools();

/** A well-typed value for a Seal-Tools parameter type. */
const VALUES: Record<string, unknown> = { string: 'Paris', integer: 3, number: 2.5, boolean: true, array: ['a'], object: { k: 'v' } };
const valueFor = (type: string): unknown => VALUES[normalizeType(type) ?? 'string'];
/** A value of the wrong type for it. */
const wrongFor = (type: string): unknown => (normalizeType(type) === 'string' ? 42 : 'not-a-number');

const validCall = (tool: ToolTemplate) => Object.fromEntries(Object.entries(tool.parameters).map(([k, v]) => [k, valueFor(v.type as string)]));

describe('precheckCall on every Seal-Tools tool', () => {
  it(`accepts a well-typed call to each of the ${TOOLS.length} tools`, () => {
    expect(TOOLS.length).toBe(4076);
    const rejected = TOOLS.filter((t) => precheckCall(t, validCall(t)) !== undefined);
    expect(rejected.map((t) => t.api_name)).toEqual([]);
  });

  it('catches 100% of missing required parameters, naming the parameter', () => {
    let cases = 0;
    for (const tool of TOOLS) {
      for (const name of tool.required) {
        const args = validCall(tool);
        delete args[name];
        expect(precheckCall(tool, args)).toMatchObject({ type: 'missing_required', parameter: name });
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(4000);
  });

  it('catches 100% of excess parameters and lists the accepted ones', () => {
    for (const tool of TOOLS) {
      const error = precheckCall(tool, { ...validCall(tool), not_a_parameter: 1 });
      expect(error).toMatchObject({ type: 'excess_parameter', parameter: 'not_a_parameter' });
      for (const name of Object.keys(tool.parameters)) expect(error!.message).toContain(name);
    }
  });

  it('catches 100% of type errors with expected and received types', () => {
    let cases = 0;
    for (const tool of TOOLS) {
      for (const [name, spec] of Object.entries(tool.parameters)) {
        const args = { ...validCall(tool), [name]: wrongFor(spec.type as string) };
        const error = precheckCall(tool, args);
        expect(error).toMatchObject({ type: 'type_error', parameter: name });
        expect(error!.message).toContain(`expected ${normalizeType(spec.type as string)}`);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(9000);
  });

  it('enforces enum and range constraints as invalid values, and rejects non-object arguments', () => {
    const tool: ToolTemplate = {
      api_name: 'get_weather',
      api_description: 'Weather for a city.',
      parameters: {
        city: { type: 'string', description: 'City.' },
        unit: { type: 'string', description: 'Unit.', enum: ['C', 'F'] },
        days: { type: 'integer', description: 'Days.', minimum: 1, maximum: 7 },
      },
      required: ['city'],
      responses: { forecast: { type: 'string', description: 'Forecast.' } },
    };
    expect(precheckCall(tool, { city: 'Oslo', unit: 'K' })).toMatchObject({
      type: 'invalid_value',
      parameter: 'unit',
      message: expect.stringContaining('"C", "F"'),
    });
    expect(precheckCall(tool, { city: 'Oslo', days: 9 })).toMatchObject({ type: 'invalid_value', parameter: 'days' });
    expect(precheckCall(tool, ['Oslo'])).toMatchObject({ type: 'malformed_call' });
    expect(precheckCall(tool, { city: 'Oslo', unit: 'C', days: 3 })).toBeUndefined();
    expect(unknownToolError('get_wether', ['get_weather'])).toMatchObject({ type: 'unknown_tool', message: expect.stringContaining('get_weather') });
  });
});
