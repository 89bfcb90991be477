#!/usr/bin/env node
// Runs the compiled CLI (dist/, made by `npm ci` / `npm run build`) when it is newer than every source file;
// otherwise the TypeScript directly through tsx, so an edited checkout never runs stale code.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newestSource(dir) {
  let newest = 0;
  for (const d of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (d.isFile() && d.name.endsWith('.ts')) newest = Math.max(newest, statSync(join(d.parentPath, d.name)).mtimeMs);
  return newest;
}

function compiledIsFresh() {
  try {
    const built = statSync(join(root, 'dist', '.built')).mtimeMs;
    return Math.max(newestSource(join(root, 'src')), newestSource(join(root, 'graphs'))) <= built;
  } catch {
    return false; // never built
  }
}

let cli;
if (process.env.MTR_NO_DIST !== '1' && compiledIsFresh()) cli = await import('../dist/src/cli/index.js');
else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/cli/index.ts');
}
process.exitCode = await cli.main(process.argv.slice(2));
