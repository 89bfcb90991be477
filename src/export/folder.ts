import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MtrError } from '../schema/errors.js';

/**
 * An export folder replaced whole. Files are written into `.NAME.tmp-PID` beside `--out`; commit renames the
 * old folder to `.NAME.old-PID`, the new one to NAME, then deletes the old. Linux cannot rename a directory
 * onto a non-empty one, so the swap takes two renames; the commit point is the second. A process killed at
 * any moment leaves NAME holding the old or the new export, or (between the renames) no NAME and one
 * `.old-PID`: the next export restores that before anything else, so a reader never sees two exports mixed.
 */

const MANIFEST = 'manifest.json';
const leftover = (name: string) => new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(tmp|old)-(\\d+)$`);

const alive = (pid: number): boolean => {
  if (pid === process.pid) return false; // a leftover of an earlier process that had our pid
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** An mtr export: a folder whose manifest.json names its stage, format and files (what `mtr export` writes). */
export function isExportFolder(dir: string): boolean {
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Record<string, unknown>;
    return typeof m.stage === 'string' && typeof m.format === 'string' && typeof m.files === 'object' && m.files !== null;
  } catch {
    return false;
  }
}

/** Finishes what a killed export left beside `out`: restores its old folder if `out` is gone, removes the rest. */
export function recoverLeftovers(out: string): string[] {
  const parent = dirname(out);
  if (!existsSync(parent)) return [];
  const pattern = leftover(basename(out));
  const found = readdirSync(parent).flatMap((f) => {
    const m = pattern.exec(f);
    return m ? [{ path: join(parent, f), kind: m[1] as 'tmp' | 'old', pid: Number(m[2]) }] : [];
  });
  const busy = found.find((f) => alive(f.pid));
  if (busy)
    throw new MtrError(
      'E_USAGE',
      `--out: expected no other export writing ${out}, got process ${busy.pid} (${busy.path}); wait for it, or remove ${busy.path} if that process is not mtr`,
    );
  const done: string[] = [];
  let restored: string | undefined;
  if (!existsSync(out)) {
    // killed between the two renames: the old export goes back (the new one was never committed)
    const newest = found.filter((f) => f.kind === 'old').sort((a, b) => statSync(b.path).mtimeMs - statSync(a.path).mtimeMs)[0];
    if (newest) {
      renameSync(newest.path, out);
      restored = newest.path;
      done.push(`restored ${out} from ${newest.path}`);
    }
  }
  for (const f of found.filter((f) => f.path !== restored)) {
    rmSync(f.path, { recursive: true, force: true });
    done.push(`removed ${f.path}`);
  }
  return done;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class ExportFolder {
  readonly out: string;
  readonly stage: string;
  private readonly old: string;
  /** what recovery did before this export started (printed by the CLI) */
  readonly recovered: string[];

  /**
   * Recovers leftovers of a killed export, then refuses an `--out` that is a file, or a non-empty folder that is
   * not an mtr export unless `overwrite`: a user's folder is never replaced by accident.
   */
  constructor(out: string, o: { overwrite: boolean; keep?: Record<string, string> }) {
    // a symlinked --out: the folder it points at is replaced, the link stays
    const target = existsSync(out) && lstatSync(out).isSymbolicLink() ? realpathSync(out) : resolve(out);
    this.out = target;
    // the swap would move these away (a shell's working folder, the store being read)
    for (const [what, path] of Object.entries({ 'the current folder': process.cwd(), ...o.keep })) {
      const real = existsSync(path) ? realpathSync(path) : resolve(path);
      if (real === target || real.startsWith(`${target}/`))
        throw new MtrError('E_USAGE', `--out: expected a folder that does not hold ${what} (${path}), got ${out}`);
    }
    mkdirSync(dirname(target), { recursive: true });
    this.recovered = recoverLeftovers(target);
    if (existsSync(target)) {
      if (!statSync(target).isDirectory()) throw new MtrError('E_USAGE', `--out: expected a folder for the export, got a file: ${out}`);
      if (!o.overwrite && readdirSync(target).length > 0 && !isExportFolder(target)) {
        throw new MtrError(
          'E_USAGE',
          `--out: expected a new, empty or earlier mtr export folder (with ${MANIFEST}), got ${out} holding other files; choose another --out, or pass --overwrite to replace it`,
        );
      }
    }
    const name = basename(target);
    this.stage = join(dirname(target), `.${name}.tmp-${process.pid}`);
    this.old = join(dirname(target), `.${name}.old-${process.pid}`);
    mkdirSync(this.stage);
  }

  /** Writes one file of the new export (not visible at `out` before commit). */
  write(file: string, data: string | Uint8Array): void {
    const fd = openSync(join(this.stage, file), 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd); // on disk before the rename publishes it
    } finally {
      closeSync(fd);
    }
  }

  /** Publishes the new export in place of the old one. */
  commit(): void {
    fsyncPath(this.stage);
    const had = existsSync(this.out);
    if (had) renameSync(this.out, this.old);
    renameSync(this.stage, this.out); // the commit point
    fsyncPath(dirname(this.out));
    if (had) rmSync(this.old, { recursive: true, force: true });
  }

  /** Drops the new export; `out` keeps what it held. */
  abort(): void {
    rmSync(this.stage, { recursive: true, force: true });
  }
}
