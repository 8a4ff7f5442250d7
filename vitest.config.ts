import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Tensor work on 2 cores is slow; a generous limit avoids flaky time-outs.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One worker process per file keeps each backend's global tfjs engine isolated.
    pool: 'forks',
  },
});
