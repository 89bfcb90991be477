// Compiles src/ and graphs/ to dist/ (one .js per .ts, no bundling), so `mtr` starts without compiling
// TypeScript at run time. Run by `npm ci` (prepare) and `npm run build`; bin/mtr.js uses dist/ only while it is
// newer than every source file, and falls back to tsx otherwise (an edited checkout never runs stale code).
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const sources = (dir) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.d.ts'))
    .map((d) => join(d.parentPath, d.name));

const started = Date.now();
const tmp = `dist.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
await build({
  entryPoints: [...sources('src'), ...sources('graphs')],
  outdir: tmp,
  outbase: '.',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
// the stamp is written last: a build cut short leaves no stamp, and bin/mtr.js then uses tsx
writeFileSync(join(tmp, '.built'), `${new Date(started).toISOString()}\n`);
// the viewer's pages (npm run build:web) are not this build's: they move into the new dist/ as they are
if (existsSync(join('dist', 'web'))) renameSync(join('dist', 'web'), join(tmp, 'web'));
rmSync('dist', { recursive: true, force: true });
renameSync(tmp, 'dist');
console.log(`built dist/ in ${Date.now() - started} ms`);
