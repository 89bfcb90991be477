import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // one throwaway PostgreSQL server for the run (the store tests run on both backends)
    globalSetup: ['test/support/pg-global-setup.ts'],
    // vitest's default is one worker less than the CPUs: a single worker on a 2-core machine. Most slow files wait
    // on sockets, child processes and timers, so two files at once nearly halve the suite there (with more CPUs,
    // vitest's default). Each file still runs in its own process (isolate), so no module state crosses files.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
