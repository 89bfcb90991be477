import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export interface ChaosServer {
  url: string;
  child: ChildProcess;
  /** SIGTERM; resolves with what it printed on stderr (its last line: the faults it injected, as JSON) */
  stop: () => Promise<string>;
}

/** test/pipeline/chaos-server.ts in its own process (scripted answers for `dataset`, seeded faults); resolves once it listens. */
export function startChaosServer(args: { dataset: string; limit: number; faultRate: number; seed: number; latencyMs?: number }): Promise<ChaosServer> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'test/pipeline/chaos-server.ts'),
      ...['--dataset', args.dataset, '--limit', String(args.limit), '--fault-rate', String(args.faultRate), '--seed', String(args.seed)],
      ...(args.latencyMs === undefined ? [] : ['--latency-ms', String(args.latencyMs)]),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /chaos server on (http:\/\/\S+)/.exec(out);
      const stop = async () => {
        if (child.exitCode === null) child.kill('SIGTERM');
        await exited;
        return err;
      };
      if (m) resolve({ url: m[1]!, child, stop });
    });
    void exited.then(() => reject(new Error(`chaos server exited early: ${err}`)));
  });
}
