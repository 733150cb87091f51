import { defineConfig } from 'vitest/config';

// One file at a time, one worker: each test drives real Chromium instances on a shared 2-core machine.
export default defineConfig({
  test: {
    include: ['*.e2e.test.ts'],
    globalSetup: ['./stack.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['verbose'],
  },
});
