import { api, type RewardsState, type RunName, type TraceRow } from '../api.js';
import { h, link, query, table } from '../dom.js';
import { go, type Page } from '../main.js';

const PAGE = 50;
const FILTERS = ['run', 'dataset', 'status', 'reason', 'check', 'error_type', 'verdict', 'q', 'config', 'reward_min', 'reward_max'] as const;
/** What the report's counts narrow a list by, as a removable line above it (the form has no field for them). */
const NARROWED: Record<string, (v: string) => string> = {
  verdict: (v) => (v === 'validated' ? 'validated' : v === 'passed' ? 'passed every check' : 'failed a check'),
  check: (v) => `failed check ${v}`,
  error_type: (v) => `invalid_arguments of type ${v}`,
};

const cut = (s: string | null, n = 90): string => (s === null ? '' : s.length > n ? `${s.slice(0, n)}…` : s);

/** The trace list: filters as a form that edits the URL (so a filtered list is a link), paged by offset. */
export const tracesPage: Page = async (params) => {
  const f = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? undefined])) as Record<(typeof FILTERS)[number], string | undefined>;
  const offset = Number(params.get('offset') ?? 0);
  const [page, { runs }] = await Promise.all([
    api<{ total: number; items: (TraceRow & { reward?: number })[]; config_hash: string | null; reason_codes: string[]; rewards?: RewardsState }>(
      `/api/traces${query({ ...f, offset, limit: PAGE })}`,
    ),
    api<{ runs: RunName[] }>('/api/runs?brief=1'),
  ]);
  const select = (name: string, options: (string | [value: string, label: string])[], value: string | undefined) =>
    h(
      'select',
      { name },
      h('option', { value: '' }, `any ${name}`),
      ...options.map((o) => {
        const [v, label] = typeof o === 'string' ? [o, o] : o;
        return h('option', { value: v, selected: v === value }, label);
      }),
    );
  const form = h(
    'form',
    {
      class: 'filters',
      id: 'filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const data = Object.fromEntries([...new FormData(e.target as HTMLFormElement)].map(([k, v]) => [k, String(v)]));
        // a reward range belongs to its run (rewards are computed per run): another run, or none, drops it
        const range = data.run === f.run ? {} : { reward_min: undefined, reward_max: undefined };
        go(`/traces${query({ ...f, ...data, ...range, offset: undefined })}`);
      },
    },
    select(
      'run',
      runs.map((r) => [String(r.id), `${r.key} (#${r.id})`]),
      f.run,
    ),
    select('status', ['finished', 'failed', 'running'], f.status),
    select('reason', page.reason_codes, f.reason),
    h('input', { name: 'q', type: 'search', placeholder: 'text in the question', value: f.q ?? '' }),
    h('input', { name: 'dataset', placeholder: 'dataset', value: f.dataset ?? '', size: 10 }),
    // a reward range needs the run: rewards are computed per run
    f.run
      ? h(
          'span',
          {},
          'reward ',
          h('input', { name: 'reward_min', type: 'number', min: 0, max: 1, step: 0.05, placeholder: 'min', value: f.reward_min ?? '', size: 4 }),
          '–',
          h('input', { name: 'reward_max', type: 'number', min: 0, max: 1, step: 0.05, placeholder: 'max', value: f.reward_max ?? '', size: 4 }),
        )
      : null,
    h('button', { type: 'submit' }, 'Filter'),
  );
  for (const el of form.querySelectorAll('select')) el.addEventListener('change', () => (form as HTMLFormElement).requestSubmit());
  const last = Math.min(offset + page.items.length, page.total);
  const pager = h(
    'p',
    { class: 'pager' },
    offset > 0 ? link(`/traces${query({ ...f, offset: Math.max(0, offset - PAGE) })}`, '‹ previous') : null,
    h('span', { id: 'count' }, page.total ? `${offset + 1}–${last} of ${page.total.toLocaleString('en-US')}` : 'no traces match'),
    last < page.total ? link(`/traces${query({ ...f, offset: offset + PAGE })}`, 'next ›') : null,
  );
  const body = h(
    'section',
    {},
    h('h1', {}, 'Traces'),
    form,
    ...Object.entries(NARROWED)
      .filter(([k]) => f[k as keyof typeof f] !== undefined)
      .map(([k, text]) =>
        h('p', { class: 'narrowed', 'data-filter': k }, text(f[k as keyof typeof f]!), ' ', link(`/traces${query({ ...f, [k]: undefined, offset: undefined })}`, '× remove')),
      ),
    pager,
    page.rewards && !page.rewards.complete
      ? h('p', { class: 'note', id: 'rewards-progress' }, `rewards computed for ${page.rewards.scored} of ${page.rewards.total} finished traces so far; reload for more`)
      : null,
    table(
      ['trace', 'item', 'question', 'status', 'answer', ...(page.rewards ? ['reward'] : []), 'reasons'],
      page.items.map((r) => [
        link(`/traces/${r.trace_id}`, `#${r.trace_id}`),
        r.item_id,
        cut(r.question),
        h('span', { class: `status ${r.status}` }, r.status, r.error_code ? ` (${r.error_code})` : ''),
        cut(r.answer, 40),
        ...(page.rewards ? [r.reward?.toFixed(3) ?? ''] : []),
        r.reasons.map((x) => link(`/traces${query({ ...f, reason: x, offset: undefined })}`, h('span', { class: 'reason' }, x))),
      ]),
      { id: 'traces' },
    ),
    page.config_hash ? h('p', { class: 'note' }, `reasons from check config ${page.config_hash.slice(0, 12)}`) : h('p', { class: 'note' }, 'no verdicts yet (run mtr validate)'),
  );
  const crumbs = f.run ? [link(`/runs/${f.run}`, `run #${f.run}`), link(`/traces${query({ run: f.run })}`, 'traces')] : [link('/traces', 'traces')];
  return { title: 'Traces', crumbs, body };
};
