import { exportJob } from '../pipeline/export.js';
import { jobCommand } from './job-command.js';

export default jobCommand(exportJob, {
  hooks: (io) => ({ onNotice: (line) => io.err(`mtr export: ${line}\n`) }),
  print(s, io) {
    io.out(
      `exported ${s.train} train + ${s.validation} validation ${s.stage} rows (${s.format}${s.dialect === 'search-r1' ? ', search-r1' : ''}) → ${s.out} (${JSON.stringify(s.counts)})\n`,
    );
  },
});
