import { describe, expect, it } from 'vitest';
import { compilePattern, metaSchemaErrors } from '../../src/schema/json-schema.js';
import { RE2JS } from 're2js';
import type { ToolTemplate } from '../../src/schema/tool.js';
import { precheckCall } from '../../src/validate/precheck.js';
import { checkTool } from '../../src/validate/tool-schema.js';

const tool = (pattern: string): ToolTemplate => ({
  api_name: 'lookup_code',
  api_description: 'Looks a code up.',
  parameters: { code: { type: 'string', description: 'The code.', pattern } },
  required: ['code'],
  responses: { name: { type: 'string', description: 'What the code names.' } },
});

describe('patterns in tool schemas run in linear time (RE2)', () => {
  it("a catastrophic pattern answers: ^(a+)+$ against 'aaaa…!' (JavaScript's RegExp would backtrack for ever)", { timeout: 10_000 }, () => {
    // no clock here: a backtracking engine would not return on this input, and the test's timeout fails it
    expect(compilePattern('^(a+)+$')).toBeInstanceOf(RE2JS);
    const t = tool('^(a+)+$');
    const err = precheckCall(t, { code: `${'a'.repeat(100_000)}!` });
    expect(err).toMatchObject({ type: 'invalid_value', parameter: 'code', message: expect.stringContaining('must match pattern "^(a+)+$"') });
    expect(precheckCall(t, { code: 'aaaa' })).toBeUndefined();
  });

  it('what RE2 cannot run (lookaround, backreferences) is refused with the reason, never compiled as a backtracking RegExp', () => {
    expect(() => compilePattern('(a)\\1')).toThrow(/pattern "\(a\)\\\\1": expected a regular expression a linear-time engine \(RE2\) accepts, got /);
    const check = checkTool(tool('^(?!x)'));
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reasons).toEqual([
      expect.stringMatching(/^parameters: invalid JSON Schema: .*pattern "\^\(\?!x\)": expected a regular expression a linear-time engine \(RE2\)/),
    ]);
    // meta-validation without compiling (how serve tools loads 4,000 tools) still tries every pattern
    expect(
      metaSchemaErrors({ type: 'object', properties: { a: { type: 'array', items: { type: 'string', pattern: '(?<=a)b' } } } }, { compile: false }),
    ).toEqual([expect.stringMatching(/^\/properties\/a\/items: pattern "\(\?<=a\)b"/)]);
    expect(metaSchemaErrors({ type: 'string', pattern: '^[A-Z]{2}\\d{4}$' }, { compile: false })).toEqual([]);
  });
});
