/**
 * Image classification data from a folder tree (or a zip of one): one sub-folder per class, PNG or JPEG
 * files inside.
 *
 *   pets/cat/001.png, pets/cat/002.jpg, pets/dog/001.png …     → classes "cat", "dog" (sorted by name)
 *   pets/train/cat/…, pets/test/cat/…, (pets/val/cat/…)        → the given split is used as is
 *
 * The class is the first path segment under the folder all images share. Images are decoded with
 * fast-png and jpeg-js (pure JS, no Node built-ins), converted to 1 or 3 channels and, when `size` is
 * given, resized; then split into train/val/test, stratified per class and shuffled with a seed.
 *
 * Environment-neutral: takes `{ path, bytes }` entries, never touches the file system (node.ts does).
 */
import { convertIndexedToRgb, decode as decodePng } from 'fast-png';
import { unzipSync } from 'fflate';
import jpeg from 'jpeg-js';
import { baseName, errorText, formatCount, mulberry32, shuffleInPlace } from './bytes';
import { DataError, type ImageSet, type ImageSplits } from './types';

/** One file of the tree: its path relative to anything (a common root is found) and its bytes. */
export interface ImageFile {
  path: string;
  bytes: Uint8Array;
}

export interface ImageFolderOptions {
  /** `[height, width]` every image is resized to. Without it all images must have the same size. */
  size?: [number, number];
  /** 1 (grayscale) or 3 (RGB). Default: 1 when every image is grayscale, else 3. */
  channels?: 1 | 3;
  /** Resampling for `size`: bilinear (default; box-averages first when shrinking more than 2×) or nearest. */
  resize?: 'bilinear' | 'nearest';
  /** Fraction of each class for validation (default 0.1) and test (default 0.1), when not pre-split. */
  valFraction?: number;
  testFraction?: number;
  /** Seed of the split and of the order within each split (default 0). Same seed → same split. */
  seed?: number;
  /** Where the data came from, for run records. */
  source?: string;
}

/** A decoded image, reduced to gray (1 channel) or RGB (3 channels), bytes 0–255, channels last. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;
const UNSUPPORTED_IMAGE_EXT = /\.(gif|bmp|webp|tiff?|heic|heif|avif|svg|ico|jp2|psd)$/i;
/** Folder names that mean "this tree is already split". */
const SPLIT_DIRS: Record<string, 'train' | 'val' | 'test'> = {
  train: 'train',
  training: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  test: 'test',
  testing: 'test',
};

/** Files that operating systems and archivers leave around; skipped without a word. */
function isJunk(segments: string[]): boolean {
  const base = segments[segments.length - 1] ?? '';
  return (
    segments.some((s) => s.startsWith('.') || s === '__MACOSX') ||
    /^(thumbs\.db|desktop\.ini)$/i.test(base) ||
    base === ''
  );
}

function splitPath(path: string): string[] {
  return path
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.');
}

// ------------------------------------------------------------------------------------------------
// Decoding
// ------------------------------------------------------------------------------------------------

const isPngBytes = (b: Uint8Array) =>
  b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpegBytes = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/**
 * Reduces interleaved 8-bit pixels with `n` channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) to gray or RGB.
 * Alpha is composited over black (transparent → 0), the usual background of digit/shape datasets.
 */
function reduceChannels(
  src: ArrayLike<number>,
  pixels: number,
  n: number,
  width: number,
  height: number,
): DecodedImage {
  const hasAlpha = n === 2 || n === 4;
  const colour = n >= 3;
  const out = new Uint8Array(pixels * (colour ? 3 : 1));
  for (let p = 0; p < pixels; p++) {
    const a = hasAlpha ? src[p * n + n - 1] / 255 : 1;
    if (colour) {
      out[p * 3] = Math.round(src[p * n] * a);
      out[p * 3 + 1] = Math.round(src[p * n + 1] * a);
      out[p * 3 + 2] = Math.round(src[p * n + 2] * a);
    } else {
      out[p] = Math.round(src[p * n] * a);
    }
  }
  return { width, height, channels: colour ? 3 : 1, data: out };
}

/** Largest image we decode (pixels); a damaged header could otherwise ask for gigabytes. */
const MAX_PIXELS = 100_000_000;

