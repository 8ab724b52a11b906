/**
 * The studio's upload dispatch (runtime/data/files.ts): which loader a set of dropped files goes to, and the
 * bad-input messages the Data panel shows. Fixtures are generated here (IDX bytes, PNGs with fast-png, zips
 * with fflate). Run: npx vitest run runtime/data/files.test.ts
 */
import { encode as encodePng } from 'fast-png';
import { gzipSync, strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkUploadSizes, loadFiles, MAX_UPLOAD_BYTES } from './files';
import { expectDataError } from './testing';

const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const idxImages = (count: number, side = 4) =>
  new Uint8Array([
    ...u32(0x803),
    ...u32(count),
    ...u32(side),
    ...u32(side),
    ...new Array(count * side * side).fill(7),
  ]);
const idxLabels = (labels: number[]) => new Uint8Array([...u32(0x801), ...u32(labels.length), ...labels]);
const gray = (v: number) =>
  encodePng({ width: 4, height: 4, data: new Uint8Array(16).fill(v), channels: 1, depth: 8 });

const csv = (rows: string[]) => strToU8(['date,a,OT', ...rows].join('\n'));
const seriesRows = Array.from({ length: 40 }, (_, i) => `2020-01-01 ${i},${i},${i * 2}`);

describe('loadFiles', () => {
  it('sends a CSV to the series parser', () => {
    const s = loadFiles([{ path: 'tiny.csv', bytes: csv(seriesRows) }]);
    expect(s.kind).toBe('series');
    if (s.kind === 'series') expect([s.rows, s.channels, s.columns]).toEqual([40, 2, ['a', 'OT']]);
  });

  it('sends IDX files (gzipped or not) to the IDX loader with the folder as source', () => {
    const labels = Array.from({ length: 20 }, (_, i) => i % 2);
    const s = loadFiles(
      [
        { path: 'fm/train-images-idx3-ubyte.gz', bytes: gzipSync(idxImages(20)) },
        { path: 'fm/train-labels-idx1-ubyte', bytes: idxLabels(labels) },
        { path: 'fm/t10k-images-idx3-ubyte', bytes: idxImages(4) },
        { path: 'fm/t10k-labels-idx1-ubyte', bytes: idxLabels([0, 1, 0, 1]) },
      ],
      { valSize: 2 },
    );
    expect(s.kind).toBe('images');
    if (s.kind === 'images') {
      expect(s.source).toBe('fm (IDX)');
      expect([s.train.count, s.val.count, s.test.count]).toEqual([18, 2, 4]);
    }
  });

  it('sends a zip and a folder of class folders to the image loaders', () => {
    const tree = {
      'pets/cat/1.png': gray(10),
      'pets/cat/2.png': gray(20),
      'pets/dog/1.png': gray(200),
      'pets/dog/2.png': gray(210),
    };
    const zipped = loadFiles([{ path: 'pets.zip', bytes: zipSync(tree) }], {
      valFraction: 0,
      testFraction: 0.5,
    });
    const folder = loadFiles(
      Object.entries(tree).map(([path, bytes]) => ({ path, bytes })),
      { valFraction: 0, testFraction: 0.5 },
    );
    for (const s of [zipped, folder]) {
      expect(s.kind).toBe('images');
      if (s.kind === 'images') expect(s.train.classNames).toEqual(['cat', 'dog']);
    }
  });

  describe('bad input: the message names the file and where', () => {
    it('a CSV with text in a numeric column names the row and the column', () => {
      const rows = seriesRows.slice();
      rows[11] = '2020-01-02 11,eleven,22';
      expectDataError(
        () => loadFiles([{ path: 'bad.csv', bytes: csv(rows) }]),
        'bad.csv',
        /row 13/,
        /"a"/,
        '"eleven"',
      );
    });

    it('IDX images and labels with different counts', () => {
      expectDataError(
        () =>
          loadFiles([
            { path: 'fm/train-images-idx3-ubyte', bytes: idxImages(20) },
            { path: 'fm/train-labels-idx1-ubyte', bytes: idxLabels(new Array(19).fill(1)) },
            { path: 'fm/t10k-images-idx3-ubyte', bytes: idxImages(4) },
            { path: 'fm/t10k-labels-idx1-ubyte', bytes: idxLabels([0, 1, 0, 1]) },
          ]),
        'mismatched counts',
        '20 images',
        '19 labels',
      );
    });

    it('a zip with one class', () => {
      const bytes = zipSync({
        'cats/cat/1.png': gray(1),
        'cats/cat/2.png': gray(2),
        'cats/cat/3.png': gray(3),
      });
      expectDataError(() => loadFiles([{ path: 'cats.zip', bytes }]), 'needs at least 2 classes', "'cat'");
    });

    it('a 2 GB file is refused by its size, before reading, with the limit', () => {
      const limitMb = `${MAX_UPLOAD_BYTES / 1024 / 1024} MB`;
      expectDataError(
        () => checkUploadSizes([{ path: 'huge.csv', size: 2 * 1024 ** 3 }]),
        'huge.csv',
        'is 2048 MB',
        `limit of ${limitMb}`,
      );
      expectDataError(
        () =>
          checkUploadSizes(
            Array.from({ length: 3 }, (_, i) => ({ path: `p${i}.png`, size: MAX_UPLOAD_BYTES / 2 })),
          ),
        'these 3 files add up to 768 MB',
      );
      expect(() => checkUploadSizes([{ path: 'ok.csv', size: 1000 }])).not.toThrow();
    });

    it('unknown files and mixed uploads', () => {
      expectDataError(
        () => loadFiles([{ path: 'notes.docx', bytes: new Uint8Array(3) }]),
        'unknown kind of data',
        'notes.docx',
      );
      expectDataError(
        () =>
          loadFiles([
            { path: 'a.zip', bytes: new Uint8Array(4) },
            { path: 'b.csv', bytes: new Uint8Array(4) },
          ]),
        'drop one .zip of class folders on its own',
      );
      expectDataError(() => loadFiles([]), 'no files were given');
    });
  });
});
