import type { z } from 'zod';
import { isLoopback } from '../pipeline/serve-fields.js';
import { serveRewardJob } from '../pipeline/serve-reward.js';
import { serveToolsJob } from '../pipeline/serve-tools.js';
import { serveMcpStdio } from '../server/mcp.js';
import { startRewardServer } from '../server/reward-server.js';
import { startToolsServer } from '../server/tools-server.js';
import { type Command, type CommandGroup, defineCommand, type Io } from './command.js';
import { optionsFromSchema } from './schema-options.js';

/** Resolves on the first SIGINT or SIGTERM (then the server closes and the command returns 0). */
export const untilSignal = (): Promise<void> =>
  new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

export const warnOpen = (io: Io, host: string, token: string | undefined): void => {
  if (!isLoopback(host) && !token) io.err(`mtr serve: warning: listening on ${host} without --token; anyone who can reach it can use it\n`);
};

/** A setup job as a leaf: its config's flags, the job's setup, then `serve` binds and waits. */
function serveCommand<C extends z.ZodObject>(
  job: { name: string; description: string; examples: readonly string[]; config: C },
  serve: (input: z.input<C>, io: Io) => Promise<void>,
): Command<any> {
  return defineCommand({
    name: job.name,
    summary: job.description,
    examples: [...job.examples],
    options: optionsFromSchema(job.config),
    async run(options, _positionals, io) {
      const input = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as z.input<C>;
      await serve(input, io);
      return 0;
    },
  });
}

const reward = serveCommand(serveRewardJob, async (input, io) => {
  const { service, listen, summary } = await serveRewardJob.run(input);
  warnOpen(io, listen.host, listen.token);
  const server = await startRewardServer(service, listen);
  io.out(`reward server on ${server.url} (POST /get_reward, POST /score, GET /health; dialect ${summary.dialect})\n`);
  await untilSignal();
  await server.close();
});

const tools = serveCommand(serveToolsJob, async (input, io) => {
  // stdout belongs to MCP in stdio mode: notices go to stderr
  const set = await serveToolsJob.run(input, { onNotice: (line) => io.err(`mtr serve: ${line}\n`) });
  try {
    if (set.mcp === 'stdio') {
      io.err(`mtr serve: MCP over stdio: ${set.tools.length} tools from ${set.source}\n`);
      const service = set.ready.then((r) => r.service);
      await serveMcpStdio({ tools: set.tools, call: async (name, args, caller) => (await service).call(name, args, caller) }, set.mcpPageSize, service);
      return;
    }
    const { service, summary } = await set.ready;
    warnOpen(io, set.listen.host, set.listen.token);
    const server = await startToolsServer(service, { ...set.listen, mcpPageSize: set.mcpPageSize });
    const what = `${summary.tools} tools from ${summary.source}, ${summary.simulated_by === null ? 'answered by the real backend' : `simulated by ${summary.simulated_by}`}`;
    io.out(
      `tool server on ${server.url}: ${what} (GET /v1/tools, POST /v1/tools/{name}, POST /v1/batch, POST /virtual, POST /retrieve, MCP at /mcp, GET /health)\n`,
    );
    await untilSignal();
    await server.close();
  } finally {
    await set.close();
  }
});

/** `mtr serve reward|tools`: subcommands as data, each with only its own flags. */
const serve: CommandGroup = {
  name: 'serve',
  summary: 'Serve over HTTP: the reward (OpenRLHF /get_reward, batch /score) or a tool set answered by ToolActor (HTTP, /virtual, /retrieve, MCP)',
  subcommands: { reward, tools },
};
export default serve;
