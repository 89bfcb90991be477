import { runStatus } from '../store/index.js';
import { defineCommand } from './command.js';
import { openStore, selectRuns, STORE_OPTIONS } from './stores.js';

export default defineCommand({
  name: 'status',
  summary: 'Totals of a store: items, finished and failed traces (failures by error code, with their attempts), duplicates (always 0), steps, model calls and tokens, per role.',
  examples: ['mtr status --db runs/bamboogle.sqlite', 'mtr status --db runs/bamboogle.sqlite --json | jq .traces_finished'],
  options: {
    ...STORE_OPTIONS,
    json: { type: 'boolean', description: 'Print one JSON object (stable keys for scripts)' },
  },
  async run(o) {
    const db = openStore(o.db);
    try {
      if (o.run !== undefined) selectRuns(db, o.run); // an unknown id is an error, not a report of zeros
      const s = runStatus(db, o.run);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(s)}\n`);
        return;
      }
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
        ...Object.entries(s.by_role).map(([role, r]): [string, string] => [`  ${role}`, `${r.calls} calls, ${r.tokens_in}/${r.tokens_out} tokens, ${r.mean_latency_ms} ms mean`]),
      ];
      process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(16)} ${v}`).join('\n')}\n`);
    } finally {
      db.close();
    }
  },
});
