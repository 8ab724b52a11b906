/**
 * IDX loader tests: the real Fashion-MNIST / MNIST files (when shared/data is present) and small IDX
 * files built here for every error path. Run: npx vitest run runtime/data
 */
import { gzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync as nodeGunzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASSES, loadIdxSplits, parseIdx, type NamedBytes } from './idx';
import { DATA_DIR, expectDataError, haveData, missingReason } from './testing';

// ------------------------------------------------------------------------------------------
// Fixtures: tiny IDX files
// ------------------------------------------------------------------------------------------

function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

/** An IDX images file: `count` images of rows×cols, pixel value = image index (mod 256). */
function idxImages(count: number, rows = 4, cols = 4, magic = 0x803): Uint8Array {
  const data = Array.from({ length: count * rows * cols }, (_, i) => Math.floor(i / (rows * cols)) % 256);
  return new Uint8Array([...u32(magic), ...u32(count), ...u32(rows), ...u32(cols), ...data]);
}

/** An IDX labels file with the given labels. */
function idxLabels(labels: number[], magic = 0x801): Uint8Array {
  return new Uint8Array([...u32(magic), ...u32(labels.length), ...labels]);
}

/** The four files of a small release: 20 train and 6 test images, 3 classes. */
function smallRelease(): NamedBytes[] {
  return [
    { name: 'train-images-idx3-ubyte', bytes: idxImages(20) },
    { name: 'train-labels-idx1-ubyte', bytes: idxLabels(Array.from({ length: 20 }, (_, i) => i % 3)) },
    { name: 't10k-images-idx3-ubyte.gz', bytes: gzipSync(idxImages(6)) },
    { name: 't10k-labels-idx1-ubyte.gz', bytes: gzipSync(idxLabels([0, 1, 2, 0, 1, 2])) },
  ];
}

function replace(files: NamedBytes[], prefix: string, bytes: Uint8Array): NamedBytes[] {
  return files.map((f) => (f.name.startsWith(prefix) ? { ...f, bytes } : f));
}

// ------------------------------------------------------------------------------------------
// Real files
// ------------------------------------------------------------------------------------------

function readRelease(dir: string): NamedBytes[] {
  return [
    'train-images-idx3-ubyte.gz',
    'train-labels-idx1-ubyte.gz',
    't10k-images-idx3-ubyte.gz',
    't10k-labels-idx1-ubyte.gz',
  ].map((f) => ({ name: `${dir}/${f}`, bytes: readFileSync(path.join(DATA_DIR, dir, f)) }));
}

