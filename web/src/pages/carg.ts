import { api, type CargView } from '../api.js';
import { details, h, json, link, pre, table } from '../dom.js';
import type { Page } from '../main.js';

/** CARG's tool repository by status and field, its simulator samples by kind with some verdicts, and the eval tables. */
export const cargPage: Page = async () => {
  const { carg } = await api<{ carg: CargView | null }>('/api/carg');
  const statuses = carg ? Object.keys(carg.by_status) : [];
  const body = carg
    ? h(
        'section',
        {},
        h('h1', {}, `CARG: ${carg.tools} tools`),
        table(statuses, [statuses.map((s) => String(carg.by_status[s]))]),
        h('h2', {}, 'By field'),
        table(
          ['field', ...statuses],
          Object.entries(carg.by_field).map(([field, by]) => [field, ...statuses.map((s) => String(by[s] ?? 0))]),
        ),
        h('h2', {}, 'Simulator samples'),
        table(
          ['kind', 'samples', 'accepted'],
          Object.entries(carg.samples).map(([kind, s]) => [kind, String(s.total), String(s.accepted)]),
        ),
        h('h2', {}, 'Sample verdicts'),
        ...Object.entries(carg.sample_verdicts)
          .filter(([, shown]) => shown.length)
          .map(([kind, shown]) =>
            h(
              'div',
              { id: `samples-${kind}` },
              h('h3', {}, kind),
              table(
                ['sample', 'tool', 'job', 'accepted', 'verdicts', 'call and answer'],
                shown.map((s) => [
                  `#${s.id}`,
                  `#${s.tool_id}`,
                  s.job,
                  h('span', { class: `status ${s.accepted ? 'finished' : 'failed'}` }, s.accepted ? 'yes' : 'no'),
                  Object.entries(s.verdicts).map(([check, v]) =>
                    h('div', {}, `${check}: `, v === null ? '—' : h('span', { class: `status ${v.pass ? 'finished' : 'failed'}` }, v.pass ? 'pass' : 'fail'), v?.reason ? ` ${v.reason}` : ''),
                  ),
                  details('show', pre(json({ input: s.input, output: s.output }))),
                ]),
                { class: 'samples' },
              ),
            ),
          ),
        h('h2', {}, 'Eval'),
        carg.evals.length
          ? carg.evals.map((e) => {
              const metrics = Object.keys(e.table[0]?.scores ?? {});
              return h(
                'div',
                { class: 'eval' },
                h('h3', {}, `Simulator ${e.model} `, h('small', {}, `${e.job}, ${e.cases} cases`)),
                table(
                  ['scenario', 'N', ...metrics],
                  e.table.map((r) => [r.scenario, String(r.cases), ...metrics.map((m) => (r.scores[m] === null ? '–' : (r.scores[m]! * 100).toFixed(1)))]),
                  { class: 'eval-table' },
                ),
              );
            })
          : h('p', { class: 'note' }, 'no simulator evaluated yet (mtr carg eval)'),
      )
    : h('p', {}, 'This store holds no CARG tools.');
  return { title: 'CARG', crumbs: [link('/carg', 'CARG')], body };
};
