/**
 * Building, serving and opening the studio, free of vitest: the e2e global setup and the studio
 * benchmark (`bench/studio.ts`) both use these.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { waitForHttp } from '../../scripts/http-ready.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');

/** `--enable-unsafe-webgpu` makes navigator.gpu return a (SwiftShader) adapter headless. */
export const CHROMIUM_ARGS = ['--disable-quic', '--disable-gpu', '--enable-unsafe-webgpu'];

/** Headless Debian Chromium (see docs/platform.md) through playwright-core: no browser downloads. */
export function launchChromium(executablePath: string, args: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, ...args] });
}

/** `vite build` of the studio into build/; throws when it fails. */
export function buildStudio(): void {
  const build = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error(`vite build failed (exit code ${build.status})`);
}

export function freePort(): Promise<number> {
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

export interface Served {
  /** Root URL with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
  baseURL: string;
  stop(): Promise<void>;
}

/** Serves build/ with `vite preview` on a free port; resolves once it answers. */
export async function servePreview(): Promise<Served> {
  const port = await freePort();
  const server: ChildProcess = spawn(
    process.execPath,
    // --bypass-lock: a preview the developer runs (npm start) may coexist with this one.
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
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const baseURL = `http://127.0.0.1:${port}/`;
  if (!(await waitForHttp(baseURL, { timeoutMs: 60_000, stillRunning: () => server.exitCode === null }))) {
    server.kill('SIGKILL');
    throw new Error(`vite preview did not answer at ${baseURL} (exit code ${server.exitCode ?? 'none yet'})`);
  }
  return {
    baseURL,
    async stop() {
      if (server.exitCode !== null) return;
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    },
  };
}
