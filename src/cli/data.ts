import { dataInspectJob } from '../pipeline/data-inspect.js';
import type { CommandGroup } from './command.js';
import { jobCommand, jsonOption } from './job-command.js';

/** Longest question or passage text shown in a sample, in characters. */
const SHOWN = 100;
const cut = (s: string): string => (s.length > SHOWN ? `${s.slice(0, SHOWN)}…` : s);

/** `mtr data inspect FILE|NAME`: the counts, three items as mtr will use them, then the problems by line. */
const inspectCommand = jobCommand(dataInspectJob, {
  positionals: { key: 'dataset', placeholder: 'FILE|NAME' },
  faceOptions: jsonOption('the layout, the counts, the samples and the problems'),
  print(s, io, face) {
    if (face.json) return void io.out(`${JSON.stringify(s)}\n`);
    const rows: [string, string | number][] = [
      ['file', s.file],
      ['dataset', s.dataset],
      ['layout', s.layout],
      ['items', s.items],
      ['with aliases', s.with_aliases],
      ['with context', s.with_context],
      ['with supporting', s.with_supporting],
      ['with decomposition', s.with_decomposition],
      ['problems', s.problems.length],
    ];
    const lines = rows.map(([k, v]) => `${k.padEnd(19)} ${v}`);
    for (const item of s.samples) {
      lines.push('', `item ${item.id}`, `  question  ${cut(item.question)}`, `  answers   ${item.answers.map((a) => JSON.stringify(a)).join(', ')}`);
      if (item.context?.length) {
        const supporting = item.context.filter((p) => p.supporting === true).length;
        lines.push(`  context   ${item.context.length} passages, ${supporting} supporting (first: ${cut(item.context[0]!.title)})`);
      }
      for (const [i, hop] of (item.decomposition ?? []).entries())
        lines.push(`  hop ${i + 1}     ${cut(hop.question)} → ${hop.answers.map((a) => JSON.stringify(a)).join(', ')}`);
    }
    if (s.problems.length) lines.push('', 'problems', ...s.problems.map((p) => `  ${p.reason}`));
    io.out(`${lines.join('\n')}\n`);
  },
});

/** `mtr data …`: what mtr reads from dataset files. */
export default {
  name: 'data',
  summary: 'Datasets: show what mtr reads from a file or a registry name',
  subcommands: { inspect: inspectCommand },
} satisfies CommandGroup;
