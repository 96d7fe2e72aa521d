import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: test files that spawn child processes compete for them.
    maxWorkers: 2,
    setupFiles: ['test/setup.ts'],
  },
});
