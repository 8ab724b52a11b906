#!/usr/bin/env node
/**
 * `npm test`: the whole gate, in order — Kit sync, type check (svelte-check), lint (eslint + prettier),
 * unit tests (vitest), browser tests (vitest + playwright-core + Debian Chromium).
 * Every step runs even when an earlier one failed (except sync), and a summary names the failures.
 * `.ci/run` runs exactly this.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium } from './find-chromium.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** @param {string} name */
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** @type {{ name: string, run: () => boolean, required?: boolean }[]} */
const steps = [
  { name: 'svelte-kit sync', run: () => exec(bin('svelte-kit'), ['sync']), required: true },
  {
    name: 'type check (svelte-check)',
    run: () =>
      exec(bin('svelte-check'), ['--tsconfig', './tsconfig.json', '--fail-on-warnings', '--output', 'human']),
  },
  { name: 'lint (eslint)', run: () => exec(bin('eslint'), ['.']) },
  {
    name: 'format (prettier --check)',
    run: () => exec(bin('prettier'), ['--check', '.', '--log-level', 'warn']),
  },
  { name: 'unit tests (vitest)', run: () => exec(bin('vitest'), ['run']) },
  {
    name: 'browser tests (vitest + Chromium)',
    run: () => {
      let chromium;
      try {
        chromium = findChromium();
      } catch (e) {
        console.error(`\n${e instanceof Error ? e.message : e}\n`);
        return false;
      }
      console.log(`Using Chromium at ${chromium}`);
      return exec(bin('vitest'), ['run', '--config', 'vitest.e2e.config.ts'], { CHROMIUM_PATH: chromium });
    },
  },
];

/** @param {string} cmd @param {string[]} args @param {Record<string, string>} [env] */
function exec(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.error) console.error(r.error.message);
  return r.status === 0;
}

const results = [];
for (const step of steps) {
  console.log(`\n━━ ${step.name} ━━`);
  const t0 = performance.now();
  const ok = step.run();
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  results.push({ name: step.name, ok, seconds });
  if (!ok && step.required) break;
}

console.log('\n━━ summary ━━');
for (const r of results) console.log(`${r.ok ? 'pass' : 'FAIL'}  ${r.name}  (${r.seconds} s)`);
const failed = results.filter((r) => !r.ok);
if (failed.length) {
  console.error(`\nnpm test failed: ${failed.map((r) => r.name).join(', ')}`);
  process.exit(1);
}
console.log('\nAll checks passed.');
