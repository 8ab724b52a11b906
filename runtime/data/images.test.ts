/**
 * Image folder / zip tests. Fixtures are generated here (PNGs with fast-png's encoder, JPEGs with
 * jpeg-js, zips with fflate): no binary files in the repository. Run: npx vitest run runtime/data
 */
import { encode as encodePng } from 'fast-png';
import { strToU8, zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import {
  decodeImage,
  imageToInput,
  loadImageFolder,
  loadImageZip,
  resizeImage,
  type ImageFile,
} from './images';
import { expectDataError } from './testing';

/** A gray PNG of w×h filled with `value` (and a 1-pixel marker of 255 at the top-left). */
function grayPng(w: number, h: number, value: number): Uint8Array {
  const data = new Uint8Array(w * h).fill(value);
  data[0] = 255;
  return encodePng({ width: w, height: h, data, channels: 1, depth: 8 });
}

function rgbaPng(w: number, h: number, rgba: [number, number, number, number]): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set(rgba, i * 4);
  return encodePng({ width: w, height: h, data, channels: 4, depth: 8 });
}

function rgbJpeg(w: number, h: number, rgb: [number, number, number]): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([...rgb, 255], i * 4);
  return new Uint8Array(jpeg.encode({ width: w, height: h, data }, 95).data);
}

/** `perClass` gray 6×6 PNGs per class; pixel value encodes the class (40·(k+1)) and the image index. */
function classFolder(classes: string[], perClass: number, root = 'pets'): ImageFile[] {
  const files: ImageFile[] = [];
  classes.forEach((c, k) => {
    for (let i = 0; i < perClass; i++) {
      files.push({
        path: `${root}/${c}/${String(i).padStart(3, '0')}.png`,
        bytes: grayPng(6, 6, 40 * (k + 1)),
      });
    }
  });
  return files;
}

describe('images: decoding', () => {
  it('decodes gray, RGBA (alpha over black), 16-bit and JPEG', () => {
    const g = decodeImage(grayPng(3, 2, 7), 'g.png');
    expect([g.width, g.height, g.channels]).toEqual([3, 2, 1]);
    expect(Array.from(g.data)).toEqual([255, 7, 7, 7, 7, 7]);

    const c = decodeImage(rgbaPng(2, 2, [200, 100, 50, 128]), 'c.png');
    expect(c.channels).toBe(3);
    expect(Array.from(c.data.subarray(0, 3))).toEqual([100, 50, 25]);

    const d16 = encodePng({
      width: 2,
      height: 1,
      data: new Uint16Array([65535, 256]),
      channels: 1,
      depth: 16,
    });
    expect(Array.from(decodeImage(d16, 'd.png').data)).toEqual([255, 1]);

    const j = decodeImage(rgbJpeg(8, 8, [250, 10, 10]), 'j.jpg');
    expect([j.width, j.height, j.channels]).toEqual([8, 8, 3]);
    expect(j.data[0]).toBeGreaterThan(200);
    expect(j.data[1]).toBeLessThan(60);
    // A gray JPEG (R = G = B) comes back as one channel.
    expect(decodeImage(rgbJpeg(8, 8, [90, 90, 90]), 'gj.jpg').channels).toBe(1);
  });

  it('corrupt or non-image bytes: DataError naming the file', () => {
    const png = grayPng(16, 16, 9);
    expectDataError(
      () => decodeImage(png.subarray(0, 40), 'cls/broken.png'),
      'cls/broken.png',
      'could not decode this PNG',
    );
    expectDataError(
      () => decodeImage(strToU8('hello'), 'cls/fake.png'),
      'cls/fake.png',
      'not a PNG or JPEG',
      '68 65 6c 6c',
    );
    const jpg = rgbJpeg(16, 16, [1, 2, 3]);
    expectDataError(() => decodeImage(jpg.subarray(0, 30), 'cls/broken.jpg'), 'cls/broken.jpg', 'JPEG');
  });

  it('resizes bilinear and nearest', () => {
    const img = { width: 2, height: 1, channels: 1 as const, data: new Uint8Array([0, 200]) };
    expect(Array.from(resizeImage(img, 1, 4, 'bilinear').data)).toEqual([0, 50, 150, 200]);
    expect(Array.from(resizeImage(img, 1, 4, 'nearest').data)).toEqual([0, 0, 200, 200]);
    const big = { width: 40, height: 40, channels: 1 as const, data: new Uint8Array(1600).fill(80) };
    expect(Array.from(resizeImage(big, 4, 4, 'bilinear').data)).toEqual(new Array(16).fill(80));
  });
});

