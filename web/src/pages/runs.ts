import { api, type RunView } from '../api.js';
import { details, h, json, link, pre, query, table } from '../dom.js';
import type { Page } from '../main.js';

const n = (x: number): string => x.toLocaleString('en-US');

export const runsPage: Page = async () => {
  const { runs } = await api<{ runs: RunView[] }>('/api/runs');
  const carg = await api<{ carg: unknown }>('/api/carg');
  const body = h(
    'section',
    {},
    h('h1', {}, 'Runs'),
    runs.length
      ? table(
          ['run', 'dataset', 'items', 'finished', 'failed', 'running', 'models'],
          runs.map((r) => [
            link(`/runs/${r.id}`, `${r.key} (#${r.id})`),
            r.dataset,
            n(r.status.items_total),
            n(r.progress.finished),
            r.progress.failed ? link(`/traces${query({ run: r.id, status: 'failed' })}`, n(r.progress.failed)) : '0',
            n(r.progress.running),
            [...new Set(r.models.map((m) => m.model))].join(', '),
          ]),
          { id: 'runs' },
        )
      : h('p', {}, 'This store holds no runs yet.'),
    carg.carg ? h('p', {}, link('/carg', 'CARG tool repository and samples')) : null,
  );
  return { title: 'Runs', crumbs: [], body };
};

export const runPage: Page = async (_params, id) => {
  const r = await api<RunView>(`/api/runs/${id}`);
  const s = r.status;
  const p = r.progress;
  const rate = p.per_minute === null ? '—' : `${p.per_minute} traces/min${p.eta_minutes === null ? '' : `, about ${p.eta_minutes} min left`}`;
  const body = h(
    'section',
    {},
    h('h1', {}, `${r.key} `, h('small', {}, `run #${r.id} · ${r.dataset}`)),
    h(
      'nav',
      { class: 'tabs' },
      link(`/traces${query({ run: r.id })}`, 'Traces'),
      link(`/report${query({ run: r.id })}`, 'Validation report'),
      link(`/plots${query({ run: r.id })}`, 'Plots'),
    ),
    h(
      'dl',
      { class: 'facts', id: 'progress' },
      ...[
        ['items', n(s.items_total)],
        ['finished', n(p.finished)],
        ['failed', n(p.failed)],
        ['running', n(p.running)],
        ['pending', n(p.pending)],
        ['pace', rate],
        ['steps', `${n(s.steps)} (${n(s.tool_calls)} tool calls)`],
        ['tools', `${n(s.tools_accepted)} accepted, ${n(s.tools_rejected)} rejected`],
        ['model calls', `${n(s.model_calls)} (${n(s.model_calls_failed)} failed)`],
        ['tokens', `${n(s.tokens_in)} in, ${n(s.tokens_out)} out`],
      ].flatMap(([k, v]) => [h('dt', {}, k!), h('dd', {}, v!)]),
    ),
    h('h2', {}, 'Per role'),
    table(
      ['role', 'calls', 'tokens in', 'tokens out', 'mean latency'],
      Object.entries(s.by_role).map(([role, x]) => [role, n(x.calls), n(x.tokens_in), n(x.tokens_out), `${x.mean_latency_ms} ms`]),
      { id: 'by-role' },
    ),
    h('h2', {}, 'Models and prompts'),
    table(
      ['role', 'model', 'prompt file', 'prompt hash', 'calls'],
      r.models.map((m) => [m.role, m.model, m.prompt_file, h('code', {}, m.prompt_hash.slice(0, 12)), n(m.calls)]),
    ),
    Object.keys(s.failures_by_code).length
      ? [
          h('h2', {}, 'Failed items by error code'),
          table(
            ['code', 'items', 'attempts'],
            Object.entries(s.failures_by_code).map(([code, f]) => [code, link(`/traces${query({ run: r.id, status: 'failed' })}`, n(f.items)), n(f.attempts)]),
          ),
        ]
      : null,
    details('Configuration', pre(json(r.config))),
  );
  return { title: r.key, crumbs: [link(`/runs/${r.id}`, r.key)], body };
};
