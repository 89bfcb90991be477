import { describe, expect, it } from 'vitest';
import { parametersJsonSchema } from '../../src/schema/tool-convert.js';
import type { ToolTemplate } from '../../src/schema/tool.js';
import { coerceArguments } from '../../src/validate/coerce.js';
import { precheckArguments, precheckCall } from '../../src/validate/precheck.js';

const TOOL: ToolTemplate = {
  api_name: 'book',
  api_description: 'Books rooms.',
  parameters: {
    rooms: { type: 'integer', description: 'Rooms.' },
    budget: { type: 'number', description: 'Budget.' },
    refundable: { type: 'boolean', description: 'Refundable.' },
    note: { type: 'string', description: 'A note.' },
    code: { type: ['string', 'integer'], description: 'A string or an integer.' },
    anything: { type: 'any', description: 'Unconstrained.' },
    guests: {
      type: 'array',
      description: 'Guests.',
      items: {
        type: 'object',
        description: 'A guest.',
        properties: { age: { type: 'integer', description: 'Age.' }, name: { type: 'string', description: 'Name.' } },
      },
    },
    dates: {
      type: 'object',
      description: 'Dates.',
      properties: { nights: { type: 'integer', description: 'Nights.' }, flexible: { type: 'boolean', description: 'Flexible.' } },
    },
    scores: { type: 'array', description: 'Scores.', items: { type: 'number', description: 'A score.' } },
  },
  required: [],
  responses: {},
};
const schema = parametersJsonSchema(TOOL);
const strings = (args: Record<string, unknown>) => coerceArguments(schema, args, 'strings');

describe('coerceArguments (--coerce strings)', () => {
  it('reads an integral JSON number literal as an integer, a fractional one only where a number fits', () => {
    expect(strings({ rooms: '3', budget: '2.5' })).toEqual({
      arguments: { rooms: 3, budget: 2.5 },
      coerced: [
        { parameter: 'rooms', from: 'string', to: 'integer' },
        { parameter: 'budget', from: 'string', to: 'number' },
      ],
    });
    expect(strings({ rooms: '-0', budget: '4' }).arguments).toEqual({ rooms: -0, budget: 4 });
    expect(strings({ rooms: '2.5' })).toEqual({ arguments: { rooms: '2.5' }, coerced: [] }); // not integral: stays, the type_error names it
    expect(strings({ rooms: '1e3', budget: '1.5E-1' }).arguments).toEqual({ rooms: 1000, budget: 0.15 });
  });

  it('reads "true" and "false" where only a boolean fits', () => {
    expect(strings({ refundable: 'true', dates: { flexible: 'false' } }).arguments).toEqual({ refundable: true, dates: { flexible: false } });
    expect(strings({ refundable: 'True' }).arguments).toEqual({ refundable: 'True' });
    expect(strings({ refundable: '1' }).arguments).toEqual({ refundable: '1' });
  });

  it.each([' 7 ', '7 ', '', '0x10', 'NaN', 'Infinity', '+3', '03', '1e400', '3.', '.5', 'three'])('leaves %j a string', (s) => {
    expect(strings({ rooms: s, budget: s })).toEqual({ arguments: { rooms: s, budget: s }, coerced: [] });
  });

  it('leaves parameters that may be strings (string, a union with string, no type) untouched', () => {
    const args = { note: '3', code: '3', anything: 'true' };
    expect(strings(args)).toEqual({ arguments: args, coerced: [] });
  });

  it('recurses into nested object properties and array items, naming the place', () => {
    const r = strings({ guests: [{ age: '30', name: '12' }, { age: 41 }], dates: { nights: '2' }, scores: ['1.5', 2, 'x'] });
    expect(r.arguments).toEqual({ guests: [{ age: 30, name: '12' }, { age: 41 }], dates: { nights: 2 }, scores: [1.5, 2, 'x'] });
    expect(r.coerced.map((c) => `${c.parameter}:${c.to}`)).toEqual(['guests[0].age:integer', 'dates.nights:integer', 'scores[0]:number']);
  });

  it('never mutates its input; unknown parameters and non-string values pass as they are', () => {
    const args = { guests: [{ age: '30' }], dates: { nights: '2' }, extra: '5', rooms: 3 };
    const before = structuredClone(args);
    const r = strings(args);
    expect(args).toEqual(before);
    expect(r.arguments).not.toBe(args);
    expect((r.arguments as typeof args).guests).not.toBe(args.guests);
    expect(r.arguments).toMatchObject({ extra: '5', rooms: 3 });
    const clean = { rooms: 3 };
    expect(strings(clean).arguments).toBe(clean); // nothing changed: the same object
  });

  it('under strict, reads nothing', () => {
    const args = { rooms: '3' };
    expect(coerceArguments(schema, args, 'strict')).toEqual({ arguments: args, coerced: [] });
  });
});

describe('precheckArguments', () => {
  it('rejects "3" for an integer under strict (as precheckCall does) and accepts it as 3 under strings', () => {
    const strict = precheckArguments(TOOL, { rooms: '3' }, 'strict');
    expect(strict.error).toMatchObject({ type: 'type_error', parameter: 'rooms' });
    expect(strict.error).toEqual(precheckCall(TOOL, { rooms: '3' }));
    expect(precheckArguments(TOOL, { rooms: '3' })).toEqual(strict); // strict is the default
    expect(precheckArguments(TOOL, { rooms: '3' }, 'strings')).toEqual({
      arguments: { rooms: 3 },
      coerced: [{ parameter: 'rooms', from: 'string', to: 'integer' }],
    });
  });

  it('under strings, still rejects what coercion cannot fix, as strict would', () => {
    expect(precheckArguments(TOOL, { rooms: '2.5' }, 'strings').error).toMatchObject({ type: 'type_error', parameter: 'rooms' });
    expect(precheckArguments(TOOL, { rooms: '3', nope: 1 }, 'strings').error).toMatchObject({ type: 'excess_parameter', parameter: 'nope' });
    expect(precheckArguments(TOOL, '3', 'strings').error).toMatchObject({ type: 'malformed_call' });
  });
});
