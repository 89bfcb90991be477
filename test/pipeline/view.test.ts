import { describe, expect, it } from 'vitest';
import { pace } from '../../src/pipeline/view.js';
import { callsByStep } from '../../src/pipeline/view-steps.js';

describe('view job helpers', () => {
  it('callsByStep: ToolMaker before the steps, an agent call and its failed attempts make the next step, ToolActor answers the current one', () => {
    const c = (role: 'maker' | 'agent' | 'actor' | 'judge', ok = true) => ({ role, ok });
    const calls = [c('maker'), c('maker', false), c('agent'), c('actor'), c('agent', false), c('agent'), c('actor'), c('actor'), c('agent'), c('judge')];
    expect(callsByStep(calls, 3)).toEqual({
      before: [0, 1],
      steps: [
        [2, 3],
        [4, 5, 6, 7],
        [8, 9],
      ],
      after: [],
    });
    // more agent calls than stored steps (a failed trace): the rest is after
    expect(callsByStep([c('agent'), c('agent'), c('actor')], 1)).toEqual({ before: [], steps: [[0]], after: [1, 2] });
    expect(callsByStep([], 2)).toEqual({ before: [], steps: [[], []], after: [] });
  });

  it('pace: traces per minute over the last ten minutes with any, and the ETA of the rest', () => {
    expect(pace([], 5)).toEqual({ per_minute: null, eta_minutes: null });
    const m = (minute: string, finished: number, failed = 0) => ({ minute, finished, failed });
    expect(pace([m('2026-01-01T10:00', 4, 2)], 12)).toEqual({ per_minute: 6, eta_minutes: 2 });
    // 10:00 falls outside the window 10:11–10:20; 30 traces over 10 minutes
    expect(pace([m('2026-01-01T10:00', 100), m('2026-01-01T10:11', 10), m('2026-01-01T10:20', 20)], 0)).toEqual({ per_minute: 3, eta_minutes: null });
    expect(pace([m('2026-01-01T23:59', 1), m('2026-01-02T00:00', 3)], 4)).toEqual({ per_minute: 2, eta_minutes: 2 });
  });
});
