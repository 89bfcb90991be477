import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `mtr` binary (bin/mtr.js) as a separate process, as a user or script would. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/mtr.js'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, OPENAI_BASE_URL: '', OPENAI_API_KEY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export const runCli = (args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult> => spawnCli(args, env).done;

export interface ServingCli {
  url: string;
  child: ChildProcess;
  done: Promise<CliResult>;
  /** everything the server printed on stdout so far */
  out: () => string;
  /** SIGTERM, then the exit */
  stop: () => Promise<CliResult>;
}

/** Runs `mtr serve reward|tools …` as a separate process and resolves with its URL once it listens. */
export async function serveCli(what: 'reward' | 'tools', args: string[], env?: NodeJS.ProcessEnv): Promise<ServingCli> {
  const started = spawnCli(['serve', what, '--port', '0', ...args], env);
  let out = '';
  const banner = new RegExp(`${what === 'reward' ? 'reward' : 'tool'} server on (http://[\\d.]+:\\d+)`);
  const url = await new Promise<string>((resolve, reject) => {
    started.child.stdout!.on('data', (d) => {
      out += d;
      const m = banner.exec(out);
      if (m) resolve(m[1]!);
    });
    void started.done.then((r) => reject(new Error(`mtr serve ${what} exited early: ${r.stderr}`)));
  });
  return { ...started, url, out: () => out, stop: () => (started.child.kill('SIGTERM'), started.done) };
}
