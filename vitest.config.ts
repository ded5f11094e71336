import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A test that cannot run must fail, never pass silently.
    passWithNoTests: false,
    allowOnly: false,
    reporters: ['default', './test/reporters/summary.ts'],
  },
});
