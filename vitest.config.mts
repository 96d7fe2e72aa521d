import { defineConfig } from 'vitest/config';

// TASKLET_GC_STRESS=1 runs every test file's process under V8 GC stress:
// objects held across switches must survive compaction.
const gcStress = process.env.TASKLET_GC_STRESS === '1';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: test files that spawn child processes compete for them.
    maxWorkers: 2,
    setupFiles: ['test/setup.ts'],
    execArgv: gcStress ? ['--stress-compaction', '--gc-interval=2000'] : [],
  },
});
