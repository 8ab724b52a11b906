/**
 * Global setup of the browser tests: finds Chromium, builds the studio once (`vite build`) and serves
 * the build with `vite preview` on a free port; tears the server down afterwards.
 * Tests read the URL and the browser path with `inject('baseURL')` / `inject('chromiumPath')`
 * (see ./browser.ts).
 *
 * HERACLES_E2E_SKIP_BUILD=1 reuses an existing build/ (faster when iterating on tests only).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { findChromium } from '../../scripts/find-chromium.js';
import { waitForHttp } from '../../scripts/http-ready.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Root URL of the served studio, with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
    baseURL: string;
    chromiumPath: string;
  }
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const chromiumPath = findChromium();

  const skipBuild =
    process.env.HERACLES_E2E_SKIP_BUILD === '1' && existsSync(join(root, 'build', 'index.html'));
  if (!skipBuild) {
    const build = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
      cwd: root,
      stdio: 'inherit',
    });
    if (build.status !== 0) throw new Error(`vite build failed (exit code ${build.status})`);
  }

  const port = await freePort();
  const server = spawn(
    process.execPath,
    // --bypass-lock: a preview the developer runs (npm start) may coexist with the tests' own one.
    [
      vite,
      'preview',
      '--port',
      String(port),
      '--strictPort',
      '--host',
      '127.0.0.1',
      '--logLevel',
      'warn',
      '--bypass-lock',
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const baseURL = `http://127.0.0.1:${port}/`;
  if (!(await waitForHttp(baseURL, { timeoutMs: 60_000, stillRunning: () => server.exitCode === null }))) {
    server.kill('SIGKILL');
    throw new Error(`vite preview did not answer at ${baseURL} (exit code ${server.exitCode ?? 'none yet'})`);
  }

  project.provide('baseURL', baseURL);
  project.provide('chromiumPath', chromiumPath);

  return async () => {
    if (server.exitCode !== null) return;
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (server.exitCode === null) server.kill('SIGKILL');
  };
}
