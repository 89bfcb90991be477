import { describe, expect, it } from 'vitest';
import { defineCommand, parseCommandArgs } from '../../src/cli/command.js';
import { renderHelp } from '../../src/cli/help.js';

const cmd = defineCommand({
  name: 'demo',
  summary: 'A demo.',
  examples: ['mtr demo --base-url http://x/v1'],
  options: {
    baseUrl: { type: 'string', env: 'DEMO_URL', placeholder: 'URL', description: 'Server' },
    limit: { type: 'number', integer: true, min: 1, max: 100, description: 'How many' },
    mode: { type: 'string', default: 'a', choices: ['a', 'b'], description: 'Mode' },
    json: { type: 'boolean', description: 'JSON out' },
    db: { type: 'string', required: true, description: 'Store' },
  },
  run: async () => 0,
});

describe('command options', () => {
  it('parses kebab-case flags into declared keys with types and defaults', () => {
    const { options } = parseCommandArgs(cmd, ['--base-url', 'http://h/v1', '--limit', '5', '--json', '--db', 'x.sqlite'], {});
    expect(options).toEqual({ baseUrl: 'http://h/v1', limit: 5, mode: 'a', json: true, db: 'x.sqlite' });
  });

  it('falls back to the environment, and the flag wins over it', () => {
    expect(parseCommandArgs(cmd, ['--db', 'x'], { DEMO_URL: 'http://env/v1' }).options.baseUrl).toBe('http://env/v1');
    expect(parseCommandArgs(cmd, ['--db', 'x', '--base-url', 'http://flag/v1'], { DEMO_URL: 'http://env/v1' }).options.baseUrl).toBe('http://flag/v1');
  });

  it.each([
    [['--db', 'x', '--limt', '5'], "Unknown option '--limt' (did you mean --limit?)"],
    [['--db', 'x', '--base', 'u'], "Unknown option '--base' (did you mean --base-url?)"],
    [['--db', 'x', '--zzzzzz'], /^Unknown option '--zzzzzz'$/],
    [['--db', 'x', '--limit', 'five'], /--limit: expected a number, got "five"/],
    [['--db', 'x', '--mode', 'c'], /--mode: expected one of a\|b, got "c"/],
    [['--db', 'x', '--limit', '2.5'], /--limit: expected a whole number, got 2.5/],
    [['--db', 'x', '--limit', '0'], /--limit: expected 1 to 100, got 0/],
    [[], /missing required option --db/],
    [['--db', 'x', 'stray'], /positional/i],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCommandArgs(cmd, argv as string[], {})).toThrow(message);
  });

  it('renders help from the same declarations', () => {
    const help = renderHelp(cmd);
    expect(help).toContain('--base-url URL');
    expect(help).toContain('Server (env DEMO_URL)');
    expect(help).toContain('one of a|b; default "a"');
    expect(help).toContain('Examples:\n  mtr demo --base-url http://x/v1');
  });

  it('reports which flags were written on the command line, not those from defaults or the environment', () => {
    expect(parseCommandArgs(cmd, ['--db', 'x', '--mode', 'a'], { DEMO_URL: 'http://env/v1' }).given).toEqual(new Set(['db', 'mode']));
  });
});
