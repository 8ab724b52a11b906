#!/usr/bin/env node
/**
 * `npm start`: builds the studio (always; it takes well under a minute) and serves the static build
 * with `vite preview` at http://localhost:4173 ($PORT overrides). Works offline.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForHttp } from './http-ready.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
const port = Number(process.env.PORT || 4173);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`PORT must be a TCP port number (1–65535), got "${process.env.PORT}".`);
  process.exit(1);
}

if (!process.argv.includes('--no-build')) {
  console.log('Building Heracles Studio …');
  const build = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    console.error('Build failed; see the errors above.');
    process.exit(build.status ?? 1);
  }
}

const server = spawn(
  process.execPath,
  [vite, 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1', '--logLevel', 'warn'],
  { cwd: root, stdio: 'inherit' },
);

let stopping = false;
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.kill('SIGTERM');
    // vite preview waits for open connections to close; do not hang on a lingering browser tab.
    setTimeout(() => server.kill('SIGKILL'), 3_000).unref();
  });
}
server.on('exit', (code, signal) => {
  if (!stopping && code !== 0) {
    console.error(`The preview server stopped (${signal ?? `exit code ${code}`}).`);
    console.error(
      `Is port ${port} in use (set another with PORT=<port> npm start), or is another npm start running?`,
    );
  }
  process.exit(stopping ? 0 : (code ?? 1));
});

// Announce the URL only once the server really answers.
if (
  await waitForHttp(`http://127.0.0.1:${port}/`, {
    timeoutMs: 30_000,
    stillRunning: () => server.exitCode === null,
  })
) {
  console.log(`Heracles Studio running at http://localhost:${port}`);
}
