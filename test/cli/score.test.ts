import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/index.js';

const GOOD =
  '<think>s</think><tool_call>{"name":"search","arguments":{"q":"x"}}</tool_call><tool_response>Tulsa it is.</tool_response><think>ok</think><answer>Tulsa</answer>';

describe('mtr score', () => {
  let dir: string;
  let out: string[];
  let err: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mtr-score-'));
    out = [];
    err = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  });
  afterEach(() => vi.restoreAllMocks());

  const lines = [
    { id: 'a', data_source: 'hotpotqa', completion: GOOD, answer: 'Tulsa' },
    {
      id: 'b',
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: '<think>x</think><answer>Paris</answer>' },
      ],
      golden_answers: ['Lyon', 'Paris'],
    },
    { id: 'c', completion: '<answer>wrong</answer>', answers: ['Tulsa'] },
  ];
  const write = (rows: string[]) => {
    const file = join(dir, 'rollouts.jsonl');
    writeFileSync(file, rows.join('\n') + '\n');
    return file;
  };
  const read = (file: string) =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);

  it('writes one scored line per input in order, then a summary', async () => {
    const file = write(lines.map((l) => JSON.stringify(l)));
    const dest = join(dir, 'scores.jsonl');
    expect(await main(['score', '--rollouts', file, '--out', dest])).toBe(0);
    const rows = read(dest);
    expect(rows.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(rows[0]).toMatchObject({ line: 1, data_source: 'hotpotqa', reward: 1 });
    for (const r of rows) for (const k of ['em', 'f1', 'cover_em', 'format', 'consistency', 'efficiency']) expect(r.components[k]).toBeTypeOf('number');
    expect(rows[1]!.components.em).toBe(1);
    expect(rows[2]!.components.em).toBe(0);
    const printed = out.join('');
    expect(printed).toContain('scored 3 rollouts');
    expect(printed).toMatch(/em\s+0\.6667\s+1\.0000\s+1\.0000/);
  });

  it('reads a file with a BOM and CRLF line ends, blank lines counted in line numbers', async () => {
    const file = join(dir, 'bom.jsonl');
    writeFileSync(file, `\uFEFF${JSON.stringify(lines[0])}\r\n\r\n${JSON.stringify(lines[2])}\r\n`);
    const dest = join(dir, 'scores.jsonl');
    expect(await main(['score', '--rollouts', file, '--out', dest])).toBe(0);
    expect(read(dest).map((r) => [r.id, r.line, r.reward])).toEqual([
      ['a', 1, 1],
      ['c', 3, expect.any(Number)],
    ]);
  });

  it('applies --weights', async () => {
    const file = write([JSON.stringify(lines[2])]);
    const dest = join(dir, 'w.jsonl');
    expect(await main(['score', '--rollouts', file, '--out', dest, '--weights', 'format=1'])).toBe(0);
    expect(read(dest)[0]!.reward).toBe(0); // format = validity: no think before the answer
    expect(await main(['score', '--rollouts', write([JSON.stringify(lines[0])]), '--out', dest, '--weights', 'format=1'])).toBe(0);
    expect(read(dest)[0]!.reward).toBe(1);
  });

  it('reads --dialect search-r1, and per line a dialect or a searchR1_* data_source', async () => {
    const r1 =
      '<think>t</think>\n<search> Tinted Windows </search>\n\n<information>Doc 1(Title: Tinted Windows) They played in Tulsa.</information>\n\n<think>ok</think>\n<answer> Tulsa </answer>';
    const rows = [
      { completion: r1, answer: 'Tulsa' },
      { completion: r1, answer: 'Tulsa', dialect: 'search-r1' },
      { completion: r1, answer: 'Tulsa', data_source: 'searchR1_hotpotqa' },
    ];
    const file = write(rows.map((r) => JSON.stringify(r)));
    const dest = join(dir, 'd.jsonl');
    expect(await main(['score', '--rollouts', file, '--out', dest])).toBe(0);
    expect(read(dest).map((r) => r.components.format)).toEqual([0, 1, 1]);
    expect(read(dest).map((r) => r.details.calls)).toEqual([0, 1, 1]);
    expect(await main(['score', '--rollouts', file, '--out', dest, '--dialect', 'search-r1'])).toBe(0);
    expect(read(dest).map((r) => r.reward)).toEqual([1, 1, 1]);
    expect(await main(['score', '--rollouts', file, '--out', dest, '--dialect', 'xml'])).toBe(2);
    expect(err.join('')).toMatch(/--dialect: expected one of hermes\|search-r1, got "xml"/);
  });

  it('stops on a malformed line naming file:line:field, and leaves no output', async () => {
    const file = write([JSON.stringify(lines[0]), '{"completion": "<answer>x</answer>"}', JSON.stringify(lines[1])]);
    const dest = join(dir, 'bad.jsonl');
    expect(await main(['score', '--rollouts', file, '--out', dest])).toBe(1);
    expect(err.join('')).toContain(`${file}:2: answer: expected a gold answer`);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });

  it('scores malformed lines 0 and reports them with --continue-on-error', async () => {
    const file = write([JSON.stringify(lines[0]), 'not json', JSON.stringify(lines[1])]);
    const dest = join(dir, 'cont.jsonl');
    expect(await main(['score', '--rollouts', file, '--out', dest, '--continue-on-error'])).toBe(0);
    const rows = read(dest);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3]);
    expect(rows[1]).toMatchObject({ reward: 0, error: `${file}:2: expected a JSON object, got "not json"` });
    expect(rows[1]!.components.f1).toBe(0);
    expect(err.join('')).toContain(`${file}:2:`);
    expect(out.join('')).toContain('(1 malformed, scored 0)');
  });

  it('reports usage errors', async () => {
    expect(await main(['score', '--rollouts', join(dir, 'missing.jsonl'), '--out', join(dir, 'o.jsonl')])).toBe(1);
    expect(err.join('')).toMatch(/missing\.jsonl: expected a readable rollouts file, got ENOENT/);
    const rollouts = write([JSON.stringify(lines[0])]);
    expect(await main(['score', '--rollouts', rollouts, '--out', join(dir, 'no-such-dir', 'o.jsonl')])).toBe(1);
    expect(err.join('')).toMatch(/no-such-dir\/o\.jsonl: expected a writable score file, got ENOENT/);
    expect(await main(['score', '--rollouts', 'x', '--out', 'y', '--weights', 'em=oops'])).toBe(2);
    expect(err.join('')).toContain('mtr score: --weights: expected name=number'); // one prefix (was "mtr score: score: --weights")
  });
});
