import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrace } from '../../src/grammar/parse.js';
import { renderTrace } from '../../src/grammar/render.js';
import { DEFAULT_REWARD_CONFIG, parseWeights, RewardConfigSchema } from '../../src/reward/config.js';
import { consistencyScore } from '../../src/reward/consistency.js';
import { efficiencyScore } from '../../src/reward/efficiency.js';
import { formatScore } from '../../src/reward/format.js';
import { normalizeAnswer } from '../../src/text/normalize.js';
import type { MtrError } from '../../src/schema/errors.js';
import type { Step } from '../../src/schema/trace.js';

const DATASETS = join(process.cwd(), '../shared/datasets');
const cfg = DEFAULT_REWARD_CONFIG;
const call = (name: string, args: Record<string, unknown>, content: unknown, index = 0): Step => ({
  index,
  think: 'look',
  call: { name, arguments: args },
  observation: { content, source: 'real' },
  raw: '',
});
const answer = (text: string, index: number): Step => ({ index, think: 'done', answer: text, raw: '' });

describe('format grid', () => {
  const valid = parseTrace(
    '<think>a</think><tool_call>{"name":"s","arguments":{}}</tool_call><tool_response>r</tool_response><think>b</think><answer>x</answer>',
  );
  const noThink = parseTrace('<answer>x</answer>');
  const broken = parseTrace('<think>a</think>junk<answer>x</answer>');
  it('is validity by default: 1 exactly when well formed', () => {
    expect(formatScore(valid, true, cfg.format)).toMatchObject({ score: 1, valid: true });
    expect(formatScore(valid, false, cfg.format).score).toBe(1);
    expect(formatScore(broken, true, cfg.format)).toMatchObject({ score: 0, valid: false });
    expect(formatScore(broken, false, cfg.format).score).toBe(0);
    expect(formatScore(parseTrace('<think>a</think>'), false, cfg.format).score).toBe(0);
  });
  it("picks the cell by validity × correctness with Search-R1's grid", () => {
    const grid = RewardConfigSchema.parse({ format: { validWrong: 0.2, invalidCorrect: 0.8, invalidWrong: 0.1 } }).format;
    expect(formatScore(valid, true, grid).score).toBe(1);
    expect(formatScore(valid, false, grid).score).toBe(0.2);
    expect(formatScore(broken, true, grid).score).toBe(0.8);
    expect(formatScore(broken, false, grid).score).toBe(0.1);
  });
  it('costs nothing for role lines left by skip_special_tokens decoding', () => {
    const decoded = parseTrace(
      '<think>a</think>\n<tool_call>\n{"name":"s","arguments":{}}\n</tool_call>\nuser\n<tool_response>\nr\n</tool_response>\nassistant\n<think>b</think>\n<answer>x</answer>',
    );
    expect(formatScore(decoded, true, cfg.format)).toMatchObject({ score: 1, valid: true, violations: [] });
  });
  it("is Search-R1's is_valid_sequence in that dialect", () => {
    const r1 = (t: string) => formatScore(parseTrace(t, { dialect: 'search-r1' }), false, cfg.format);
    expect(
      r1('<think>a</think>\n<search> q </search>\n\n<information>Doc 1(Title: t) x</information>\n\n<think>b</think>\n<answer> x </answer>'),
    ).toMatchObject({ score: 1, valid: true });
    expect(r1('<think>a</think><search>q</search><think>b</think><answer>x</answer>')).toMatchObject({
      score: 0,
      valid: false,
      reason: 'Unexpected tag <think> in state after_search',
    });
    expect(r1('<answer>x</answer>').reason).toBe('Unexpected tag <answer> in state start');
  });
  it('requires think only when configured', () => {
    expect(formatScore(noThink, true, cfg.format).violations.map((v) => v.code)).toEqual(['missing_think']);
    const loose = RewardConfigSchema.parse({ format: { requireThink: false, validCorrect: 0.9 } }).format;
    expect(formatScore(noThink, true, loose)).toMatchObject({ score: 0.9, valid: true });
  });
});

