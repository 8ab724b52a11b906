import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';
import { heraclesLayersLoader } from './runtime/export/loader-vite.ts';

export default defineConfig({
  plugins: [sveltekit(), heraclesLayersLoader()],
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  build: {
    // @tensorflow/tfjs is large by nature; do not warn about it on every build.
    chunkSizeWarningLimit: 4096,
    // Kit's writeBundle hook (adapter + prerender pass) always dominates; the timing report is noise.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  test: {
    // Unit and cross-layer tests. Browser (e2e) tests have their own config: vitest.e2e.config.ts.
    include: [
      'blocks/**/*.test.ts',
      'runtime/**/*.test.ts',
      'tests/unit/**/*.test.ts',
      'templates/**/*.test.ts',
      'studio/**/*.test.ts',
    ],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
