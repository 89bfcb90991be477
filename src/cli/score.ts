import { formatScoreSummary, scoreJob } from '../pipeline/score.js';
import { jobCommand } from './job-command.js';

/** `mtr score`: the score job's flags, its notices (lines scored 0) on stderr, the summary on stdout. */
export default jobCommand(scoreJob, {
  hooks: (io) => ({ onNotice: (line) => io.err(`mtr score: ${line}\n`) }),
  print: (summary, io) => io.out(formatScoreSummary(summary)),
});