describe('consistency on real MuSiQue paragraphs and Bamboogle decompositions', () => {
  const musique = JSON.parse(readFileSync(join(DATASETS, 'musique/musique_train_100_with_paragraphs.json'), 'utf8')) as {
    answer: string;
    answer_aliases: string[];
    paragraphs: { paragraph_text: string; is_supporting: boolean }[];
  }[];

  it('is 1 when the answer occurs in a retrieved supporting paragraph, and 0 for an answer that ignores it', () => {
    let grounded = 0;
    musique.forEach((item) => {
      const gold = [item.answer, ...item.answer_aliases];
      const steps = item.paragraphs.filter((p) => p.is_supporting).map((p, i) => call('retrieve', { i }, { passage: p.paragraph_text }, i));
      const evidence = normalizeAnswer(steps.map((s) => (s.observation!.content as { passage: string }).passage).join(' \n '));
      if (!` ${evidence} `.includes(` ${normalizeAnswer(item.answer)} `)) return;
      grounded++;
      expect(consistencyScore(item.answer, steps, gold, cfg.consistency)).toEqual({ score: 1, grounded: true, contradiction: false });
      const wrong = 'Zanzibar Quux Republic';
      const r = consistencyScore(wrong, steps, gold, cfg.consistency);
      expect(r.contradiction).toBe(true);
      expect(r.score).toBe(0);
    });
    expect(grounded).toBeGreaterThan(50);
  });

  it('follows the gold decomposition: the last hop answer plus the intermediate answers seen', () => {
    const bamboogle = JSON.parse(readFileSync(join(DATASETS, 'bamboogle/bamboogle_decomposed.json'), 'utf8')) as {
      Answer: string;
      Q1: string;
      A1: string[];
      Q2: string;
      A2: string[];
    }[];
    for (const item of bamboogle.slice(0, 40)) {
      const hops = [
        { question: item.Q1, answers: item.A1 },
        { question: item.Q2, answers: item.A2 },
      ];
      const sawFirstHop = [call('search', { q: item.Q1 }, `The answer is ${item.A1[0]}.`)];
      const r = consistencyScore(item.A2[0], sawFirstHop, [item.Answer], cfg.consistency, hops);
      expect(r.score).toBe(1);
      const nothingSeen = [call('search', { q: item.Q1 }, 'no results')];
      expect(consistencyScore(item.A2[0], nothingSeen, [item.Answer], cfg.consistency, hops).score).toBeGreaterThanOrEqual(0.5);
    }
  });

  it('gives partial credit, ignores failed observations and handles yes/no and no evidence', () => {
    const steps = [
      call('s', {}, 'He was born in Paris.'),
      {
        ...call('s', { b: 1 }, { error: { type: 'type_error', message: 'x' } }, 1),
        observation: {
          content: { error: { type: 'type_error' as const, message: 'Lyon' } },
          error: { type: 'type_error' as const, message: 'Lyon' },
          source: 'precheck' as const,
        },
      },
    ];
    expect(consistencyScore('Paris, Texas', steps, ['Paris Texas'], cfg.consistency).score).toBe(0.5);
    expect(consistencyScore('Lyon', steps, ['Lyon'], cfg.consistency).score).toBe(0);
    expect(consistencyScore('yes', steps, ['yes'], cfg.consistency).score).toBe(1);
    expect(consistencyScore('Paris', [], ['Paris'], cfg.consistency).score).toBe(0);
    expect(consistencyScore(undefined, steps, ['Paris'], cfg.consistency).score).toBe(0);
  });
});

