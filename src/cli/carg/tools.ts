import { cargExpandJob } from '../../pipeline/carg/expand.js';
import { cargImportJob, importFailure } from '../../pipeline/carg/import.js';
import type { CommandGroup } from '../command.js';
import { jobCommand } from '../job-command.js';
import { JSON_OPTION, stageHooks } from './face.js';

/** `mtr carg tools import FILE…`: the summary, then (exit 1) the files that were not imported. */
const importCommand = jobCommand(cargImportJob, {
  positionals: { key: 'files', placeholder: 'FILE…' },
  faceOptions: JSON_OPTION,
  hooks: stageHooks,
  print(s, io, face) {
    if (face.json) io.out(`${JSON.stringify(s)}\n`);
    else {
      io.out(
        `${s.imported} imported, ${s.incomplete} incomplete (use --complete), ${s.rejected} rejected, ${s.duplicates} duplicates${s.unchanged ? `, ${s.unchanged} unchanged (already imported)` : ''}${s.completed ? `, ${s.completed} completed by the model` : ''}\n`,
      );
      for (const [k, n] of Object.entries(s.by_reason)) io.out(`  ${k}: ${n}\n`);
      for (const p of s.problems.slice(0, 10)) io.out(`  rejected ${p.name} (${p.source}): ${p.reasons.join('; ')}\n`);
    }
    const failure = importFailure(s);
    if (failure) throw failure;
  },
});

const expandCommand = jobCommand(cargExpandJob, {
  faceOptions: JSON_OPTION,
  hooks: stageHooks,
  print: (s, io, face) =>
    io.out(
      face.json
        ? `${JSON.stringify(s)}\n`
        : `${s.new_fields} new fields, ${s.new_subfields} new subfields; ${s.pairs} (field, subfield) pairs: ${s.imported} tools imported, ${s.rejected} rejected, ${s.duplicates} duplicates\n`,
    ),
});

export const toolsGroup: CommandGroup = {
  name: 'carg tools',
  summary: 'The tool repository: import tool files, or grow it with the model',
  subcommands: { import: importCommand, expand: expandCommand },
};
