import { describe, expect, it } from 'vitest';
import { callKey, canonicalJson, parseTrace, renderTrace, sameCall } from '../../src/grammar/index.js';
import { DEFAULT_REWARD_CONFIG } from '../../src/reward/config.js';
import { efficiencyScore } from '../../src/reward/efficiency.js';
import type { Step } from '../../src/schema/trace.js';
import { checkRepeatedCalls, CheckConfigSchema } from '../../src/validate/index.js';
import { LOOKUP, SAME_CALL_CASES } from '../support/same-call-cases.js';
import { bamboogle, traceOf } from '../validate/fixtures.js';

const step = (index: number, args: Record<string, unknown>): Step => ({
  index,
  think: 'look',
  call: { name: 'lookup', arguments: args },
  observation: { content: { result: 'r' }, source: 'simulated' },
  raw: '',
});
const answer = (index: number): Step => ({ index, think: 'done', answer: 'x', raw: '' });

describe('the same call: one definition (grammar)', () => {
  for (const c of SAME_CALL_CASES) {
    it(`${c.what}: ${c.same ? 'one call' : 'two calls'}`, () => {
      const a = { name: 'lookup', arguments: c.a };
      const b = { name: 'lookup', arguments: c.b };
      expect(sameCall(a, b)).toBe(c.same);
      expect(sameCall(b, a)).toBe(c.same);
      expect(callKey(a) === callKey(b)).toBe(c.same);
      expect(canonicalJson(c.a) === canonicalJson(c.b)).toBe(c.same);
    });
  }

  it('the tool name is compared exactly', () => {
    expect(sameCall({ name: 'lookup', arguments: { query: 'x' } }, { name: 'Lookup', arguments: { query: 'x' } })).toBe(false);
    expect(sameCall({ name: 'lookup', arguments: { query: 'x' } }, { name: 'lookup ', arguments: { query: 'x' } })).toBe(false);
  });

  it('arrays keep their order; the canonical form is stable JSON', () => {
    expect(sameCall({ name: 't', arguments: { ids: [1, 2] } }, { name: 't', arguments: { ids: [2, 1] } })).toBe(false);
    expect(canonicalJson({ b: ' Paris  France', a: [1, { y: 'ＡＢ', x: true, z: null }] })).toBe('{"a":[1,{"x":true,"y":"ab","z":null}],"b":"paris france"}');
    expect(callKey({ name: 'lookup', arguments: { query: ' Paris ' } })).toBe('["lookup",{"query":"paris"}]');
  });
});

describe('the same call: the repeated_call check agrees', async () => {
  const [item] = await bamboogle(1);
  const config = CheckConfigSchema.parse({});
  for (const c of SAME_CALL_CASES) {
    it(`${c.what}: ${c.same ? 'repeated_call' : 'pass'}`, () => {
      const result = checkRepeatedCalls({ trace: traceOf(item!, [step(0, c.a), step(1, c.b), answer(2)], { tools: [LOOKUP] }), item: item! }, config);
      if (c.same) expect(result).toMatchObject({ pass: false, reason: 'repeated_call', details: { step: 1, first_step: 0, tool: 'lookup' } });
      else expect(result.pass).toBe(true);
    });
  }
});

describe('the same call: the efficiency reward agrees', () => {
  for (const c of SAME_CALL_CASES) {
    it(`${c.what}: ${c.same ? 'one repeat' : 'no repeat'}`, () => {
      const trace = parseTrace(renderTrace([step(0, c.a), step(1, c.b), answer(2)]));
      expect(trace.errors).toEqual([]);
      const r = efficiencyScore(trace, DEFAULT_REWARD_CONFIG.efficiency);
      expect(r).toMatchObject({ calls: 2, repeatedCalls: c.same ? 1 : 0, score: c.same ? 1 - DEFAULT_REWARD_CONFIG.efficiency.perRepeat : 1 });
    });
  }
});
