/**
 * Global setup of the browser tests: finds Chromium, builds the studio once (`vite build`) and serves
 * the build with `vite preview` on a free port; tears the server down afterwards.
 * Tests read the URL and the browser path with `inject('baseURL')` / `inject('chromiumPath')`
 * (see ./browser.ts).
 *
 * HERACLES_E2E_SKIP_BUILD=1 reuses an existing build/ (faster when iterating on tests only).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { findChromium } from '../../scripts/find-chromium.js';
import { buildStudio, ROOT, servePreview } from './serve.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Root URL of the served studio, with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
    baseURL: string;
    chromiumPath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const chromiumPath = findChromium();

  const skipBuild =
    process.env.HERACLES_E2E_SKIP_BUILD === '1' && existsSync(join(ROOT, 'build', 'index.html'));
  if (!skipBuild) buildStudio();

  const served = await servePreview();
  project.provide('baseURL', served.baseURL);
  project.provide('chromiumPath', chromiumPath);
  return () => served.stop();
}
