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

  it.skipIf(process.getuid?.() !== 0)('installs Chromium with apt-get when allowed (root)', () => {
    // A fake apt-get whose `install` puts a fake chromium next to itself, on a PATH with nothing else.
    const dir = mkdtempSync(join(tmpdir(), 'fake-apt-'));
    const apt = join(dir, 'apt-get');
    writeFileSync(
      apt,
      '#!/bin/sh\nif [ "$1" = install ]; then printf "#!/bin/sh\\n" > "${0%/*}/chromium"; /bin/chmod +x "${0%/*}/chromium"; fi\n',
    );
    chmodSync(apt, 0o755);
    delete process.env.CHROMIUM_PATH;
    process.env.PATH = dir;
    const logs: string[] = [];
    expect(() => findChromium({ install: false })).toThrow(NO_CHROMIUM_MESSAGE);
    expect(findChromium({ install: true, log: (m) => logs.push(m) })).toBe(join(dir, 'chromium'));
    expect(logs.join('\n')).toMatch(/installing/);
  });
});
