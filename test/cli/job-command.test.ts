import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseCommandArgs, type Io } from '../../src/cli/command.js';
import { jobCommand } from '../../src/cli/job-command.js';
import { optionsFromSchema } from '../../src/cli/schema-options.js';
import { renderHelp } from '../../src/cli/help.js';
import { defineJob, parseConfig } from '../../src/pipeline/job.js';

const config = z.object({
  files: z.array(z.string()).min(1).meta({ description: 'Files to read' }),
  db: z.string().min(1).meta({ placeholder: 'FILE', description: 'Store' }),
  limit: z.number().int().min(1).max(100).optional().meta({ placeholder: 'N', description: 'How many' }),
  rounds: z.number().int().min(0).default(2).meta({ placeholder: 'N', description: 'Rounds' }),
  ratio: z.number().min(0).max(1).default(0.5).meta({ description: 'Share' }),
  mode: z.enum(['a', 'b']).default('a').meta({ description: 'Mode' }),
  url: z.string().optional().meta({ env: 'DEMO_URL', placeholder: 'URL', description: 'Server' }),
  dry: z.boolean().default(false).meta({ description: 'Dry run' }),
});
const summary = z.object({ files: z.number(), total: z.number() });
const demo = defineJob({
  name: 'demo',
  description: 'Adds up.',
  examples: ['mtr demo a.txt --db x.sqlite'],
  config,
  summary,
  async run(input) {
    const c = parseConfig(config, input);
    return { files: c.files.length, total: c.rounds * c.files.length };
  },
});

function capture(): Io & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', isTTY: false, env: {}, out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

describe('flags from a job config', () => {
  it('derives type, default, range, choices, env, placeholder and required from the zod fields', () => {
    const o = optionsFromSchema(config, ['files']);
    expect(o).toEqual({
      db: { type: 'string', description: 'Store', placeholder: 'FILE', required: true },
      limit: { type: 'number', description: 'How many', placeholder: 'N', integer: true, min: 1, max: 100 },
      rounds: { type: 'number', description: 'Rounds', placeholder: 'N', integer: true, min: 0, default: 2 },
      ratio: { type: 'number', description: 'Share', min: 0, max: 1, default: 0.5 },
      mode: { type: 'string', description: 'Mode', choices: ['a', 'b'], default: 'a' },
      url: { type: 'string', description: 'Server', placeholder: 'URL', env: 'DEMO_URL' },
      dry: { type: 'boolean', description: 'Dry run', default: false },
    });
  });

  it('refuses an undocumented field and a field no flag can carry', () => {
    expect(() => optionsFromSchema(z.object({ x: z.string() }))).toThrow(/x: no description/);
    expect(() => optionsFromSchema(z.object({ x: z.array(z.string()).meta({ description: 'X' }) }))).toThrow(/x: a array cannot be a flag/);
  });

  it('names the flag when a config value is out of range', () => {
    expect(() => parseConfig(config, { files: ['a'], db: 'x', rounds: -1 })).toThrow(/^--rounds: Too small/);
    expect(() => parseConfig(config, { files: [], db: 'x' })).toThrow(/^--files: /);
  });
});

describe('a job as a command', () => {
  const cmd = jobCommand(demo, {
    positionals: { key: 'files', placeholder: 'FILE…' },
    faceOptions: { json: { type: 'boolean', description: 'JSON out' } },
    print: (s, io, face) => (face.json ? io.out(`${JSON.stringify(s)}\n`) : io.out(`${s.files} files, ${s.total}\n`)),
  });

  it('parses flags and positionals into the job input, runs it and prints its summary', async () => {
    const io = capture();
    const { options, positionals } = parseCommandArgs(cmd, ['a', 'b', '--db', 'x', '--rounds', '3', '--json'], {});
    expect(await cmd.run(options, positionals, io)).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual({ files: 2, total: 6 });
  });

  it('help shows the flags derived from the config, the positionals and the examples', () => {
    const help = renderHelp(cmd);
    expect(help).toMatch(/^mtr demo FILE… \[options\]/);
    expect(help).toContain('--rounds N');
    expect(help).toContain('default 2');
    expect(help).toContain('one of a|b');
    expect(help).toContain('--json');
    expect(help).toContain('mtr demo a.txt --db x.sqlite');
  });

  it('a flag the job does not declare is unknown, whatever its value', () => {
    expect(() => parseCommandArgs(cmd, ['a', '--db', 'x', '--count', '5'], {})).toThrow(/Unknown option '--count'/);
  });

  it('the config check runs before the job: a missing positional is a usage error naming it', async () => {
    const { options, positionals } = parseCommandArgs(cmd, ['--db', 'x'], {});
    await expect(cmd.run(options, positionals, capture())).rejects.toThrow(/--files: /);
  });
});
