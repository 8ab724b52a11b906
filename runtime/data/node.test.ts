/**
 * Node adapter tests: real folders/files from shared/data (when present) and temporary folders built
 * here. Run: npx vitest run runtime/data
 */
import { encode as encodePng } from 'fast-png';
import { zipSync } from 'fflate';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataPath } from './node';
import { DATA_DIR, expectDataErrorAsync, haveData, missingReason } from './testing';

let tmp = '';

function png(value: number): Uint8Array {
  return encodePng({ width: 5, height: 5, data: new Uint8Array(25).fill(value), channels: 1, depth: 8 });
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'heracles-data-'));
  for (const [cls, v] of [
    ['cat', 10],
    ['dog', 200],
  ] as const) {
    mkdirSync(path.join(tmp, 'pets', cls), { recursive: true });
    for (let i = 0; i < 10; i++) writeFileSync(path.join(tmp, 'pets', cls, `${i}.png`), png(v));
  }
  writeFileSync(path.join(tmp, 'pets', '.DS_Store'), 'x');
  const tree: Record<string, Uint8Array> = {};
  for (let i = 0; i < 4; i++) {
    tree[`a/${i}.png`] = png(1);
    tree[`b/${i}.png`] = png(2);
  }
  writeFileSync(path.join(tmp, 'ab.zip'), zipSync(tree));
  mkdirSync(path.join(tmp, 'csvs'));
  writeFileSync(path.join(tmp, 'csvs', 'x.csv'), 'a\n1\n2\n');
  mkdirSync(path.join(tmp, 'empty'));
  writeFileSync(path.join(tmp, 'data.bin'), 'x');
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('loadDataPath', () => {
  it.skipIf(!haveData('fashion-mnist'))(
    `a folder of IDX files → image splits${missingReason('fashion-mnist')}`,
    async () => {
      const s = await loadDataPath(path.join(DATA_DIR, 'fashion-mnist'));
      expect(s.kind).toBe('images');
      if (s.kind !== 'images') return;
      expect([s.train.count, s.val.count, s.test.count]).toEqual([55000, 5000, 10000]);
      expect(s.train.classNames[0]).toBe('T-shirt/top');
      expect(s.source).toBe('fashion-mnist (IDX)');
    },
  );

  it.skipIf(!haveData('ett'))(`a .csv and a .csv.gz → series${missingReason('ett')}`, async () => {
    const h = await loadDataPath(path.join(DATA_DIR, 'ett', 'ETTh1.csv'), { target: 'OT' });
    expect(h.kind === 'series' && [h.rows, h.channels, h.target]).toEqual([17420, 7, 'OT']);
    const m = await loadDataPath(path.join(DATA_DIR, 'ett', 'ETTm2.csv.gz'));
    expect(m.kind === 'series' && m.borders.test).toEqual([46080, 57600]);
  });

  it('a folder of class folders and a zip → image splits', async () => {
    const s = await loadDataPath(path.join(tmp, 'pets'), { seed: 3 });
    expect(s.kind === 'images' && [s.train.classNames, s.train.count, s.val.count, s.test.count]).toEqual([
      ['cat', 'dog'],
      16,
      2,
      2,
    ]);
    const z = await loadDataPath(path.join(tmp, 'ab.zip'), { valFraction: 0.25, testFraction: 0.25 });
    expect(z.kind === 'images' && [z.source, z.train.count]).toEqual(['ab.zip', 4]);
  });

  it('clear errors: missing path, folder with neither, CSV folder, unknown file, single IDX file', async () => {
    await expectDataErrorAsync(() => loadDataPath(path.join(tmp, 'nope')), 'nope', 'does not exist');
    await expectDataErrorAsync(
      () => loadDataPath(path.join(tmp, 'empty')),
      'neither IDX files',
      'class folders',
      'empty',
    );
    await expectDataErrorAsync(() => loadDataPath(path.join(tmp, 'csvs')), 'x.csv', 'pass one of them');
    await expectDataErrorAsync(() => loadDataPath(path.join(tmp, 'data.bin')), 'data.bin', 'unknown kind');
    if (haveData('mnist')) {
      const one = path.join(DATA_DIR, 'mnist', 'train-labels-idx1-ubyte.gz');
      await expectDataErrorAsync(() => loadDataPath(one), 'one IDX file', 'folder');
    }
  });
});
