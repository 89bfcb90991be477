import { cargAuditJob } from '../../pipeline/carg/audit.js';
import { cargErrorsJob } from '../../pipeline/carg/errors.js';
import { cargEvalJob, renderEvalTable } from '../../pipeline/carg/eval.js';
import { cargExportJob } from '../../pipeline/carg/export.js';
import { cargMultiJob } from '../../pipeline/carg/multi.js';
import { cargSingleJob } from '../../pipeline/carg/single.js';
import { jobCommand } from '../job-command.js';
import { JSON_OPTION, printStage, stageExit, stageHooks } from './face.js';

const generation = { faceOptions: JSON_OPTION, hooks: stageHooks } as const;

export const singleCommand = jobCommand(cargSingleJob, { ...generation, print: (s, io, face) => printStage(io, s, Boolean(face.json)) });
export const multiCommand = jobCommand(cargMultiJob, { ...generation, print: (s, io, face) => printStage(io, s, Boolean(face.json)) });
export const errorsCommand = jobCommand(cargErrorsJob, { ...generation, print: (s, io, face) => printStage(io, s, Boolean(face.json)) });

export const exportCommand = jobCommand(cargExportJob, {
  faceOptions: JSON_OPTION,
  hooks: (io) => ({ onNotice: (line) => io.err(`mtr carg export: ${line}\n`) }),
  print: (s, io, face) =>
    io.out(face.json ? `${JSON.stringify(s)}\n` : `${s.rows} rows written to ${s.out} (${s.format}): ${s.train} train, ${s.validation} validation\n`),
});

export const evalCommand = jobCommand(cargEvalJob, {
  ...generation,
  print(s, io, face) {
    if (face.json) return printStage(io, s, true);
    printStage(io, s, false);
    io.out(`${renderEvalTable(s.model, s.table)}\n`);
    return stageExit(s);
  },
});

export const auditCommand = jobCommand(cargAuditJob, {
  ...generation,
  print(s, io, face, config) {
    if (face.json) return printStage(io, s, true);
    printStage(io, s, false);
    const min = config.minReliability;
    const rows = Object.entries(s.reliability);
    io.out(
      `mean reliability ${(s.mean_reliability * 100).toFixed(1)}% over ${rows.length} tools${min === undefined ? '' : `; ${s.kept} at or above ${min} written to ${config.out}`}\n`,
    );
    for (const [name, r] of rows.filter(([, r]) => r < (min ?? 1)).slice(0, 10)) io.out(`  ${name}: ${(r * 100).toFixed(0)}%\n`);
    return stageExit(s);
  },
});
