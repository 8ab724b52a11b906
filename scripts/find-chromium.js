#!/usr/bin/env node
/**
 * Finds a Chromium executable for the browser tests (Playwright's own browser download cannot work
 * here: we drive Debian's Chromium with playwright-core).
 *
 * Order: $CHROMIUM_PATH, then `chromium`, `chromium-browser`, `google-chrome` on PATH, then — only when
 * running as root with apt-get available and either $CI or $HERACLES_INSTALL_CHROMIUM=1 set — installs
 * Debian's `chromium` package. Otherwise throws an error with a clear message.
 *
 * CLI: `node scripts/find-chromium.js [--install]` prints the path, or the message and exits 1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const NO_CHROMIUM_MESSAGE =
  "No Chromium found. Install Debian's: sudo apt-get install -y chromium, or set CHROMIUM_PATH=/path/to/chromium";

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** @param {string} path */
function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** @param {string} name @returns {string | undefined} */
function which(name) {
  const r = spawnSync('/bin/sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.status === 0 ? r.stdout.trim() : '';
  return path && isExecutable(path) ? path : undefined;
}

function lookup() {
  for (const name of CANDIDATES) {
    const path = which(name);
    if (path) return path;
  }
  return undefined;
}

/** Installing is allowed only as root, with apt-get, and in CI or by explicit opt-in. */
export function mayInstall() {
  const env = process.env;
  const optedIn = Boolean(env.CI) || env.HERACLES_INSTALL_CHROMIUM === '1';
  return optedIn && process.getuid?.() === 0 && which('apt-get') !== undefined;
}

/**
 * @param {{ install?: boolean, log?: (msg: string) => void }} [options]
 *   install: try apt-get when nothing is found (default: `mayInstall()`).
 * @returns {string} the path of a Chromium executable
 */
export function findChromium(options = {}) {
  const log = options.log ?? ((msg) => console.error(msg));
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(`CHROMIUM_PATH=${fromEnv} is not an executable file. ${NO_CHROMIUM_MESSAGE}`);
  }
  const found = lookup();
  if (found) return found;

  const install = options.install ?? mayInstall();
  if (install && process.getuid?.() === 0 && which('apt-get')) {
    log("No Chromium found: installing Debian's chromium with apt-get …");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env });
    const installed = lookup();
    if (installed) return installed;
  }
  throw new Error(NO_CHROMIUM_MESSAGE);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    console.log(findChromium({ install: process.argv.includes('--install') || undefined }));
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
