import { defineConfig } from 'vitest/config';

// make bench: the measurements of bench/, one at a time; each starts the stacks it needs.
export default defineConfig({
  test: {
    include: ['bench/*.bench.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 900_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
  },
});
