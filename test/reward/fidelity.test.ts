import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import {
  AGREE_MIN_F1,
  type AuditedCall,
  aggregateFidelity,
  callFidelity,
  FidelityEntrySchema,
  fidelityVerdict,
  supports,
  titleOverlap,
  titlesOf,
} from '../../src/reward/fidelity.js';
import { tokenF1 } from '../../src/text/answer.js';
import { UTILITY_TOOLS } from '../../src/tools/utility.js';
import { SHARED_DATASETS } from '../support/paths.js';

const wiki = UTILITY_TOOLS.wiki_search!;
const results = (...ps: [string, string][]) => ({ results: ps.map(([title, text]) => ({ title, text })) });

describe('support: a gold answer or a supporting title, normalised, as whole tokens', () => {
  const gold = { answers: ['The Beatles'], titles: ['Abbey Road'] };
  it('finds an answer through normalisation (case, punctuation, articles)', () => {
    expect(supports(results(['Music', 'It was recorded by the beatles, in London.']), gold)).toBe(true);
    expect(supports(results(['Abbey Road', 'a studio']), gold)).toBe(true); // the supporting title
    expect(supports(results(['Music', 'recorded by Beatles-fans.']), gold)).toBe(false); // "beatlesfans" is another token
    expect(supports(results(['Abbey Roadhouse', 'a pub']), gold)).toBe(false);
  });
  it('never counts a gold that normalises to nothing', () => {
    expect(supports(results(['x', 'the end']), { answers: ['The'], titles: [] })).toBe(false);
  });
  it('holds on a real MuSiQue item: its supporting paragraphs support it, the others mostly do not', async () => {
    const [item] = await loadItems(join(SHARED_DATASETS, 'musique/musique_train_100_with_paragraphs.json'), { limit: 1 });
    const gold = { answers: item!.answers, titles: item!.context!.filter((p) => p.supporting).map((p) => p.title) };
    for (const p of item!.context!.filter((x) => x.supporting)) expect(supports(results([p.title, p.text]), gold)).toBe(true);
    const others = item!.context!.filter((p) => !p.supporting && !supports(results([p.title, p.text]), gold));
    expect(others.length).toBeGreaterThan(item!.context!.length / 2);
  });
});

describe('title overlap', () => {
  it('is the share of distinct real titles the simulation also returns, null without real titles', () => {
    const real = results(['Paris', 'a'], ['Lyon', 'b'], ['Paris', 'c'], ['Nice', 'd']);
    expect(titlesOf(real)).toEqual(['paris', 'lyon', 'paris', 'nice']);
    expect(titleOverlap(real, results(['paris!', 'x'], ['Rome', 'y']))).toBeCloseTo(1 / 3, 12);
    expect(titleOverlap(real, { results: [] })).toBe(0);
    expect(titleOverlap({ results: [] }, real)).toBeNull();
  });
});

describe('one call', () => {
  const gold = { answers: ['Carl Rogers'], titles: ['Person-centered therapy'] };
  const real = results(['Person-centered therapy', 'developed by psychologist Carl Rogers in the 1940s']);

  it('a faithful simulation: valid, both support, titles overlap, agree', () => {
    const m = callFidelity(wiki, real, results(['Person-centered therapy', 'a therapy by Carl Rogers']), gold);
    expect(m).toMatchObject({
      schema_valid: true,
      support_real: true,
      support_simulated: true,
      title_overlap: 1,
      agree: true,
      contradiction: false,
      leak: false,
    });
    expect(m.token_f1).toBe(
      tokenF1('Person-centered therapy\na therapy by Carl Rogers', 'Person-centered therapy\ndeveloped by psychologist Carl Rogers in the 1940s').f1,
    );
  });

  it('an unrelated simulation contradicts; one with the answer but no real support leaks', () => {
    const off = callFidelity(wiki, real, results(['Gestalt therapy', 'founded by Fritz Perls']), gold);
    expect(off).toMatchObject({ schema_valid: true, support_simulated: false, title_overlap: 0, agree: false, contradiction: true, leak: false });
    const leaked = callFidelity(wiki, results(['Cats', 'small mammals']), results(['Dogs', 'Carl Rogers liked dogs']), gold);
    expect(leaked).toMatchObject({ support_real: false, support_simulated: true, leak: true, contradiction: false });
  });

  it('agrees on text alone at the F1 threshold', () => {
    const text = 'one two three four';
    const sim = results(['Other', text]);
    const m = callFidelity(wiki, results(['Title', text]), sim, gold);
    expect(m.title_overlap).toBe(0);
    expect(m.token_f1).toBeGreaterThanOrEqual(AGREE_MIN_F1);
    expect(m.agree).toBe(true);
  });

  it('an answer outside the responses schema, or none at all, is not schema valid', () => {
    expect(callFidelity(wiki, real, { results: [{ title: 'x' }] }, gold).schema_valid).toBe(false);
    expect(callFidelity(wiki, real, { error: { type: 'invalid_value', message: 'no' } }, gold).schema_valid).toBe(false);
    const none = callFidelity(wiki, real, undefined, gold);
    expect(none).toMatchObject({ schema_valid: false, support_simulated: false, title_overlap: 0, token_f1: 0, agree: false, contradiction: true });
  });
});

describe('aggregation per (tool, mode)', () => {
  const gold = { answers: ['Rome'], titles: [] };
  const call = (mode: string, real: unknown, sim: unknown, ms: [number, number]): AuditedCall => ({
    tool: 'wiki_search',
    mode,
    metrics: callFidelity(wiki, real, sim, gold),
    failed: sim === undefined,
    latency_ms_real: ms[0],
    latency_ms_simulated: ms[1],
  });
  const rome = results(['Rome', 'capital of Italy']);
  const milan = results(['Milan', 'a city']);
  const calls = [
    call('none', rome, milan, [2, 10]),
    call('gold', rome, rome, [2, 30]),
    call('none', milan, rome, [4, 20]),
    call('gold', rome, undefined, [4, 50]),
  ];

  it('gives shares and means per pair, in order of first appearance', () => {
    const [none, goldE] = aggregateFidelity(calls);
    expect(FidelityEntrySchema.parse(none)).toEqual({
      tool: 'wiki_search',
      mode: 'none',
      calls: 2,
      failed: 0,
      schema_valid: 1,
      support_real: 0.5,
      support_simulated: 0.5,
      agreement: 0,
      contradiction: 0.5,
      leak: 0.5,
      title_overlap: 0,
      token_f1: 0,
      latency_ms_real: 3,
      latency_ms_simulated: 15,
    });
    expect(goldE).toMatchObject({
      mode: 'gold',
      calls: 2,
      failed: 1,
      schema_valid: 0.5,
      support_real: 1,
      support_simulated: 0.5,
      agreement: 0.5,
      title_overlap: 0.5,
    });
    expect(goldE!.token_f1).toBe(0.5);
    expect(fidelityVerdict(goldE!)).toBe('wiki_search/gold: simulated agrees with real on 50% of 2 calls; answer support real 100% vs simulated 50%');
  });
});