function decodePngImage(bytes: Uint8Array): DecodedImage {
  // IHDR is the first chunk: width and height are big-endian uint32 at bytes 16 and 20.
  if (bytes.length >= 24) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const w = dv.getUint32(16);
    const h = dv.getUint32(20);
    if (w * h > MAX_PIXELS)
      throw new Error(`the header claims ${w}×${h} pixels, more than the limit of 100 megapixels`);
  }
  const png = decodePng(bytes);
  const { width, height, depth } = png;
  const pixels = width * height;
  if (png.palette) {
    // Indexed colour: expand through the palette (entries are RGB or RGBA).
    const rgb = convertIndexedToRgb(png);
    return reduceChannels(rgb, pixels, png.palette[0]?.length ?? 3, width, height);
  }
  let src: ArrayLike<number>;
  if (depth === 16) {
    const d16 = png.data as Uint16Array;
    const d8 = new Uint8Array(d16.length);
    for (let i = 0; i < d16.length; i++) d8[i] = d16[i] >> 8;
    src = d8;
  } else if (depth < 8) {
    // Grayscale with 1, 2 or 4 bits per pixel: rows are packed and padded to whole bytes.
    const packed = png.data as Uint8Array;
    const rowBytes = Math.ceil((width * depth) / 8);
    const max = (1 << depth) - 1;
    const d8 = new Uint8Array(pixels);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = x * depth;
        const byte = packed[y * rowBytes + (bit >> 3)];
        const v = (byte >> (8 - depth - (bit & 7))) & max;
        d8[y * width + x] = Math.round((v * 255) / max);
      }
    }
    src = d8;
  } else {
    src = png.data;
  }
  if (src.length < pixels * png.channels) throw new Error('pixel data is shorter than the image size');
  return reduceChannels(src, pixels, png.channels, width, height);
}

function decodeJpegImage(bytes: Uint8Array): DecodedImage {
  const img = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    tolerantDecoding: false,
    maxResolutionInMP: MAX_PIXELS / 1e6,
  });
  const { width, height, data } = img;
  if (!width || !height) throw new Error('the image has no pixels');
  // jpeg-js always returns RGB; a grayscale JPEG has R = G = B everywhere, keep it as 1 channel.
  let gray = true;
  for (let i = 0; i < data.length; i += 3) {
    if (data[i] !== data[i + 1] || data[i] !== data[i + 2]) {
      gray = false;
      break;
    }
  }
  if (!gray) return { width, height, channels: 3, data };
  const out = new Uint8Array(width * height);
  for (let p = 0; p < out.length; p++) out[p] = data[p * 3];
  return { width, height, channels: 1, data: out };
}

/**
 * Decodes a PNG or JPEG (recognised by its first bytes, whatever the extension says) into gray or RGB.
 * DataError naming `path` when the bytes are neither or the image is damaged.
 */
export function decodeImage(bytes: Uint8Array, path: string): DecodedImage {
  const png = isPngBytes(bytes);
  const jpg = isJpegBytes(bytes);
  if (!png && !jpg) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(
      `not a PNG or JPEG image (the file starts with ${head || 'nothing: it is empty'}). ` +
        'Remove it from the folder or convert it to PNG.',
      path,
      'byte 0',
    );
  }
  try {
    const img = png ? decodePngImage(bytes) : decodeJpegImage(bytes);
    if (img.width < 1 || img.height < 1) throw new Error('the image has no pixels');
    return img;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(
      `could not decode this ${png ? 'PNG' : 'JPEG'} image (${errorText(e)}); it is damaged or truncated. ` +
        'Open it in an image viewer, re-save it, or remove it.',
      path,
    );
  }
}

// ------------------------------------------------------------------------------------------------
// Resizing and channel conversion
// ------------------------------------------------------------------------------------------------

/** Averages k×k blocks (integer shrink), the cheap anti-aliasing step before a large downscale. */
function boxShrink(img: DecodedImage, k: number): DecodedImage {
  const c = img.channels;
  const w = Math.max(1, Math.floor(img.width / k));
  const h = Math.max(1, Math.floor(img.height / k));
  const out = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        let n = 0;
        for (let dy = 0; dy < k && y * k + dy < img.height; dy++) {
          for (let dx = 0; dx < k && x * k + dx < img.width; dx++) {
            sum += img.data[((y * k + dy) * img.width + x * k + dx) * c + ch];
            n++;
          }
        }
        out[(y * w + x) * c + ch] = Math.round(sum / n);
      }
    }
  }
  return { width: w, height: h, channels: img.channels, data: out };
}

