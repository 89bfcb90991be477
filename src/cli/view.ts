import type { z } from 'zod';
import { type ViewConfigSchema, viewJob } from '../pipeline/view.js';
import { startViewServer } from '../server/view-app.js';
import { defineCommand } from './command.js';
import { optionsFromSchema } from './schema-options.js';
import { untilSignal, warnOpen } from './serve.js';

/** `mtr view`: the job opens the store read only, the server binds, and it serves until SIGINT/SIGTERM. */
export default defineCommand({
  name: viewJob.name,
  summary: viewJob.description,
  examples: [...viewJob.examples],
  options: optionsFromSchema(viewJob.config),
  async run(options, _positionals, io) {
    const input = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as unknown as z.input<typeof ViewConfigSchema>;
    const { service, listen, summary } = await viewJob.run(input);
    try {
      warnOpen(io, listen.host, listen.token);
      const server = await startViewServer(service, listen);
      io.out(`viewer on ${server.url}/ over ${summary.db} (${summary.runs} runs; read only; JSON API under /api/)\n`);
      await untilSignal();
      await server.close();
    } finally {
      await service.close();
    }
    return 0;
  },
});
