import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Io } from '../../src/cli/command.js';
import { main } from '../../src/cli/index.js';
import { REPO_ROOT } from './paths.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** What every CLI call sees: the caller's environment without a model server, plus the test's own variables. */
const cliEnv = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...process.env, OPENAI_BASE_URL: '', OPENAI_API_KEY: '', ...env });

/** Runs the real `mtr` binary (bin/mtr.js) as a separate process, as a user or script would. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/mtr.js'), ...args], {
    cwd: REPO_ROOT,
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

interface Capture {
  stdout: string;
  stderr: string;
}

/** The call a write belongs to, followed through awaits, timers and callbacks (calls may overlap). */
const calls = new AsyncLocalStorage<Capture>();
const routers = new WeakSet<object>();

/**
 * Writes to process.stdout/stderr made inside a runCli call go to that call's capture; every other write passes
 * through to the write found there. Installed at each call unless already in place (a test's spy that replaced
 * it, then was restored, is wrapped again), so a command not yet writing through `io` is still captured.
 */
function routeProcessStreams(): void {
  for (const key of ['stdout', 'stderr'] as const) {
    const stream = process[key];
    if (routers.has(stream.write)) continue;
    const write = stream.write;
    const routed = function (this: NodeJS.WriteStream, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
      const capture = calls.getStore();
      if (!capture) return (write as (...a: unknown[]) => boolean).call(this, chunk, encoding, callback);
      capture[key] +=
        typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    } as typeof stream.write;
    routers.add(routed);
    stream.write = routed;
  }
}

/**
 * Runs one `mtr` command line in this process — `main(argv, io)` with a captured Io (isTTY false) — and returns
 * what the binary would have: exit code and output. MTR_TEST_SPAWN=1 runs the real binary instead (spawnCli).
 */
export async function runCli(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult> {
  if (process.env.MTR_TEST_SPAWN) return spawnCli(args, env).done;
  routeProcessStreams();
  const capture: Capture = { stdout: '', stderr: '' };
  const io: Io = {
    out: (text) => void (capture.stdout += text),
    err: (text) => void (capture.stderr += text),
    isTTY: false,
    env: cliEnv(env),
  };
  const listening = SIGNALS.map((s) => process.listenerCount(s));
  inFlight++;
  let code: number;
  try {
    code = await calls.run(capture, () => main([...args], io));
  } finally {
    inFlight--;
  }
  // a library call must leave the process as it found it (an overlapping call may hold its own listener)
  const left = SIGNALS.filter((s, i) => process.listenerCount(s) > listening[i]!);
  if (left.length && inFlight === 0)
    throw new Error(`mtr ${args.join(' ')} left ${left.join(' and ')} listeners behind (exit ${code}; stderr: ${capture.stderr})`);
  return { code, signal: null, stdout: capture.stdout, stderr: capture.stderr };
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let inFlight = 0;

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
