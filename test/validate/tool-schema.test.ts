import { describe, expect, it } from 'vitest';
import { checkTool, checkToolSet } from '../../src/validate/tool-schema.js';
import { sealTools } from '../support/seal-tools.js';

const good = {
  api_name: 'get_film_director',
  api_description: 'Returns the director of a film.',
  field: 'film',
  parameters: { title: { type: 'str', description: 'Film title.' }, year: { type: 'int', description: 'Release year.' } },
  required: ['title'],
  responses: { director: { type: 'str', description: 'Director name.' } },
};

describe('checkTool (ToolMaker validation checking)', () => {
  it('accepts every real Seal-Tools tool with its own (camelCase) names, and asks ToolMaker for snake_case', () => {
    const tools = sealTools();
    const failures = tools.map((t) => checkTool(t, { nameStyle: 'function' })).flatMap((c) => (c.ok ? [] : c.reasons));
    // Two names in the file itself cannot be function names (a space, a dot): those and only those are refused.
    expect(failures.sort()).toEqual([
      'api_name: expected letters, digits, _ or - (at most 64), got "getPM2.5Level"',
      'api_name: expected letters, digits, _ or - (at most 64), got "requestFirst Aid Assistance"',
    ]);
    const camel = tools.find((t) => t.api_name === 'analyzeEvidence')!;
    expect(checkTool(camel)).toEqual({ ok: false, reasons: ['api_name: expected snake_case, got "analyzeEvidence"'] });
  });

  it.each([
    ['api_name: expected snake_case', { ...good, api_name: 'GetFilmDirector' }],
    ['api_description: expected a non-empty description', { ...good, api_description: ' ' }],
    [
      'parameters.title.description: expected a non-empty description',
      { ...good, parameters: { ...good.parameters, title: { type: 'str', description: '' } } },
    ],
    ['parameters.year.type: unknown type "integr"', { ...good, parameters: { ...good.parameters, year: { type: 'integr', description: 'x' } } }],
    ['required: "genre" is not a parameter', { ...good, required: ['title', 'genre'] }],
    ['responses: expected at least one response field', { ...good, responses: {} }],
    ['parameters: invalid JSON Schema', { ...good, parameters: { ...good.parameters, title: { type: 'str', description: 'x', pattern: '(' } } }],
    ['api_name: Invalid input', { ...good, api_name: 7 }],
  ])('rejects with "%s"', (reason, tool) => {
    const check = checkTool(tool);
    expect(check.ok).toBe(false);
    expect(check.ok ? [] : check.reasons.join('\n')).toContain(reason);
  });

  it('rejects duplicate names and names reserved by utility tools', () => {
    const { accepted, rejected } = checkToolSet([good, { ...good }, { ...good, api_name: 'wiki_search' }], ['wiki_search']);
    expect(accepted.map((t) => t.api_name)).toEqual(['get_film_director']);
    expect(rejected.map((r) => r.reasons[0])).toEqual([
      'api_name: "get_film_director" is already taken by another tool',
      'api_name: "wiki_search" is already taken by another tool',
    ]);
  });
});
