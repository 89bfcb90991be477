import { api, type ModelCall, type Step, type TraceView } from '../api.js';
import { details, h, json, link, pre, query, table } from '../dom.js';
import type { Page } from '../main.js';

/** The model calls behind one part of the trace (ToolMaker's before the steps, each step's, any after), collapsed. */
const callRows = (calls: ModelCall[], which: number[]): HTMLElement | null =>
  which.length
    ? details(
        `${which.length} model call${which.length > 1 ? 's' : ''} (${[...new Set(which.map((i) => calls[i]!.role))].join(', ')})`,
        table(
          ['role', 'model', 'prompt', 'tokens', 'latency', 'attempt', 'result'],
          which.map((i) => {
            const c = calls[i]!;
            return [
              c.role,
              c.model,
              h('span', {}, c.prompt_file, ' ', h('code', {}, c.prompt_hash.slice(0, 10))),
              `${c.tokens_in} → ${c.tokens_out}`,
              `${Math.round(c.latency_ms)} ms`,
              c.attempt,
              c.ok ? 'ok' : h('span', { class: 'status failed' }, c.error ?? 'failed', c.raw ? details('raw text', pre(c.raw)) : null),
            ];
          }),
          { class: 'calls' },
        ),
      )
    : null;
const withId = (el: HTMLElement | null, id: string): HTMLElement | null => {
  el?.setAttribute('id', id);
  return el;
};

function stepView(s: Step, calls: ModelCall[], which: number[]): HTMLElement {
  const o = s.observation;
  return h(
    'li',
    { class: 'step', 'data-index': s.index },
    h('div', { class: 'think' }, h('b', {}, 'think '), s.think),
    s.call ? h('div', { class: 'call' }, h('b', {}, 'call '), h('code', {}, `${s.call.name}(${JSON.stringify(s.call.arguments)})`)) : null,
    o
      ? h(
          'div',
          { class: 'observation' },
          h('b', {}, 'observation '),
          h('span', { class: `source ${o.source}` }, o.source),
          o.grounding ? h('span', { class: 'grounding' }, ` grounding ${o.grounding.mode}${o.grounding.useful ? '' : ' (noisy)'}`) : null,
          o.error ? h('span', { class: 'status failed' }, ` ${o.error.type}: ${o.error.message}`) : null,
          pre(json(o.content)),
        )
      : null,
    s.answer !== undefined ? h('div', { class: 'answer' }, h('b', {}, 'answer '), s.answer) : null,
    details('raw agent text', pre(s.raw)),
    callRows(calls, which),
  );
}

/** A rejected tool's name when it has one (it was rejected for breaking the template, so it may not). */
const nameOf = (tool: unknown): string => {
  const name = (tool as { api_name?: unknown } | null)?.api_name;
  return typeof name === 'string' ? name : '(no name)';
};

const fixed = (x: number): string => x.toFixed(3).replace(/\.?0+$/, '') || '0';

/** The reward the viewer computed for the trace (mtr score's scorer), with its components. */
const rewardView = (r: TraceView['reward']): HTMLElement | null =>
  r
    ? h(
        'div',
        { id: 'reward' },
        h('h2', {}, `Reward ${fixed(r.reward)}`),
        table(Object.keys(r.components), [Object.values(r.components).map(fixed)], { class: 'components' }),
        details('details', pre(json(r.details))),
      )
    : null;

/** One trace whole: the item, the tools (accepted and rejected with reasons), each step in order with its calls. */
export const tracePage: Page = async (_params, id) => {
  const v = await api<TraceView>(`/api/traces/${id}`);
  const { row, trace } = v;
  const body = h(
    'section',
    {},
    h('h1', {}, `Trace #${trace.id} `, h('small', {}, `item ${row.item_id} · ${row.dataset}`)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'question'),
      h('dd', { id: 'question' }, row.question),
      h('dt', {}, 'gold'),
      h('dd', {}, row.gold.join(' | ')),
      h('dt', {}, 'answer'),
      h('dd', {}, trace.answer ?? '—'),
      h('dt', {}, 'status'),
      h('dd', {}, h('span', { class: `status ${trace.status}` }, trace.status), trace.stop_reason ? ` (${trace.stop_reason})` : '', trace.error ? ` ${trace.error}` : ''),
      h('dt', {}, 'verdicts'),
      h(
        'dd',
        {},
        row.reasons.length
          ? row.reasons.map((r) => link(`/traces${query({ run: trace.run_id, reason: r })}`, h('span', { class: 'reason' }, r)))
          : v.config_hash
            ? 'passed every check'
            : 'not validated',
      ),
    ),
    rewardView(v.reward),
    h('h2', {}, `Tools (${trace.tools.length} accepted, ${trace.rejected_tools.length} rejected)`),
    h(
      'ul',
      { class: 'tools' },
      ...trace.tools.map((t) => h('li', {}, details(h('span', {}, h('code', {}, t.tool.api_name), ` ${t.origin} — ${t.tool.api_description ?? ''}`), pre(json(t.tool))))),
      ...trace.rejected_tools.map((t) =>
        h(
          'li',
          { class: 'rejected' },
          details(
            h('span', {}, h('code', {}, nameOf(t.tool)), ' rejected (attempt ', String(t.attempt), '): ', h('span', { class: 'reasons' }, t.reasons.join('; '))),
            pre(json(t.tool)),
          ),
        ),
      ),
    ),
    withId(callRows(v.calls, v.by_step.before), 'calls-before'),
    h('h2', {}, `Steps (${trace.steps.length})`),
    h('ol', { class: 'steps', start: 0 }, ...trace.steps.map((s, i) => stepView(s, v.calls, v.by_step.steps[i] ?? []))),
    withId(callRows(v.calls, v.by_step.after), 'calls-after'),
  );
  return { title: `Trace #${trace.id}`, crumbs: [link(`/runs/${trace.run_id}`, `run #${trace.run_id}`), link(`/traces${query({ run: trace.run_id })}`, 'traces'), link(`/traces/${trace.id}`, `#${trace.id}`)], body };
};