describe('IDX: real files', () => {
  it.skipIf(!haveData('fashion-mnist'))(
    `Fashion-MNIST: 60000 → train 55000 / val 5000 (the last 5000), test 10000, 28×28×1${missingReason('fashion-mnist')}`,
    () => {
      const files = readRelease('fashion-mnist');
      const s = loadIdxSplits(files, { source: 'fashion-mnist (IDX)' });
      expect(s.kind).toBe('images');
      expect([s.train.count, s.val.count, s.test.count]).toEqual([55000, 5000, 10000]);
      for (const set of [s.train, s.val, s.test]) {
        expect(set.shape).toEqual([28, 28, 1]);
        expect(set.pixels.length).toBe(set.count * 784);
        expect(set.labels.length).toBe(set.count);
        expect(set.classNames).toEqual(FASHION_MNIST_CLASSES);
      }
      expect(s.source).toBe('fashion-mnist (IDX)');

      // Independent check with Node's zlib: val is the END of train, test is the t10k file as released.
      const rawImages = nodeGunzip(files[0].bytes);
      const rawLabels = nodeGunzip(files[1].bytes);
      expect(Array.from(s.val.labels)).toEqual(Array.from(rawLabels.subarray(8 + 55000)));
      expect(Array.from(s.train.labels.subarray(0, 50))).toEqual(Array.from(rawLabels.subarray(8, 58)));
      expect(Buffer.from(s.val.pixels).equals(rawImages.subarray(16 + 55000 * 784))).toBe(true);
      expect(Buffer.from(s.train.pixels.subarray(0, 784)).equals(rawImages.subarray(16, 16 + 784))).toBe(
        true,
      );
      // Fashion-MNIST train is balanced: 6000 images per class over train + val; test 1000 per class.
      const counts = new Array(10).fill(0);
      for (const l of [...s.train.labels, ...s.val.labels]) counts[l]++;
      expect(counts).toEqual(new Array(10).fill(6000));
      const testCounts = new Array(10).fill(0);
      for (const l of s.test.labels) testCounts[l]++;
      expect(testCounts).toEqual(new Array(10).fill(1000));
    },
  );

  it.skipIf(!haveData('mnist'))(`MNIST: digit class names, valSize option${missingReason('mnist')}`, () => {
    const s = loadIdxSplits(readRelease('mnist'), { valSize: 10000 });
    expect(s.train.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect([s.train.count, s.val.count, s.test.count]).toEqual([50000, 10000, 10000]);
    // The first MNIST training label is famously a 5.
    expect(s.train.labels[0]).toBe(5);
  });
});

// ------------------------------------------------------------------------------------------
// Small files: parsing and every error
// ------------------------------------------------------------------------------------------

describe('IDX: parsing', () => {
  it('parses raw and gzipped files alike (gzip detected by 1f 8b, not by the name)', () => {
    const raw = idxImages(3, 2, 5);
    const a = parseIdx(raw, 'x', 'images');
    const b = parseIdx(gzipSync(raw), 'x-without-gz-suffix', 'images');
    expect(a.dims).toEqual([3, 2, 5]);
    expect(b.dims).toEqual([3, 2, 5]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(a.gzipped).toBe(false);
    expect(b.gzipped).toBe(true);
  });

  it('splits a small release, val from the end of train, default val = 10% when under 5000', () => {
    const s = loadIdxSplits(smallRelease(), { source: 'tiny' });
    expect([s.train.count, s.val.count, s.test.count]).toEqual([18, 2, 6]);
    expect(s.train.shape).toEqual([4, 4, 1]);
    expect(s.train.classNames).toEqual(['0', '1', '2']);
    // Pixel value = image index: val holds images 18 and 19.
    expect(s.val.pixels[0]).toBe(18);
    expect(s.val.pixels[16]).toBe(19);
    expect(Array.from(s.val.labels)).toEqual([0, 1]);
    // Each set owns its buffer (safe to transfer to a worker on its own).
    expect(s.train.pixels.buffer).not.toBe(s.val.pixels.buffer);
  });

  it('accepts test-* names and uses Fashion-MNIST names when the folder hints it', () => {
    const tenClasses = [
      { name: 'fashion/train-images', bytes: idxImages(20) },
      { name: 'fashion/train-labels', bytes: idxLabels(Array.from({ length: 20 }, (_, i) => i % 10)) },
      { name: 'fashion/test-images', bytes: idxImages(2) },
      { name: 'fashion/test-labels', bytes: idxLabels([3, 9]) },
    ];
    const s = loadIdxSplits(tenClasses, { valSize: 0 });
    expect(s.test.classNames[9]).toBe('Ankle boot');
    expect(s.val.count).toBe(0);
  });

  it('wrong magic number: names the file, byte 0 and the expected magic', () => {
    const files = replace(smallRelease(), 'train-images', idxImages(20, 4, 4, 0x801));
    const e = expectDataError(
      () => loadIdxSplits(files),
      'train-images-idx3-ubyte',
      'byte 0',
      'wrong magic number 0x00000801',
      'expected 0x00000803',
      'swapped',
    );
    expect(e.file).toBe('train-images-idx3-ubyte');
    expectDataError(
      () => parseIdx(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0]), 'a.zip', 'labels'),
      'a.zip',
      '0x00000801',
    );
    expectDataError(
      () => parseIdx(new Uint8Array([0, 0]), 'short', 'images'),
      'short',
      'byte 0',
      'only 2 bytes',
    );
  });

  it('truncated data: says how many bytes the header promises and where the file ends', () => {
    const full = idxImages(20);
    const cut = full.subarray(0, full.length - 7);
    expectDataError(
      () => loadIdxSplits(replace(smallRelease(), 'train-images', cut)),
      'train-images-idx3-ubyte',
      'truncated',
      '20 × 4 × 4 = 320 bytes',
      `byte ${cut.length}`,
    );
    // Gzipped: the offset refers to the unpacked bytes.
    expectDataError(
      () => parseIdx(gzipSync(cut), 'imgs.gz', 'images'),
      'imgs.gz',
      `byte ${cut.length} (after gunzip)`,
    );
    // Header itself cut short.
    expectDataError(() => parseIdx(full.subarray(0, 10), 'h', 'images'), 'h', 'ends inside the header');
    // A damaged gzip stream.
    const gz = gzipSync(full);
    expectDataError(
      () => parseIdx(gz.subarray(0, 30), 'broken.gz', 'images'),
      'broken.gz',
      'could not be unpacked',
    );
  });

  it('mismatched image and label counts name both files', () => {
    const files = replace(
      smallRelease(),
      'train-labels',
      idxLabels(Array.from({ length: 19 }, (_, i) => i % 3)),
    );
    expectDataError(
      () => loadIdxSplits(files),
      'train-images-idx3-ubyte has 20 images',
      'train-labels-idx1-ubyte has 19 labels',
      'byte 4',
    );
  });

  it('labels out of range: test label unseen in train, or beyond numClasses', () => {
    const files = replace(smallRelease(), 't10k-labels', gzipSync(idxLabels([0, 1, 2, 7, 1, 2])));
    expectDataError(
      () => loadIdxSplits(files),
      't10k-labels-idx1-ubyte.gz',
      'label 7 of image 3',
      'byte 11 (after gunzip)',
      '0 to 2',
    );
    expectDataError(
      () => loadIdxSplits(smallRelease(), { numClasses: 2 }),
      'train-labels-idx1-ubyte',
      'label 2',
      'byte 10',
    );
  });

  it('missing files: lists the expected names', () => {
    const files = smallRelease().filter((f) => !f.name.startsWith('t10k-labels'));
    expectDataError(() => loadIdxSplits(files), 'missing IDX file', 't10k-labels* or test-labels*');
    expectDataError(() => loadIdxSplits([]), 'train-images*', 'train-labels*', 'Files given: none');
  });

  it('rejects a bad valSize and trailing garbage', () => {
    expectDataError(() => loadIdxSplits(smallRelease(), { valSize: 20 }), 'valSize', '0 to 19');
    const extra = new Uint8Array([...idxLabels([0, 1]), 9, 9]);
    expectDataError(() => parseIdx(extra, 'l', 'labels'), 'unexpected bytes after the data', 'byte 10');
  });
});
