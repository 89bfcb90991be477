import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExportFolder, isExportFolder, recoverLeftovers } from '../../src/export/folder.js';

const base = mkdtempSync(join(tmpdir(), 'mtr-folder-'));
let n = 0;
const fresh = () => {
  const dir = join(base, String(n++));
  mkdirSync(dir);
  return dir;
};
/** A folder as `mtr export` leaves it: a manifest naming its files, and those files. */
const exportAt = (dir: string, tag: string, files: string[] = ['train.jsonl']) => {
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, f), `${tag}\n`);
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({ stage: 'sft', format: 'jsonl', tag, files: Object.fromEntries(files.map((f) => [f, { file: f, rows: 1 }])) }),
  );
};
const tagOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).tag as string;
/** The pid of a process that has exited: what a SIGKILLed export leaves in its leftovers' names. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('ExportFolder', () => {
  it('replaces the folder whole: files of the earlier export do not survive beside the new one', () => {
    const out = join(fresh(), 'out');
    exportAt(out, 'old', ['train.jsonl', 'validation.jsonl', 'validation.parquet']);
    const f = new ExportFolder(out, { overwrite: false });
    f.write('train.jsonl', 'new\n');
    f.write('manifest.json', JSON.stringify({ stage: 'sft', format: 'jsonl', tag: 'new', files: {} }));
    expect(tagOf(out)).toBe('old'); // nothing visible before commit
    f.commit();
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'train.jsonl']);
    expect(tagOf(out)).toBe('new');
    expect(readdirSync(join(out, '..'))).toEqual(['out']); // no stage or old folder left
  });

  it('abort leaves --out as it was and removes the stage', () => {
    const out = join(fresh(), 'out');
    exportAt(out, 'old');
    const f = new ExportFolder(out, { overwrite: false });
    f.write('train.jsonl', 'half');
    f.abort();
    expect(tagOf(out)).toBe('old');
    expect(readdirSync(join(out, '..'))).toEqual(['out']);
  });

  it('killed between the two renames (no --out, an .old folder): the next export restores the old one first', () => {
    const parent = fresh();
    const pid = deadPid();
    exportAt(join(parent, `.out.old-${pid}`), 'old');
    exportAt(join(parent, `.out.tmp-${pid}`), 'new');
    expect(recoverLeftovers(join(parent, 'out'))).toEqual([
      `restored ${join(parent, 'out')} from ${join(parent, `.out.old-${pid}`)}`,
      `removed ${join(parent, `.out.tmp-${pid}`)}`,
    ]);
    expect(readdirSync(parent)).toEqual(['out']);
    expect(tagOf(join(parent, 'out'))).toBe('old');
  });

  it('killed while writing or while deleting the old folder: the leftover goes, --out stays', () => {
    const parent = fresh();
    const [a, b] = [deadPid(), deadPid()];
    exportAt(join(parent, 'out'), 'current');
    exportAt(join(parent, `.out.tmp-${a}`), 'half');
    mkdirSync(join(parent, `.out.old-${b}`)); // rmSync cut short
    mkdirSync(join(parent, '.other.tmp-1')); // another export's name: not ours to touch
    new ExportFolder(join(parent, 'out'), { overwrite: false }).abort();
    expect(readdirSync(parent).sort()).toEqual(['.other.tmp-1', 'out']);
    expect(tagOf(join(parent, 'out'))).toBe('current');
  });

  it('refuses to start beside a live export of the same folder', async () => {
    const parent = fresh();
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      mkdirSync(join(parent, `.out.tmp-${live.pid}`));
      expect(() => new ExportFolder(join(parent, 'out'), { overwrite: false })).toThrow(
        `--out: expected no other export writing ${join(parent, 'out')}, got process ${live.pid}`,
      );
      expect(existsSync(join(parent, `.out.tmp-${live.pid}`))).toBe(true);
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('never replaces a user folder without --overwrite; an empty folder or an earlier export is fine', () => {
    const parent = fresh();
    const mine = join(parent, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'mine');
    expect(() => new ExportFolder(mine, { overwrite: false })).toThrow(
      /--out: expected a new, empty or earlier mtr export folder \(with manifest.json\), got .*mine holding other files; .* --overwrite/,
    );
    writeFileSync(join(mine, 'manifest.json'), '{"not":"ours"}');
    expect(isExportFolder(mine)).toBe(false);
    expect(() => new ExportFolder(mine, { overwrite: false })).toThrow(/holding other files/);
    expect(readFileSync(join(mine, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(parent)).toEqual(['mine']); // refused before any stage was made
    const forced = new ExportFolder(mine, { overwrite: true });
    forced.write('manifest.json', '{}');
    forced.commit();
    expect(readdirSync(mine)).toEqual(['manifest.json']);

    const empty = join(parent, 'empty');
    mkdirSync(empty);
    new ExportFolder(empty, { overwrite: false }).abort();
    writeFileSync(join(parent, 'file'), 'x');
    expect(() => new ExportFolder(join(parent, 'file'), { overwrite: true })).toThrow(/--out: expected a folder for the export, got a file/);
  });

  it('a symlinked --out: the folder it points at is replaced, the link stays', () => {
    const parent = fresh();
    exportAt(join(parent, 'real'), 'old', ['train.jsonl', 'validation.jsonl']);
    symlinkSync(join(parent, 'real'), join(parent, 'link'));
    const f = new ExportFolder(join(parent, 'link'), { overwrite: false });
    f.write('manifest.json', JSON.stringify({ stage: 'sft', format: 'jsonl', tag: 'new', files: {} }));
    f.commit();
    expect(tagOf(join(parent, 'link'))).toBe('new');
    expect(readdirSync(join(parent, 'link'))).toEqual(['manifest.json']);
    expect(readdirSync(parent).sort()).toEqual(['link', 'real']);
  });

  it('refuses an --out holding the current folder or the store being read, even with --overwrite', () => {
    const out = join(fresh(), 'out');
    exportAt(out, 'old');
    writeFileSync(join(out, 'store.sqlite'), '');
    expect(() => new ExportFolder(out, { overwrite: true, keep: { 'the store (--db)': join(out, 'store.sqlite') } })).toThrow(
      `--out: expected a folder that does not hold the store (--db) (${join(out, 'store.sqlite')}), got ${out}`,
    );
    expect(() => new ExportFolder(join(process.cwd(), '..'), { overwrite: true })).toThrow(/--out: expected a folder that does not hold the current folder/);
    expect(readdirSync(join(out, '..'))).toEqual(['out']);
  });
});
