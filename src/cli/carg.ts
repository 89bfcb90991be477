import type { CommandGroup } from './command.js';
import { auditCommand, errorsCommand, evalCommand, exportCommand, multiCommand, singleCommand } from './carg/stages.js';
import { toolsGroup } from './carg/tools.js';

/**
 * `mtr carg …`: subcommands as data, each a CARG job with only its own flags (a flag a subcommand does not read
 * is an unknown option, whatever its value). Model work is stored per tool as it finishes; re-running resumes.
 */
export default {
  name: 'carg',
  summary: 'CARG: data for a generalist tool simulator (GTM), and its evaluation. Model work is stored per tool as it finishes; re-running resumes.',
  subcommands: {
    tools: toolsGroup,
    single: singleCommand,
    multi: multiCommand,
    errors: errorsCommand,
    export: exportCommand,
    audit: auditCommand,
    eval: evalCommand,
  },
} satisfies CommandGroup;
