import { defineConfig } from 'vitest/config';

/**
 * Browser tests: real Debian Chromium driven by playwright-core against the built studio.
 * `tests/e2e/global-setup.ts` builds the studio once and serves it with `vite preview` on a free port.
 */
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['tests/e2e/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One browser per file is plenty on 2 cores; run files one after another.
    fileParallelism: false,
  },
});
