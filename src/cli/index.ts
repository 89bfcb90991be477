import { isMtrError } from '../schema/errors.js';
import { didYouMean } from '../text/closest.js';
import { type Command, type CommandGroup, type Io, isGroup, parseCommandArgs, processIo } from './command.js';
import { renderHelp } from './help.js';

/** Subcommands load lazily so `mtr status` never pays for model or graph imports. */
/** Exported for scripts/docs.ts, which writes docs/cli/ from these commands (so the reference never drifts from --help). */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command<any> | CommandGroup> }> = {
  generate: { summary: 'Generate traces: ToolMaker → AutoAgent ⇄ ToolActor over a dataset', load: async () => (await import('./generate.js')).default },
  status: { summary: 'Show progress and totals of the runs in a database', load: async () => (await import('./status.js')).default },
  score: { summary: 'Score rollouts (JSONL) with the composite reward', load: async () => (await import('./score.js')).default },
  eval: {
    summary: 'Evaluate an agent on QA datasets (EM, F1, cover-EM) with simulated or real tools; compare evals side by side',
    load: async () => (await import('./eval.js')).default,
  },
  validate: {
    summary: 'Check stored traces and store verdicts; report Malformed %, Slot disagreement % and every reason',
    load: async () => (await import('./validate.js')).default,
  },
  export: {
    summary:
      'Export Stage-1 SFT (TRL, OpenAI, ShareGPT, JSONL) or Stage-2 GRPO (verl parquet + tool config, TRL, JSONL) datasets, in the hermes or Search-R1 dialect',
    load: async () => (await import('./export.js')).default,
  },
  data: { summary: 'Datasets: show what mtr reads from a file or a registry name', load: async () => (await import('./data.js')).default },
  audit: { summary: 'Audit simulated tools against real ones: fidelity per tool and grounding mode', load: async () => (await import('./audit.js')).default },
  index: {
    summary: 'Build a BM25 index (SQLite FTS5) from a passage corpus for the real wiki_search tool',
    load: async () => (await import('./index-corpus.js')).default,
  },
  serve: {
    summary:
      'Serve the reward (OpenRLHF /get_reward, batch /score) or a simulated tool set (REST, StableToolBench /virtual, Search-R1 /retrieve, MCP) over HTTP',
    load: async () => (await import('./serve.js')).default,
  },
  carg: {
    summary: 'CARG: tool repository (import, expand), simulator training data (single, multi, errors), export, simulator eval and audit',
    load: async () => (await import('./carg.js')).default,
  },
  view: { summary: 'Look at a store in the browser: runs, traces, verdicts and plots (read only)', load: async () => (await import('./view.js')).default },
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

/** A group's subcommands, one line each (nested groups flattened to their leaves), and each leaf's first example. */
function groupHelp(group: CommandGroup, path: string): string {
  const leaves = (g: CommandGroup, at: string): [string, Command<any>][] =>
    Object.entries(g.subcommands).flatMap(([n, c]) => (isGroup(c) ? leaves(c, `${at} ${n}`) : [[`${at} ${n}`, c] as [string, Command<any>]]));
  const rows = leaves(group, path);
  const width = Math.max(...rows.map(([n]) => n.length)) + 4;
  return [
    `Usage: ${path} <subcommand> [options]      (${path} <subcommand> --help for its options)`,
    '',
    group.summary,
    '',
    'Subcommands:',
    ...rows.map(([n, c]) => `  ${n.padEnd(width)}${c.summary.split(/(?<=\.) /)[0]}`),
    '',
    'Examples:',
    ...rows.flatMap(([, c]) => c.examples.slice(0, 1).map((e) => `  ${e}`)),
    '',
  ].join('\n');
}

/**
 * Runs one command line in this process: `io` receives all output (tests pass a capture), the exit code is
 * returned. Errors thrown deep are reported here once: one line, usage errors with a pointer to --help.
 */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.err(`mtr: unknown command "${name}" (expected one of ${Object.keys(COMMANDS).join(', ')})${didYouMean(name, Object.keys(COMMANDS), (n) => n)}\n`);
    return 2;
  }
  let command = await entry.load();
  let path = `mtr ${name}`;
  while (isGroup(command)) {
    const sub = rest[0];
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      io.out(groupHelp(command, path));
      return sub ? 0 : 2;
    }
    const next = command.subcommands[sub];
    if (!next) {
      const names = Object.keys(command.subcommands);
      io.err(`${path}: unknown subcommand "${sub}" (expected one of ${names.join(', ')})${didYouMean(sub, names, (n) => n)}\n`);
      return 2;
    }
    rest.shift();
    path += ` ${sub}`;
    command = next;
  }
  const leaf: Command<any> = command;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(renderHelp(leaf));
    return 0;
  }
  try {
    const { options, positionals } = parseCommandArgs(leaf, rest, io.env);
    return (await leaf.run(options, positionals, io)) ?? 0;
  } catch (e) {
    if (isMtrError(e)) {
      // One line, so scripts and logs get the whole story from `tail -1`.
      io.err(`${path}: ${e.message}${e.code === 'E_USAGE' ? ` (see ${path} --help)` : ''}\n`);
      return e.code === 'E_USAGE' ? 2 : 1;
    }
    io.err(`${path}: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
