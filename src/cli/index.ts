import { isMtrError } from '../schema/errors.js';
import { type Command, parseCommandArgs, renderHelp } from './command.js';

/** Subcommands load lazily so `mtr status` never pays for model or graph imports. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command<any>> }> = {
  generate: { summary: 'Generate traces: ToolMaker → AutoAgent ⇄ ToolActor over a dataset', load: async () => (await import('./generate.js')).default },
  status: { summary: 'Show progress and totals of the runs in a database', load: async () => (await import('./status.js')).default },
  score: { summary: 'Score rollouts (JSONL) with the composite reward', load: async () => (await import('./score.js')).default },
  validate: { summary: 'Check stored traces and store verdicts; report Malformed %, Slot disagreement % and every reason', load: async () => (await import('./validate.js')).default },
  export: { summary: 'Export Stage-1 SFT (TRL, OpenAI, ShareGPT, JSONL) or Stage-2 GRPO (verl parquet + tool config, TRL, JSONL) datasets, in the hermes or Search-R1 dialect', load: async () => (await import('./export.js')).default },
  index: { summary: 'Build a BM25 index (SQLite FTS5) from a passage corpus for the real wiki_search tool', load: async () => (await import('./index-corpus.js')).default },
  serve: { summary: 'Serve the reward over HTTP (OpenRLHF /get_reward, batch /score)', load: async () => (await import('./serve.js')).default },
  carg: { summary: 'CARG: tool repository (import, expand), simulator training data (single, multi, errors), export, simulator eval and audit', load: async () => (await import('./carg.js')).default },
};

function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 4;
  return [
    'mtr — training data and rewards for tool-using agents, with models acting as the tools',
    '',
    'Usage: mtr <command> [options]      (mtr <command> --help for its options and examples)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}${c.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topHelp());
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`mtr: unknown command "${name}" (expected one of ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(renderHelp(command));
    return 0;
  }
  try {
    const { options, positionals } = parseCommandArgs(command, rest);
    return (await command.run(options, positionals)) ?? 0;
  } catch (e) {
    if (isMtrError(e)) {
      // One line, so scripts and logs get the whole story from `tail -1`.
      process.stderr.write(`mtr ${name}: ${e.message}${e.code === 'E_USAGE' ? ` (see mtr ${name} --help)` : ''}\n`);
      return e.code === 'E_USAGE' ? 2 : 1;
    }
    process.stderr.write(`mtr ${name}: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
