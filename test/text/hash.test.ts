import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256 as actorSha256 } from '../../src/actor/canonical.js';
import { isHeldOut } from '../../src/carg/split.js';
import { splitHash } from '../../src/export/split.js';
import { promptHash } from '../../src/prompts/index.js';
import { sha256Digest, sha256Hex, sha256Unit } from '../../src/text/hash.js';
import { checkConfigHash, CHECKS_VERSION, CheckConfigSchema } from '../../src/validate/config.js';

/** What every call site computed by hand before the helper (so stored hashes and run keys stay the same). */
const oldHex = (text: string, length: number): string => createHash('sha256').update(text).digest('hex').slice(0, length);
const oldUnit = (text: string): number => createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
const TEXTS = ['', 'abc', 'Zürich ☃ 🙂', '42\u0000hotpot-1', 'line\r\nline\n', 'get_weather'];

describe('sha256 helpers', () => {
  it('match the published sha256 test vector', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Digest('abc').toString('hex')).toBe(sha256Hex('abc'));
    expect(sha256Digest('abc')).toHaveLength(32);
  });

  it('hash the UTF-8 text: pinned values of non-ASCII input and of a split key', () => {
    expect(sha256Hex('Zürich ☃', 32)).toBe('a9053f902f611621fca76265d97e8826');
    expect(sha256Hex('You are a helpful agent.\n', 16)).toBe('33619236ba0bd0f5');
    expect(sha256Hex(JSON.stringify({ a: 1, b: 'é' }), 10)).toBe('09ad9fd2fb');
    expect(sha256Unit('42\u0000hotpot-1')).toBe(0.8432807815261185);
    expect(sha256Unit('get_weather')).toBe(0.8875460582785308);
  });

  it.each(TEXTS)('equal the hand-written digests the call sites used (%j)', (text) => {
    for (const n of [10, 16, 32, 64]) expect(sha256Hex(text, n)).toBe(oldHex(text, n));
    expect(sha256Unit(text)).toBe(oldUnit(text));
    expect(sha256Unit(text)).toBeGreaterThanOrEqual(0);
    expect(sha256Unit(text)).toBeLessThan(1);
  });

  it('keep every call site’s output: prompt hash, check-config hash, export split, held-out tools, actor cache key', () => {
    for (const text of TEXTS) {
      expect(promptHash(text)).toBe(oldHex(text, 16));
      expect(actorSha256(text)).toBe(sha256Hex(text, 32));
    }
    const config = CheckConfigSchema.parse({});
    const canonical = JSON.stringify([CHECKS_VERSION, Object.entries(config).sort(([a], [b]) => a.localeCompare(b))]);
    expect(checkConfigHash(config)).toBe(oldHex(canonical, 16));
    expect(splitHash('hotpot-1', 42)).toBe(0.8432807815261185);
    expect(splitHash('5a8b57f25542995d1e6f1371', 7)).toBe(oldUnit('7\u00005a8b57f25542995d1e6f1371'));
    expect(isHeldOut('get_weather', 0.9)).toBe(true);
    expect(isHeldOut('get_weather', 0.88)).toBe(false);
    expect(isHeldOut('get_weather', 0)).toBe(false);
  });
});
