import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = 7;

/** Median wall time of a command started fresh RUNS times (the first run warms the file cache and is dropped). */
function wall(args: string[], env: NodeJS.ProcessEnv = {}): number {
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    if (i > 0) times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

export interface StartupRow {
  what: string;
  compiled_ms: number;
  tsx_ms: number;
  /** `node -e 0`: what no CLI can beat */
  node_floor_ms: number;
  goal_ms: number;
}

/** `mtr --help` and `mtr score` on 10 lines: the compiled CLI (dist/) against tsx, with bare node as the floor. */
export function benchStartup(): StartupRow[] {
  // built now, so bin/mtr.js finds dist/ newer than every source and runs it
  if (spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'ignore' }).status !== 0) throw new Error('npm run build failed');
  const dir = mkdtempSync(join(tmpdir(), 'mtr-bench-startup-'));
  try {
    const rollouts = join(dir, 'r.jsonl');
    const line = (i: number) => JSON.stringify({ completion: `<answer>${i % 2 ? 'Paris' : 'Rome'}</answer>`, answers: ['Paris'] });
    writeFileSync(rollouts, `${Array.from({ length: 10 }, (_, i) => line(i)).join('\n')}\n`);
    const floor = Math.round(wall(['-e', '0']));
    const commands: [string, string[]][] = [
      ['mtr --help', ['bin/mtr.js', '--help']],
      ['mtr score, 10 lines', ['bin/mtr.js', 'score', '--rollouts', rollouts, '--out', join(dir, 's.jsonl')]],
    ];
    return commands.map(([what, args]) => ({
      what,
      compiled_ms: Math.round(wall(args)),
      tsx_ms: Math.round(wall(args, { MTR_NO_DIST: '1' })),
      node_floor_ms: floor,
      goal_ms: 500,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
