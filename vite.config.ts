import { defineConfig } from 'vite';

/** The viewer's pages (web/) built into dist/web, which `mtr view` serves: everything bundled, nothing from a CDN. */
export default defineConfig({
  root: 'web',
  base: '/',
  build: { outDir: '../dist/web', emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  logLevel: 'warn',
});