describe('images: single image as model input', () => {
  it('decodes, resizes and converts channels', () => {
    const x = imageToInput(rgbJpeg(16, 16, [250, 10, 10]), 'red.jpg', [4, 4, 1]);
    expect(x.length).toBe(16);
    expect(x[0]).toBeGreaterThan(65);
    expect(x[0]).toBeLessThan(90); // luma of red ≈ 76
    const y = imageToInput(grayPng(8, 8, 100), 'g.png', [8, 8, 3]);
    expect(Array.from(y.subarray(3, 6))).toEqual([100, 100, 100]);
    expectDataError(() => imageToInput(grayPng(8, 8, 1), 'g.png', [8, 8, 4]), 'g.png', '4 channels');
  });
});

describe('images: folders', () => {
  it('classes from folder names, stratified seeded split, deterministic', () => {
    const files = classFolder(['dog', 'cat', 'bird'], 20);
    const s = loadImageFolder(files, { seed: 7, source: 'pets' });
    expect(s.train.classNames).toEqual(['bird', 'cat', 'dog']);
    expect([s.train.count, s.val.count, s.test.count]).toEqual([48, 6, 6]);
    expect(s.train.shape).toEqual([6, 6, 1]);
    // Stratified: 2 of each class in val and test.
    for (const set of [s.val, s.test]) {
      expect([0, 1, 2].map((k) => set.labels.filter((l) => l === k).length)).toEqual([2, 2, 2]);
    }
    // Labels match the pixels (class k was drawn with value 40·(k+1); bird=dog's folder index 2 → label 0).
    const valueOf = { bird: 120, cat: 80, dog: 40 } as Record<string, number>;
    for (let i = 0; i < s.train.count; i++) {
      expect(s.train.pixels[i * 36 + 1]).toBe(valueOf[s.train.classNames[s.train.labels[i]]]);
    }
    // Same seed → same split, whatever order the files come in; another seed → another split.
    const again = loadImageFolder(files.slice().reverse(), { seed: 7 });
    expect(Array.from(again.train.labels)).toEqual(Array.from(s.train.labels));
    expect(Array.from(again.test.pixels)).toEqual(Array.from(s.test.pixels));
    const other = loadImageFolder(files, { seed: 8 });
    expect(Array.from(other.train.labels)).not.toEqual(Array.from(s.train.labels));
    expect(s.warnings).toEqual([]);
  });

  it('channels: gray → RGB on request, RGB → gray by luma; mixed sets default to RGB', () => {
    const files = classFolder(['a', 'b'], 3);
    const rgb = loadImageFolder(files, { channels: 3, valFraction: 0, testFraction: 0 });
    expect(rgb.train.shape).toEqual([6, 6, 3]);
    expect(rgb.train.pixels[3]).toBe(rgb.train.pixels[4]);
    const mixed = [...files, { path: 'pets/a/red.jpg', bytes: rgbJpeg(6, 6, [255, 0, 0]) }];
    const m = loadImageFolder(mixed, { valFraction: 0, testFraction: 0 });
    expect(m.train.shape[2]).toBe(3);
    const g = loadImageFolder(mixed, { channels: 1, valFraction: 0, testFraction: 0 });
    const redIndex = Array.from(g.train.labels).findIndex(
      (_, i) => g.train.pixels[i * 36 + 1] > 60 && g.train.pixels[i * 36 + 1] < 90,
    );
    expect(redIndex).toBeGreaterThanOrEqual(0); // red → luma 0.299·255 ≈ 76
  });

  it('different sizes: error without size, resized with size', () => {
    const files = [...classFolder(['a', 'b'], 2), { path: 'pets/b/wide.png', bytes: grayPng(10, 6, 3) }];
    expectDataError(() => loadImageFolder(files), 'pets/b/wide.png', 'different sizes', '10×6', 'size');
    const s = loadImageFolder(files, { size: [4, 5], valFraction: 0, testFraction: 0 });
    expect(s.train.shape).toEqual([4, 5, 1]);
    expect(s.train.count).toBe(5);
  });

  it('skips OS clutter silently and lists other skipped files as warnings', () => {
    const files = [
      ...classFolder(['a', 'b'], 3),
      { path: 'pets/.DS_Store', bytes: new Uint8Array([0]) },
      { path: 'pets/a/._000.png', bytes: new Uint8Array([0]) },
      { path: '__MACOSX/pets/a/000.png', bytes: new Uint8Array([0]) },
      { path: 'pets/a/Thumbs.db', bytes: new Uint8Array([0]) },
      { path: 'pets/README.txt', bytes: strToU8('hi') },
      { path: 'pets/b/anim.gif', bytes: new Uint8Array([71, 73, 70]) },
      { path: 'pets/b/', bytes: new Uint8Array(0) },
    ];
    const s = loadImageFolder(files, { valFraction: 0, testFraction: 0 });
    expect(s.train.count).toBe(6);
    expect(s.warnings).toEqual([
      'pets/README.txt: not a PNG or JPEG file, skipped',
      'pets/b/anim.gif: .gif images are not supported (only PNG and JPEG), skipped',
    ]);
  });

  it('pre-split train/test folders are kept; val is carved from train', () => {
    const files = [...classFolder(['a', 'b'], 10, 'ds/train'), ...classFolder(['a', 'b'], 2, 'ds/test')];
    const s = loadImageFolder(files, { valFraction: 0.2 });
    expect(s.train.classNames).toEqual(['a', 'b']);
    expect([s.train.count, s.val.count, s.test.count]).toEqual([16, 4, 4]);
  });

  it('only one class: "needs at least 2 classes, found only …"', () => {
    expectDataError(
      () => loadImageFolder(classFolder(['cat'], 4)),
      "needs at least 2 classes, found only 'cat'",
    );
    const flat = [0, 1, 2].map((i) => ({ path: `cats/${i}.png`, bytes: grayPng(4, 4, 1) }));
    expectDataError(() => loadImageFolder(flat), "found only 'cats'", 'own sub-folder');
  });

  it('an unreadable image names the file', () => {
    const files = classFolder(['a', 'b'], 3);
    files[4] = { path: files[4].path, bytes: files[4].bytes.subarray(0, 45) };
    expectDataError(() => loadImageFolder(files), files[4].path, 'could not decode');
  });

  it('no images at all; bad options', () => {
    expectDataError(
      () => loadImageFolder([{ path: 'x/notes.txt', bytes: strToU8('x') }]),
      'no PNG or JPEG images',
      '1 file',
    );
    expectDataError(
      () => loadImageFolder([{ path: 'x/a/1.bmp', bytes: new Uint8Array(4) }]),
      '1 .bmp',
      'convert',
    );
    expectDataError(
      () => loadImageFolder(classFolder(['a', 'b'], 2), { valFraction: 0.6, testFraction: 0.5 }),
      'below 1',
    );
    expectDataError(() => loadImageFolder(classFolder(['a', 'b'], 2), { size: [0, 4] }), 'size must be');
  });
});