/** Resizes to `[h, w]` with pixel-centre alignment (like PIL / tf.image with half_pixel_centers). */
export function resizeImage(
  img: DecodedImage,
  h: number,
  w: number,
  mode: 'bilinear' | 'nearest',
): DecodedImage {
  if (img.width === w && img.height === h) return img;
  if (mode === 'bilinear') {
    const k = Math.floor(Math.min(img.width / w, img.height / h) / 2);
    if (k >= 2) img = boxShrink(img, k);
  }
  const c = img.channels;
  const sx = img.width / w;
  const sy = img.height / h;
  const out = new Uint8Array(w * h * c);
  const src = img.data;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    const ny = Math.min(Math.floor((y + 0.5) * sy), img.height - 1);
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let v: number;
        if (mode === 'nearest') {
          const nx = Math.min(Math.floor((x + 0.5) * sx), img.width - 1);
          v = src[(ny * img.width + nx) * c + ch];
        } else {
          const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
          const x0 = Math.floor(fx);
          const x1 = Math.min(x0 + 1, img.width - 1);
          const wx = fx - x0;
          const top =
            src[(y0 * img.width + x0) * c + ch] * (1 - wx) + src[(y0 * img.width + x1) * c + ch] * wx;
          const bot =
            src[(y1 * img.width + x0) * c + ch] * (1 - wx) + src[(y1 * img.width + x1) * c + ch] * wx;
          v = top * (1 - wy) + bot * wy;
        }
        out[(y * w + x) * c + ch] = Math.round(v);
      }
    }
  }
  return { width: w, height: h, channels: img.channels, data: out };
}

/** Writes `img` into `dst` at `offset` with `c` channels (gray → RGB repeats; RGB → gray uses BT.601 luma). */
function writeChannels(img: DecodedImage, c: 1 | 3, dst: Uint8Array, offset: number): void {
  const n = img.width * img.height;
  const s = img.data;
  if (img.channels === c) {
    dst.set(s, offset);
  } else if (c === 3) {
    for (let p = 0; p < n; p++)
      dst[offset + p * 3] = dst[offset + p * 3 + 1] = dst[offset + p * 3 + 2] = s[p];
  } else {
    for (let p = 0; p < n; p++) {
      dst[offset + p] = Math.round(0.299 * s[p * 3] + 0.587 * s[p * 3 + 1] + 0.114 * s[p * 3 + 2]);
    }
  }
}

/**
 * One image file as a model input: decoded, resized (bilinear) to `[H, W]` and converted to `C` channels
 * (1 or 3), as bytes 0–255, `H·W·C` long, channels last. Used to predict on a single PNG/JPEG.
 */
export function imageToInput(bytes: Uint8Array, name: string, shape: [number, number, number]): Uint8Array {
  const [h, w, c] = shape;
  if (c !== 1 && c !== 3) {
    throw new DataError(
      `the model expects ${c} channels per pixel; images can feed 1 (gray) or 3 (RGB).`,
      name,
    );
  }
  const img = resizeImage(decodeImage(bytes, name), h, w, 'bilinear');
  const out = new Uint8Array(h * w * c);
  writeChannels(img, c, out, 0);
  return out;
}

// ------------------------------------------------------------------------------------------------
// Folder layout, split, assembly
// ------------------------------------------------------------------------------------------------

interface Entry {
  path: string;
  bytes: Uint8Array;
  label: string;
  /** The split the folder tree gives, if it is pre-split (train/val/test folders). */
  split?: 'train' | 'val' | 'test';
}

