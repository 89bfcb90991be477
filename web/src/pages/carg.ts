import { api, type CargView } from '../api.js';
import { h, link, table } from '../dom.js';
import type { Page } from '../main.js';

/** CARG's tool repository by status and field, and its simulator samples by kind. */
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
      )
    : h('p', {}, 'This store holds no CARG tools.');
  return { title: 'CARG', crumbs: [link('/carg', 'CARG')], body };
};