describe('images: zip archives', () => {
  it('unzips with fflate (macOS clutter and folder entries skipped) and loads the tree', () => {
    const tree: Record<string, Uint8Array> = {
      'shapes/': new Uint8Array(0),
      '__MACOSX/shapes/._x': new Uint8Array([1]),
    };
    for (const f of classFolder(['round', 'square'], 5, 'shapes')) tree[f.path] = f.bytes;
    const zip = zipSync(tree);
    const s = loadImageZip(zip, 'shapes.zip', { seed: 1, valFraction: 0.2, testFraction: 0.2 });
    expect(s.source).toBe('shapes.zip');
    expect(s.train.classNames).toEqual(['round', 'square']);
    expect([s.train.count, s.val.count, s.test.count]).toEqual([6, 2, 2]);
    expect(s.warnings).toEqual([]);
  });

  it('errors name the archive and the inner file', () => {
    expectDataError(() => loadImageZip(strToU8('not a zip'), 'x.zip'), 'x.zip', 'not a zip archive');
    const zip = zipSync({ 'a/1.png': grayPng(4, 4, 1), 'b/1.png': grayPng(4, 4, 1) });
    expectDataError(
      () => loadImageZip(zip.subarray(0, zip.length - 30), 'cut.zip'),
      'cut.zip',
      'could not be read',
    );
    const bad = zipSync({
      'a/1.png': grayPng(4, 4, 1),
      'b/1.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 1, 2, 3]),
    });
    expectDataError(() => loadImageZip(bad, 'bad.zip'), 'bad.zip/b/1.png', 'could not decode');
    const one = zipSync({ 'only/1.png': grayPng(4, 4, 1), 'only/2.png': grayPng(4, 4, 1) });
    expectDataError(() => loadImageZip(one, 'one.zip'), 'one.zip/only', "found only 'only'");
    expectDataError(
      () => loadImageZip(zipSync({ 'x.txt': strToU8('x') }), 'txt.zip'),
      'txt.zip',
      'no PNG or JPEG',
    );
  });
});
