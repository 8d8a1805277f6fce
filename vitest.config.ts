import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts', '**/*.test.tsx'],
    exclude: ['node_modules/**', 'dist/**'],
    pool: 'forks',
    // As db/sqlite.ts sets it before better-sqlite3 loads; here for test files that load better-sqlite3
    // themselves first (a worker may run several files, and the addon reads it once).
    env: { SQLITE_USE_URI: '1' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