describe('efficiency', () => {
  const trace = (steps: Step[]) => parseTrace(renderTrace(steps));
  it('is 1 within budget and penalises extra, repeated and schema-invalid calls', () => {
    expect(efficiencyScore(trace([call('s', { q: 1 }, 'r'), answer('x', 1)]), cfg.efficiency).score).toBe(1);
    const six = Array.from({ length: 6 }, (_, i) => call('s', { q: i }, 'r', i));
    expect(efficiencyScore(trace([...six, answer('x', 6)]), cfg.efficiency)).toMatchObject({ calls: 6, extraCalls: 2, score: 0.8 });
    const repeat = efficiencyScore(trace([call('s', { a: 1, b: 2 }, 'r'), call('s', { b: 2, a: 1 }, 'r', 1), answer('x', 2)]), cfg.efficiency);
    expect(repeat).toMatchObject({ repeatedCalls: 1, score: 0.75 });
    const err = (type: 'type_error' | 'invalid_value') => ({
      ...call('s', { z: 1 }, null),
      observation: { content: { error: { type, message: 'm' } }, error: { type, message: 'm' }, source: 'precheck' as const },
    });
    expect(efficiencyScore(trace([err('type_error'), answer('x', 1)]), cfg.efficiency).invalidCalls).toBe(1);
    expect(efficiencyScore(trace([err('invalid_value'), answer('x', 1)]), cfg.efficiency).invalidCalls).toBe(0);
    const unreadable = parseTrace('<tool_call>{"name": oops}</tool_call><tool_response>r</tool_response><answer>x</answer>');
    expect(efficiencyScore(unreadable, cfg.efficiency)).toMatchObject({ calls: 1, invalidCalls: 1, score: 0.75 });
    const many = Array.from({ length: 12 }, (_, i) => call('s', { q: 1 }, 'r', i));
    expect(efficiencyScore(trace([...many, answer('x', 12)]), cfg.efficiency).score).toBe(0);
  });
});

describe('config', () => {
  it('parses weight specs; unlisted weights are 0; bad specs name the problem', () => {
    expect(parseWeights('em=1, format=0.5')).toEqual({ em: 1, f1: 0, cover_em: 0, format: 0.5, consistency: 0, efficiency: 0 });
    expect(parseWeights('{"f1": 2}').f1).toBe(2);
    expect(() => parseWeights('em=x')).toThrow(/expected name=number, got "em=x"/);
    expect(() => parseWeights('bleu=1')).toThrow(/got bleu/);
    expect(() => parseWeights('em=0')).toThrow(/at least one positive weight/);
    expect(() => parseWeights('em=-1')).toThrow(/em/);
  });

  it("throws E_USAGE, keeping the parser's error as the cause", () => {
    const caught = (spec: string) => {
      try {
        parseWeights(spec);
      } catch (e) {
        return e as MtrError;
      }
      throw new Error(`parseWeights(${spec}) did not throw`);
    };
    for (const spec of ['em=x', 'bleu=1', 'em=0', '{"em": 1']) expect(caught(spec)).toMatchObject({ name: 'MtrError', code: 'E_USAGE' });
    expect(caught('{"em": 1').cause).toBeInstanceOf(SyntaxError);
    expect(caught('{"em": 1').message).toBe('expected a JSON object of weights, got "{\\"em\\": 1"');
    expect(caught('em=0').cause).toBeDefined(); // the zod error behind "at least one positive weight"
  });
});

describe('consistency and efficiency on Search-R1 steps', () => {
  const info = (text: string) => `\n\n<information>Doc 1(Title: Tinted Windows) ${text}</information>\n\n`;
  const text = `<think>a</think>\n<search> Tinted Windows </search>${info('They formed in New York.')}<think>b</think>\n<search>Tinted Windows</search>${info('First show in Tulsa.')}<think>c</think>\n<answer> Tulsa </answer>`;
  const trace = parseTrace(text, { dialect: 'search-r1' });
  it('reads searches as wiki_search calls and passages as evidence', () => {
    expect(efficiencyScore(trace, cfg.efficiency)).toMatchObject({ calls: 2, repeatedCalls: 1, score: 0.75 });
    expect(consistencyScore(trace.answer, trace.steps, ['Tulsa'], cfg.consistency)).toMatchObject({ score: 1, grounded: true });
    expect(consistencyScore('Boston', trace.steps, ['Tulsa'], cfg.consistency)).toMatchObject({ score: 0, contradiction: true });
  });
});
