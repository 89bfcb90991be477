import { formatReport, validateEmptyError, validateJob } from '../pipeline/validate.js';
import { jobCommand, jsonOption } from './job-command.js';

export default jobCommand(validateJob, {
  faceOptions: jsonOption('the config, config_hash, runs, checked and report'),
  print(s, io, face) {
    const { config, config_hash, runs, checked, report } = s;
    if (face.json) io.out(`${JSON.stringify({ config, config_hash, runs, checked, report })}\n`);
    else io.out(`checked ${checked} new traces (config ${config_hash}, runs ${runs.join(', ')})\n${formatReport(report)}\n`);
    const empty = validateEmptyError(s);
    if (empty) throw empty; // after the report: reported once, on one line, exit 1
  },
});
