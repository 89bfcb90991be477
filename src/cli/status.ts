import { statusJob } from '../pipeline/status.js';
import { jobCommand, jsonOption } from './job-command.js';

const pct = (x: number): string => `${Math.round(x * 100)}%`;
const ms = (x: number): number => Math.round(x * 10) / 10;

export default jobCommand(statusJob, {
  faceOptions: jsonOption('the totals (stable keys for scripts)'),
  print(s, io, face) {
    if (face.json) return void io.out(`${JSON.stringify(s)}\n`);
    const rows: [string, string | number][] = [
      ['runs', s.runs],
      ['items', `${s.items_total} (${s.items_pending} pending)`],
      ['traces finished', `${s.traces_finished} (${s.answers} answered, ${s.stopped_at_max_turns} stopped at max turns)`],
      ['traces failed', s.traces_failed],
      ...Object.entries(s.failures_by_code).map(([code, f]): [string, string] => [`  ${code}`, `${f.items} items, ${f.attempts} attempts (failed traces)`]),
      ['retried', `${s.items_retried} items finished after failed attempts`],
      ['duplicates', s.duplicates],
      ['steps', `${s.steps} (${s.tool_calls} tool calls)`],
      ['tools', `${s.tools_accepted} accepted, ${s.tools_rejected} rejected`],
      ['model calls', `${s.model_calls} (${s.model_calls_failed} failed)`],
      ['tokens', `${s.tokens_in} in, ${s.tokens_out} out`],
      ...Object.entries(s.by_role).map(([role, r]): [string, string] => [
        `  ${role}`,
        `${r.calls} calls, ${r.tokens_in}/${r.tokens_out} tokens, ${r.mean_latency_ms} ms mean`,
      ]),
      ...Object.entries(s.by_server).map(([url, v], i): [string, string] => [
        i ? '' : 'servers',
        `${url}: ${v.calls} calls, ${v.errors} errors, ${v.mean_latency_ms} ms mean, ${v.p95_latency_ms} ms p95`,
      ]),
      ...s.workers.map((w, i): [string, string] => [
        i ? '' : 'workers',
        `#${w.id} ${w.host} pid ${w.pid}: ${w.items_done} done, ${w.items_failed} failed, ${w.items_lost} lost, ${w.rate_per_s}/s, ` +
          `last heartbeat ${w.last_heartbeat} (${w.heartbeat_age_s} s ago)${w.stopped ? ', stopped' : ''}`,
      ]),
      ...s.fidelity.flatMap((e, i): [string, string][] => [
        [
          i ? '' : 'fidelity',
          `${e.tool}/${e.mode}: ${e.calls} calls audited, ${e.failed} failed, agreement ${pct(e.agreement)}, support real ${pct(e.support_real)} vs simulated ${pct(e.support_simulated)}, ` +
            `contradiction ${pct(e.contradiction)}, leak ${pct(e.leak)}, valid ${pct(e.schema_valid)}, ${ms(e.latency_ms_real)} ms real vs ${ms(e.latency_ms_simulated)} ms simulated`,
        ],
        ['', s.fidelity_verdicts[i]!],
      ]),
    ];
    io.out(`${rows.map(([k, v]) => `${k.padEnd(16)} ${v}`).join('\n')}\n`);
  },
});
