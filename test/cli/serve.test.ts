import { describe, expect, it } from 'vitest';
import { type Command, type Io, parseCommandArgs } from '../../src/cli/command.js';
import { renderHelp } from '../../src/cli/help.js';
import { main } from '../../src/cli/index.js';
import serve from '../../src/cli/serve.js';

function capture(): Io & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', isTTY: false, env: {}, out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

const leaf = (name: 'reward' | 'tools') => serve.subcommands[name] as Command;

describe('mtr serve: subcommands as data, each with only its own flags', () => {
  it('serve reward refuses the tools-only flags and serve tools the reward weights, whatever their value', async () => {
    for (const [argv, flag, hint] of [
      [['serve', 'reward', '--concurrency', '16'], '--concurrency', ''],
      [['serve', 'reward', '--toolset', 't.json'], '--toolset', ''],
      [['serve', 'reward', '--base-url', 'http://x/v1'], '--base-url', ''],
      [['serve', 'tools', '--weights', 'em=1'], '--weights', ''],
      [['serve', 'tools', '--maker-model', 'm'], '--maker-model', ''], // serve tools runs only the actor role
    ] as const) {
      const io = capture();
      expect(await main([...argv], io)).toBe(2);
      expect(io.stderr).toMatch(new RegExp(`^mtr serve ${argv[1]}: Unknown option '${flag}'${hint.replace(/[()?]/g, '\\$&')}`));
    }
  });

  it('each leaf reads its port (default 8787 / 8788), the token from MTR_SERVE_TOKEN, and its own flags', () => {
    expect(
      parseCommandArgs(leaf('reward'), ['--port', '0', '--weights', 'em=1'], { OPENAI_BASE_URL: 'http://x/v1', MTR_SERVE_TOKEN: 't' }).options,
    ).toMatchObject({ port: 0, weights: 'em=1', token: 't', host: '127.0.0.1' });
    expect(parseCommandArgs(leaf('reward'), [], {}).options.port).toBe(8787);
    expect(parseCommandArgs(leaf('tools'), ['--concurrency', '4', '--actor-model', 'gtm'], { OPENAI_BASE_URL: 'http://x/v1' }).options).toMatchObject({
      port: 8788,
      concurrency: 4,
      actorModel: 'gtm',
      baseUrl: 'http://x/v1',
      mcp: 'http',
    });
    expect(renderHelp(leaf('tools'))).toMatch(/^mtr serve tools \[options\]/);
    expect(renderHelp(leaf('tools'))).toMatch(/--cache FILE\s+Store whose actor cache replays identical calls .*a SQLite file or a postgres:\/\/… URL/);
    expect(renderHelp(leaf('reward'))).not.toContain('--cache');
  });

  it('names a bad value by its flag, and a missing or unknown subcommand', async () => {
    const bad = capture();
    expect(await main(['serve', 'tools', '--mcp', 'sse'], bad)).toBe(2);
    expect(bad.stderr).toMatch(/^mtr serve tools: --mcp: expected one of http\|stdio, got "sse"/);
    const both = capture();
    expect(await main(['serve', 'tools', '--toolset', 'a.json', '--from-run', 'b.sqlite', '--port', '0'], both)).toBe(2);
    expect(both.stderr).toMatch(/^mtr serve tools: expected at most one of --toolset FILE or --from-run DB\[:RUN\], got both/);
    const weights = capture();
    expect(await main(['serve', 'reward', '--weights', 'em=oops'], weights)).toBe(2);
    expect(weights.stderr).toMatch(/^mtr serve reward: --weights: expected name=number, got "em=oops"/);
    const none = capture();
    expect(await main(['serve'], none)).toBe(2);
    expect(none.stdout).toMatch(/mtr serve reward\s+Serve the reward over HTTP/);
    const typo = capture();
    expect(await main(['serve', 'tool'], typo)).toBe(2);
    expect(typo.stderr).toMatch(/^mtr serve: unknown subcommand "tool" \(expected one of reward, tools\)/);
  });
});
