import { api, type ReportView } from '../api.js';
import { h, link, query, table } from '../dom.js';
import type { Page } from '../main.js';

/** The validation report (MTR's Malformed % and Slot disagreement %, every check and reason); every count opens the traces behind it. */
export const reportPage: Page = async (params) => {
  const run = params.get('run') ?? '';
  const config = params.get('config') ?? undefined;
  const v = await api<ReportView>(`/api/report${query({ run, config })}`);
  const r = v.report;
  // the trace list under the same check config, narrowed as the count was counted (see /api/traces)
  const traces = (filter: Record<string, string>, text: string) => link(`/traces${query({ run, ...filter, config: v.config_hash ?? undefined })}`, text);
  const body = h(
    'section',
    {},
    h('h1', {}, 'Validation report'),
    v.configs.length > 1
      ? h(
          'p',
          {},
          'check config: ',
          ...v.configs.map((c) =>
            c.config_hash === v.config_hash ? h('b', {}, c.config_hash.slice(0, 12), ' ') : [link(`/report${query({ run, config: c.config_hash })}`, c.config_hash.slice(0, 12)), ' '],
          ),
        )
      : null,
    v.config_hash === null
      ? h('p', {}, 'No verdicts yet: run ', h('code', {}, `mtr validate --db … --run ${run}`), '.')
      : [
          h(
            'dl',
            { class: 'facts headline' },
            h('dt', {}, 'traces validated'),
            h('dd', { id: 'validated' }, traces({ verdict: 'validated' }, String(r.traces))),
            h('dt', {}, 'passed every check'),
            h('dd', { id: 'passed' }, traces({ verdict: 'passed' }, String(r.passed.count)), ` (${r.passed.pct.toFixed(2)}%)`),
            h('dt', {}, 'Malformed %'),
            h('dd', { id: 'malformed' }, traces({ reason: 'malformed' }, r.malformed_pct.toFixed(2))),
            h('dt', {}, 'Slot disagreement %'),
            h('dd', { id: 'slot' }, traces({ reason: 'slot_disagreement' }, r.slot_disagreement_pct.toFixed(2))),
          ),
          h('h2', {}, 'Failed, by reason'),
          table(
            ['reason', 'traces', '%'],
            Object.entries(r.by_reason)
              .filter(([, c]) => c.count > 0)
              .map(([reason, c]) => [reason, traces({ reason }, String(c.count)), c.pct.toFixed(2)]),
            { id: 'by-reason' },
          ),
          Object.keys(r.invalid_arguments_by_type).length
            ? [
                h('h3', {}, 'invalid_arguments, by the pre-check’s error type'),
                table(
                  ['type', 'traces', '%'],
                  Object.entries(r.invalid_arguments_by_type).map(([t, c]) => [t, traces({ error_type: t }, String(c.count)), c.pct.toFixed(2)]),
                  { id: 'by-error-type' },
                ),
              ]
            : null,
          h('h2', {}, 'Failed, by check'),
          table(
            ['check', 'traces', '%'],
            Object.entries(r.by_check).map(([check, c]) => [check, traces({ check }, String(c.count)), c.pct.toFixed(2)]),
            { id: 'by-check' },
          ),
        ],
  );
  return { title: 'Report', crumbs: [link(`/runs/${run}`, `run #${run}`), link(`/report${query({ run })}`, 'report')], body };
};
