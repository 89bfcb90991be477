import { describe, expect, it } from 'vitest';
import { compilePattern, metaSchemaErrors } from '../../src/schema/json-schema.js';
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
  it("a catastrophic pattern answers at once: ^(a+)+$ against 'aaaa…!' (JavaScript's RegExp backtracks for ever)", () => {
    const t = tool('^(a+)+$');
    const started = performance.now();
    const err = precheckCall(t, { code: `${'a'.repeat(100_000)}!` });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(err).toMatchObject({ type: 'invalid_value', parameter: 'code', message: expect.stringContaining('must match pattern "^(a+)+$"') });
    expect(precheckCall(t, { code: 'aaaa' })).toBeUndefined();
    // the control: on 24 a's JavaScript's own engine already takes 2^24 steps, RE2 a few dozen
    const input = `${'a'.repeat(24)}!`;
    const re2 = performance.now();
    for (let i = 0; i < 10; i++) precheckCall(t, { code: input });
    const re2Ms = (performance.now() - re2) / 10;
    const js = performance.now();
    /^(a+)+$/.test(input);
    const jsMs = performance.now() - js;
    expect(jsMs).toBeGreaterThan(Math.max(20, 20 * re2Ms));
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