/** Sorts files into images (with their class) and warnings; DataError when the layout has no classes. */
function layout(files: ImageFile[], source?: string): { entries: Entry[]; warnings: string[]; root: string } {
  const warnings: string[] = [];
  const images: { path: string; bytes: Uint8Array; segs: string[] }[] = [];
  const unsupported = new Map<string, number>();
  for (const f of files) {
    const segs = splitPath(f.path);
    // Folder entries (zip archives list them as "cat/") and OS clutter are skipped silently.
    if (/[\\/]$/.test(f.path) || isJunk(segs)) continue;
    const base = segs[segs.length - 1];
    if (IMAGE_EXT.test(base)) {
      images.push({ path: f.path, bytes: f.bytes, segs });
    } else if (UNSUPPORTED_IMAGE_EXT.test(base)) {
      const ext = base.slice(base.lastIndexOf('.')).toLowerCase();
      unsupported.set(ext, (unsupported.get(ext) ?? 0) + 1);
      warnings.push(`${f.path}: ${ext} images are not supported (only PNG and JPEG), skipped`);
    } else {
      warnings.push(`${f.path}: not a PNG or JPEG file, skipped`);
    }
  }
  if (images.length === 0) {
    const hint = unsupported.size
      ? ` Found ${[...unsupported].map(([e, n]) => `${n} ${e}`).join(', ')} file(s): convert them to PNG or JPEG.`
      : '';
    throw new DataError(
      `no PNG or JPEG images found among ${formatCount(files.length)} file(s). Expected one folder per class ` +
        `with images inside (e.g. cat/001.png, dog/001.jpg).${hint}`,
      source,
    );
  }
  // Common root: the folders every image lies under.
  let root = images[0].segs.slice(0, -1);
  for (const im of images) {
    let k = 0;
    while (k < root.length && k < im.segs.length - 1 && root[k] === im.segs[k]) k++;
    root = root.slice(0, k);
  }
  const rel = images.map((im) => ({ ...im, rel: im.segs.slice(root.length) }));
  const inFolders = rel.filter((r) => r.rel.length >= 2);
  if (inFolders.length === 0) {
    const name = root.length ? root[root.length - 1] : '(top folder)';
    throw new DataError(
      `needs at least 2 classes, found only '${name}': all ${formatCount(images.length)} images are in one ` +
        'folder. Put each class in its own sub-folder (e.g. cat/…, dog/…).',
      root.join('/') || source,
    );
  }
  for (const r of rel) {
    if (r.rel.length < 2) warnings.push(`${r.path}: not inside a class folder, skipped`);
  }
  // Pre-split tree: every top folder is train/val/test and holds class folders.
  const preSplit =
    inFolders.every((r) => SPLIT_DIRS[r.rel[0].toLowerCase()] !== undefined && r.rel.length >= 3) &&
    inFolders.some((r) => SPLIT_DIRS[r.rel[0].toLowerCase()] === 'train');
  const entries: Entry[] = inFolders.map((r) =>
    preSplit
      ? { path: r.path, bytes: r.bytes, label: r.rel[1], split: SPLIT_DIRS[r.rel[0].toLowerCase()] }
      : { path: r.path, bytes: r.bytes, label: r.rel[0] },
  );
  // Sort by path: the result must not depend on the order a file system or archive lists files.
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { entries, warnings, root: root.join('/') };
}

function checkFraction(name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 1) {
    throw new DataError(`${name} must be a number from 0 up to (not including) 1, got ${v}.`);
  }
}

/**
 * Stratified split of entry indices: per class, a seeded shuffle, then `round(n·test)` to test and
 * `round(n·val)` to val (at least one image of each class stays in train).
 */
function stratifiedSplit(
  indices: number[],
  labelOf: (i: number) => number,
  valFraction: number,
  testFraction: number,
  random: () => number,
): { train: number[]; val: number[]; test: number[] } {
  const byClass = new Map<number, number[]>();
  for (const i of indices) {
    const l = labelOf(i);
    const list = byClass.get(l);
    if (list) list.push(i);
    else byClass.set(l, [i]);
  }
  const out = { train: [] as number[], val: [] as number[], test: [] as number[] };
  for (const l of [...byClass.keys()].sort((a, b) => a - b)) {
    const list = shuffleInPlace(byClass.get(l)!, random);
    const n = list.length;
    let nTest = Math.round(n * testFraction);
    let nVal = Math.round(n * valFraction);
    while (nTest + nVal > n - 1 && nTest + nVal > 0) {
      if (nVal >= nTest && nVal > 0) nVal--;
      else nTest--;
    }
    // concat, not push(...): spreading 100k+ indices would overflow the argument limit.
    out.test = out.test.concat(list.slice(0, nTest));
    out.val = out.val.concat(list.slice(nTest, nTest + nVal));
    out.train = out.train.concat(list.slice(nTest + nVal));
  }
  return out;
}

/**
 * Loads an image-classification data set from files laid out one folder per class (or pre-split into
 * train/val/test folders). Returns the splits plus `warnings` for files that were skipped.
 */
