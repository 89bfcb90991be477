import { describe, expect, it } from 'vitest';
import { progressLine, progressReporter } from '../../src/cli/progress.js';

describe('progress line', () => {
  it('shows counts, rates and an ETA from the items settled in this process', () => {
    // 10 already done before this process started; 30 more settled in 60 s → 0.5 traces/s; 60 left → 2m00s
    const line = progressLine({ total: 100, done: 38, failed: 2, tokens: 123_456, calls: 300 }, 60, 10, 10);
    expect(line).toBe('[####------] 40/100 traces (2 failed) | 0.50 traces/s | 5.0 calls/s | 123k tokens | ETA 2m00s');
  });

  it('has no ETA before anything settled, and shows downloads', () => {
    expect(progressLine({ total: 5, done: 0, failed: 0, tokens: 0, calls: 0 }, 0, 0, 4)).toContain('ETA ?');
    expect(
      progressLine({ total: 0, done: 0, failed: 0, tokens: 0, calls: 0, download: { url: 'http://x/d.jsonl', received: 20_000, total: 40_000 } }, 1, 0),
    ).toBe('downloading http://x/d.jsonl 20kB / 40kB');
  });
});

describe('progress reporter', () => {
  const capture = (isTTY: boolean) => {
    const err: string[] = [];
    return { err, io: { out: () => undefined, err: (t: string) => void err.push(t), isTTY, env: {} } };
  };
  const at = (done: number, total = 4) => ({ total, done, failed: 0, tokens: 0, calls: 0 });

  it('off a terminal: plain lines through io.err, none within everyMs but the last one', () => {
    const { err, io } = capture(false);
    const r = progressReporter(io, 1e12);
    r.update(at(0));
    r.update(at(1));
    r.update(at(4));
    r.done();
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^\[#+\] 4\/4 traces \(0 failed\) .*\n$/);
    const every = capture(false);
    const all = progressReporter(every.io, 0);
    for (const n of [0, 1, 2]) all.update(at(n));
    expect(every.err.map((l) => l.split(' ')[1])).toEqual(['0/4', '1/4', '2/4']);
  });

  it('on a terminal: one line redrawn in place, cut to the width, ended once', () => {
    const { err, io } = capture(true);
    const r = progressReporter(io, 5000, () => 30);
    r.update(at(1));
    r.update(at(2));
    r.done();
    r.done();
    expect(err.slice(0, 2).map((t) => [t[0], t.length])).toEqual([
      ['\r', 30],
      ['\r', 30],
    ]);
    expect(err.slice(2)).toEqual(['\n']);
  });
});
