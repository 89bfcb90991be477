import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../support/cli.js';
import { perItemStore } from '../export/stores.js';
import { seededStore } from '../validate/store-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-export-atomic-'));

const rowsIn = (file: string): number =>
  file.endsWith('.parquet')
    ? tableFromIPC(parquetWasm.readParquet(readFileSync(file)).intoIPCStream()).numRows
    : readFileSync(file, 'utf8').split('\n').filter(Boolean).length;

/** One complete export: exactly the manifest's files, each with the manifest's row count. Returns its kind. */
function completeExport(dir: string): string {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    stage: string;
    format: string;
    split: { val_ratio: number };
    files: Record<string, { file: string; rows: number }>;
  };
  const files = Object.values(manifest.files);
  expect(readdirSync(dir).sort(), dir).toEqual(['manifest.json', ...files.map((f) => f.file)].sort());
  for (const f of files) if (!f.file.endsWith('.yaml')) expect(rowsIn(join(dir, f.file)), `${dir}/${f.file}`).toBe(f.rows);
  return `${manifest.stage}/${manifest.format}/${manifest.split.val_ratio}`;
}

/** mulberry32: a seeded PRNG, so a failing kill schedule can be replayed. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mtr export replaces --out whole', () => {
  let seeded: Awaited<ReturnType<typeof seededStore>>;
  beforeAll(async () => {
    seeded = await seededStore(tmp);
  });

  it('--val-ratio 0.5 then 0 leaves no validation files beside the new train file', async () => {
    const out = join(tmp, 'val');
    const args = ['export', '--db', seeded.path, '--out', out, '--stage', 'sft', '--format', 'jsonl'];
    expect((await runCli([...args, '--val-ratio', '0.5'])).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'train.jsonl', 'validation.jsonl']);
    const second = await runCli([...args, '--val-ratio', '0']);
    expect(second.code, second.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'train.jsonl']);
    expect(completeExport(out)).toBe('sft/jsonl/0');
    expect(readdirSync(tmp).filter((f) => f.startsWith('.val.'))).toEqual([]);
  });

  it("refuses a folder of the user's own files without --overwrite, and leaves it untouched", async () => {
    const out = join(tmp, 'mine');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'keep me');
    const r = await runCli(['export', '--db', seeded.path, '--out', out, '--stage', 'sft', '--format', 'jsonl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `--out: expected a new, empty or earlier mtr export folder (with manifest.json), got ${out} holding other files; choose another --out, or pass --overwrite to replace it`,
    );
    expect(readdirSync(out)).toEqual(['notes.txt']);
    const forced = await runCli(['export', '--db', seeded.path, '--out', out, '--stage', 'sft', '--format', 'jsonl', '--overwrite']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(completeExport(out)).toBe('sft/jsonl/0.05');
  });

  it('SIGKILL at random moments (3 seeds): --out always holds one complete export, never a mix, and the next export recovers', async () => {
    const big = await perItemStore(join(tmp, 'big'), { count: 125 });
    const out = join(tmp, 'killed');
    // two exports that differ in their file sets, so a mix of them shows
    const kinds = {
      'grpo/verl/0.5': ['--stage', 'grpo', '--format', 'verl', '--val-ratio', '0.5'],
      'sft/jsonl/0': ['--stage', 'sft', '--format', 'jsonl', '--val-ratio', '0'],
    } as const;
    const names = Object.keys(kinds) as (keyof typeof kinds)[];
    const run = (kind: keyof typeof kinds) => spawnCli(['export', '--db', big.path, '--out', out, ...kinds[kind]]);
    const first = await run(names[0]!).done;
    expect(first.code, first.stderr).toBe(0);
    let current: string = names[0]!;
    const seen = { finished: 0, killed: 0, mid_write: 0, between_renames: 0, old_left: 0 };
    for (const seed of [1, 2, 3]) {
      const rand = prng(seed);
      for (let k = 0; k < 5; k++) {
        const kind = names[(seed + k) % 2]!;
        const { child, done } = run(kind);
        // half the kills wait for the stage folder (the write and swap phase), half land anywhere from start-up on
        if (rand() < 0.5) {
          const stage = `.killed.tmp-${child.pid}`;
          for (let t = 0; t < 4000 && !existsSync(join(tmp, stage)) && child.exitCode === null; t++) await sleep(1);
          await sleep(Math.floor(rand() * 40));
        } else await sleep(Math.floor(200 + rand() * 900));
        child.kill('SIGKILL');
        const r = await done;
        const left = readdirSync(tmp).filter((f) => f.startsWith('.killed.'));
        if (r.signal === 'SIGKILL') seen.killed++;
        else seen.finished++;
        if (left.some((f) => f.includes('.tmp-'))) seen.mid_write++;
        if (existsSync(out)) {
          const now = completeExport(out);
          expect([current, kind], `seed ${seed} kill ${k}`).toContain(now);
          if (left.some((f) => f.includes('.old-'))) seen.old_left++;
          current = now;
        } else {
          // between the two renames: the old export waits beside, whole, for the next export to put it back
          seen.between_renames++;
          const olds = left.filter((f) => f.includes('.old-'));
          expect(olds).toHaveLength(1);
          expect(completeExport(join(tmp, olds[0]!))).toBe(current);
        }
      }
    }
    const last = await run('sft/jsonl/0').done;
    expect(last.code, last.stderr).toBe(0);
    expect(completeExport(out)).toBe('sft/jsonl/0');
    expect(readdirSync(tmp).filter((f) => f.startsWith('.killed.'))).toEqual([]);
    expect(seen.killed, JSON.stringify(seen)).toBeGreaterThan(5);
    expect(seen.mid_write, JSON.stringify(seen)).toBeGreaterThan(0); // some kills landed while the new export was being written
  }, 120_000);
});
