import * as Plot from '@observablehq/plot';
import { api, type PlotsView, type ReportView } from '../api.js';
import { h, link, query } from '../dom.js';
import { go, type Page } from '../main.js';

const WIDTH = 500;
/** the trace statuses in the colours the lists use */
const STATUS_COLORS = { domain: ['finished', 'failed', 'running'], range: ['#1e8449', '#c0392b', '#b9770e'], legend: true };

/** A titled figure; an empty series says so instead of drawing nothing. */
const figure = (title: string, id: string, empty: boolean, draw: () => Element): HTMLElement =>
  h('figure', { id }, h('figcaption', {}, title), empty ? h('p', { class: 'note' }, 'nothing to draw yet') : (draw() as HTMLElement));

/** One histogram of ten bins over [0, 1]; the reward's bars open the traces in their range. */
function histogram(name: string, bins: number[], run: string): HTMLElement {
  const data = bins.map((traces, i) => ({ from: i / bins.length, to: (i + 1) / bins.length, traces }));
  return figure(name === 'reward' ? 'Reward (composite) per trace' : `${name} per trace`, `plot-${name}`, !bins.some((b) => b > 0), () => {
    const chart = Plot.plot({
      width: name === 'reward' ? WIDTH : WIDTH / 2,
      height: name === 'reward' ? 220 : 150,
      x: { label: name, domain: [0, 1] },
      y: { label: 'traces', grid: true },
      marks: [Plot.rectY(data, { x1: 'from', x2: 'to', y: 'traces', fill: name === 'reward' ? '#1f5fbf' : '#5d6d7e', inset: 1 }), Plot.ruleY([0])],
    });
    if (name === 'reward')
      chart.querySelectorAll('rect').forEach((rect, i) => {
        const d = data[i];
        if (!d) return;
        (rect as SVGElement).style.cursor = 'pointer';
        // the top bin holds 1 as well: its range is closed
        const max = i === data.length - 1 ? 1 : d.to - 1e-9;
        rect.addEventListener('click', () => go(`/traces${query({ run, reward_min: d.from, reward_max: max })}`));
      });
    return chart;
  });
}

/** Plots where people look rather than read: turns and calls per trace, failures by reason, per-role latency and tokens over time. */
export const plotsPage: Page = async (params) => {
  const run = params.get('run') ?? '';
  const [p, rep] = await Promise.all([api<PlotsView>(`/api/plots${query({ run })}`), api<ReportView>(`/api/report${query({ run })}`)]);
  const reasons = Object.entries(rep.report.by_reason)
    .filter(([, c]) => c.count > 0)
    .map(([reason, c]) => ({ reason, traces: c.count }));
  const codes = Object.entries(p.failures_by_code).map(([code, f]) => ({ code, items: f.items }));
  const minutes = p.call_minutes.map((m) => ({ ...m, at: new Date(`${m.minute}:00Z`), tokens: m.tokens_in + m.tokens_out }));
  const ended = p.trace_minutes.flatMap((m) => [
    { at: new Date(`${m.minute}:00Z`), status: 'finished', traces: m.finished },
    { at: new Date(`${m.minute}:00Z`), status: 'failed', traces: m.failed },
  ]);
  const bars = (key: 'steps' | 'tool_calls', label: string) =>
    Plot.plot({
      width: WIDTH,
      height: 220,
      x: { label, type: 'band' },
      y: { label: 'traces', grid: true },
      color: STATUS_COLORS,
      marks: [Plot.barY(p.shapes, Plot.groupX({ y: 'sum' }, { x: key, y: 'traces', fill: 'status' })), Plot.ruleY([0])],
    });
  const reasonChart = () => {
    const chart = Plot.plot({
      width: WIDTH,
      height: 40 + 26 * reasons.length,
      marginLeft: 150,
      x: { label: 'traces', grid: true },
      y: { label: null },
      marks: [Plot.barX(reasons, { y: 'reason', x: 'traces', fill: '#c0392b', sort: { y: '-x' } }), Plot.text(reasons, { y: 'reason', x: 'traces', text: 'traces', dx: 12 })],
    });
    // a bar opens the traces behind it
    chart.querySelectorAll('[aria-label="bar"] rect').forEach((rect, i) => {
      const r = (Plot.valueof(reasons, 'reason') as string[] | null)?.[i];
      (rect as SVGElement).style.cursor = 'pointer';
      rect.addEventListener('click', () => r && go(`/traces${query({ run, reason: r })}`));
    });
    return chart;
  };
  const series = (y: 'mean_latency_ms' | 'tokens', label: string) =>
    Plot.plot({
      width: WIDTH,
      height: 220,
      x: { label: 'time (UTC)', type: 'utc' },
      y: { label, grid: true },
      color: { legend: true },
      marks: [Plot.lineY(minutes, { x: 'at', y, stroke: 'role', marker: 'dot' })],
    });
  const body = h(
    'section',
    {},
    h('h1', {}, 'Plots'),
    h('h2', {}, 'Rewards'),
    h(
      'p',
      { class: 'note', id: 'rewards-progress' },
      `computed with mtr score's scorer (reward config: ${p.rewards.config}) for ${p.rewards.scored} of ${p.rewards.total} finished traces`,
      p.rewards.complete ? '' : ' so far (computing in the background; reload for more)',
    ),
    h('div', { class: 'plots' }, ...Object.entries(p.rewards.histograms).map(([name, bins]) => histogram(name, bins, run))),
    h('h2', {}, 'Traces and calls'),
    h(
      'div',
      { class: 'plots' },
    figure('Turns (steps) per trace', 'plot-steps', !p.shapes.length, () => bars('steps', 'steps')),
    figure('Tool calls per trace', 'plot-calls', !p.shapes.length, () => bars('tool_calls', 'tool calls')),
    h(
      'div',
      {},
      figure('Failed checks, by reason (click a bar for its traces)', 'plot-reasons', !reasons.length, reasonChart),
      h('ul', { id: 'reason-links' }, ...reasons.map((r) => h('li', {}, link(`/traces${query({ run, reason: r.reason })}`, `${r.reason}: ${r.traces}`)))),
    ),
    figure('Failed items, by error code', 'plot-codes', !codes.length, () =>
      Plot.plot({ width: WIDTH, height: 40 + 26 * codes.length, marginLeft: 150, y: { label: null }, marks: [Plot.barX(codes, { y: 'code', x: 'items', fill: '#7f8c8d' })] }),
    ),
    figure('Traces ended per minute', 'plot-pace', !ended.length, () =>
      Plot.plot({ width: WIDTH, height: 200, x: { type: 'utc' }, y: { grid: true }, color: STATUS_COLORS, marks: [Plot.rectY(ended, { x: 'at', interval: 'minute', y: 'traces', fill: 'status' })] }),
    ),
    figure('Mean latency per role', 'plot-latency', !minutes.length, () => series('mean_latency_ms', 'ms')),
    figure('Tokens per role', 'plot-tokens', !minutes.length, () => series('tokens', 'tokens (in + out) per minute')),
    ),
  );
  return { title: 'Plots', crumbs: [link(`/runs/${run}`, `run #${run}`), link(`/plots${query({ run })}`, 'plots')], body };
};