export function loadImageFolder(files: ImageFile[], opts: ImageFolderOptions = {}): ImageSplits {
  const valFraction = opts.valFraction ?? 0.1;
  const testFraction = opts.testFraction ?? 0.1;
  checkFraction('valFraction', valFraction);
  checkFraction('testFraction', testFraction);
  if (valFraction + testFraction >= 1) {
    throw new DataError(
      `valFraction + testFraction must be below 1 (train needs images), got ${valFraction + testFraction}.`,
    );
  }
  if (opts.channels !== undefined && opts.channels !== 1 && opts.channels !== 3) {
    throw new DataError(`channels must be 1 (grayscale) or 3 (RGB), got ${String(opts.channels)}.`);
  }
  if (opts.size !== undefined) {
    const [h, w] = opts.size;
    if (![h, w].every((v) => Number.isInteger(v) && v >= 1 && v <= 4096)) {
      throw new DataError(
        `size must be [height, width] in whole pixels from 1 to 4096, got [${opts.size.join(', ')}].`,
      );
    }
  }

  const { entries, warnings, root } = layout(files, opts.source);
  const classNames = [...new Set(entries.map((e) => e.label))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (classNames.length < 2) {
    throw new DataError(
      `needs at least 2 classes, found only '${classNames[0]}'. Put each class in its own sub-folder ` +
        '(e.g. cat/…, dog/…) next to each other.',
      root || opts.source,
    );
  }
  const labelIndex = new Map(classNames.map((n, i) => [n, i]));

  // Decode every image once, reduced to gray/RGB and (when asked) resized, so memory stays near the output.
  const mode = opts.resize ?? 'bilinear';
  const decoded: DecodedImage[] = entries.map((e) => {
    const img = decodeImage(e.bytes, e.path);
    return opts.size ? resizeImage(img, opts.size[0], opts.size[1], mode) : img;
  });
  const channels: 1 | 3 = opts.channels ?? (decoded.every((d) => d.channels === 1) ? 1 : 3);
  const H = decoded[0].height;
  const W = decoded[0].width;
  for (let i = 1; i < decoded.length; i++) {
    if (decoded[i].height !== H || decoded[i].width !== W) {
      throw new DataError(
        `images have different sizes: ${entries[0].path} is ${W}×${H} (width×height) but this one is ` +
          `${decoded[i].width}×${decoded[i].height}. Pass a size (e.g. size: [${H}, ${W}]) to resize them all.`,
        entries[i].path,
      );
    }
  }

  // Split: given by the folders, or stratified and seeded; missing val/test are carved from train.
  const random = mulberry32(opts.seed ?? 0);
  const labelOf = (i: number) => labelIndex.get(entries[i].label)!;
  const all = entries.map((_, i) => i);
  let parts: { train: number[]; val: number[]; test: number[] };
  if (entries.some((e) => e.split)) {
    const given = { train: [] as number[], val: [] as number[], test: [] as number[] };
    for (const i of all) given[entries[i].split!].push(i);
    const carved = stratifiedSplit(
      given.train,
      labelOf,
      given.val.length ? 0 : valFraction,
      given.test.length ? 0 : testFraction,
      random,
    );
    parts = {
      train: carved.train,
      val: given.val.length ? given.val : carved.val,
      test: given.test.length ? given.test : carved.test,
    };
    const trainClasses = new Set(parts.train.map(labelOf));
    for (const s of ['val', 'test'] as const) {
      const stray = parts[s].find((i) => !trainClasses.has(labelOf(i)));
      if (stray !== undefined) {
        throw new DataError(
          `class '${entries[stray].label}' has images in ${s} but none in train; every class needs train images.`,
          entries[stray].path,
        );
      }
    }
  } else {
    parts = stratifiedSplit(all, labelOf, valFraction, testFraction, random);
  }

  const per = H * W * channels;
  const build = (idx: number[]): ImageSet => {
    shuffleInPlace(idx, random);
    const pixels = new Uint8Array(idx.length * per);
    const labels = new Int32Array(idx.length);
    idx.forEach((i, k) => {
      writeChannels(decoded[i], channels, pixels, k * per);
      labels[k] = labelOf(i);
    });
    return {
      kind: 'images',
      shape: [H, W, channels],
      pixels,
      labels,
      count: idx.length,
      classNames: classNames.slice(),
    };
  };
  return {
    kind: 'images',
    train: build(parts.train),
    val: build(parts.val),
    test: build(parts.test),
    source: opts.source ?? 'image folder',
    warnings,
  };
}

/** Loads an image folder packed as a zip archive (unpacked in memory with fflate). */
export function loadImageZip(bytes: Uint8Array, name: string, opts: ImageFolderOptions = {}): ImageSplits {
  const isZip =
    bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
  if (!isZip) {
    throw new DataError(
      'not a zip archive (it does not start with "PK"). Expected a .zip of class folders.',
      name,
      'byte 0',
    );
  }
  let unpacked: Record<string, Uint8Array>;
  try {
    // The filter skips macOS/hidden entries before they are even decompressed.
    unpacked = unzipSync(bytes, { filter: (f) => !f.name.endsWith('/') && !isJunk(splitPath(f.name)) });
  } catch (e) {
    throw new DataError(
      `the zip archive could not be read (${errorText(e)}); it may be truncated or use an unsupported ` +
        'compression method. Re-create it with a standard zip tool (deflate).',
      name,
    );
  }
  // Paths are shown as `archive.zip/inner/path` in messages; the common root absorbs the prefix.
  const prefix = baseName(name);
  const files = Object.entries(unpacked).map(([path, b]) => ({ path: `${prefix}/${path}`, bytes: b }));
  return loadImageFolder(files, { ...opts, source: opts.source ?? prefix });
}
