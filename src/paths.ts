import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where downloaded datasets and models are cached: $MTR_CACHE_DIR, else $XDG_CACHE_HOME/mtr, else ~/.cache/mtr. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MTR_CACHE_DIR) return env.MTR_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mtr');
}

let root: string | undefined;

/**
 * A file shipped with the package (prompts/, datasets/registry.json), found from the package's folder: the
 * nearest one up with a package.json, so it is the same from src/ (tsx) and from the compiled dist/src/.
 */
export function packagePath(...parts: string[]): string {
  if (!root) {
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
    root = dir;
  }
  return join(root, ...parts);
}
