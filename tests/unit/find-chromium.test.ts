import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findChromium, NO_CHROMIUM_MESSAGE } from '../../scripts/find-chromium.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('findChromium', () => {
  it('prefers CHROMIUM_PATH when it is executable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chromium-'));
    const fake = join(dir, 'my-chromium');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
    process.env.CHROMIUM_PATH = fake;
    expect(findChromium({ install: false })).toBe(fake);
  });

  it('rejects a CHROMIUM_PATH that is not executable, with the install hint', () => {
    process.env.CHROMIUM_PATH = '/nonexistent/chromium';
    expect(() => findChromium({ install: false })).toThrow(NO_CHROMIUM_MESSAGE);
  });

  it('explains how to get Chromium when none is on PATH and installing is off', () => {
    delete process.env.CHROMIUM_PATH;
    process.env.PATH = mkdtempSync(join(tmpdir(), 'empty-path-'));
    expect(() => findChromium({ install: false })).toThrow(
      "No Chromium found. Install Debian's: sudo apt-get install -y chromium, or set CHROMIUM_PATH=/path/to/chromium",
    );
  });
});
