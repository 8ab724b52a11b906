/**
 * IDX files: the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/).
 *
 * Layout (all integers big-endian):
 *   bytes 0–3   magic: 0x00 0x00, a type code (0x08 = unsigned byte), the number of dimensions
 *               → images `0x00000803` (3 dims: count, rows, cols), labels `0x00000801` (1 dim: count)
 *   then        one uint32 per dimension
 *   then        the data, one byte per value, row-major
 * Files are often gzipped; we detect that from the first two bytes (1f 8b), not the name.
 *
 * Environment-neutral: bytes in, typed arrays out. The Node adapter (node.ts) reads the files.
 */
import { baseName, formatCount, gunzipIfNeeded } from './bytes';
import { DataError, type ImageSet, type ImageSplits } from './types';

/** A parsed IDX file: its dimensions and its values (one byte each, row-major). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
  /** Whether the file was gzipped (byte offsets in messages then count in the unpacked data). */
  gzipped: boolean;
}

/** Which IDX file a caller expects; decides the magic number that is accepted. */
export type IdxKind = 'images' | 'labels';

const MAGIC: Record<IdxKind, number> = { images: 0x00000803, labels: 0x00000801 };

/** The class names of Fashion-MNIST, in label order (from the dataset's README). */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

/**
 * Parses one IDX file (raw or gzipped). With `expect`, the magic number must be the one of images
 * (0x00000803) or labels (0x00000801); without it any unsigned-byte IDX file with 1–4 dimensions is read.
 * Byte offsets in error messages count from the start of the unpacked data.
 */
export function parseIdx(bytes: Uint8Array, name: string, expect?: IdxKind): IdxArray {
  const unpacked = gunzipIfNeeded(bytes, name);
  const b = unpacked.bytes;
  const where = (offset: number) => `byte ${offset}${unpacked.gzipped ? ' (after gunzip)' : ''}`;
  const what = expect ? `an IDX ${expect} file` : 'an IDX file';

  if (b.length < 4) {
    throw new DataError(
      `the file is only ${b.length} bytes long; ${what} starts with a 4-byte magic number` +
        (expect ? ` (${hex32(MAGIC[expect])})` : '') +
        '.',
      name,
      where(0),
    );
  }
  const magic = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const nDims = b[3];
  const magicOk = expect ? magic === MAGIC[expect] : b[0] === 0 && b[1] === 0 && b[2] === 0x08;
  if (!magicOk) {
    const expected = expect
      ? `${hex32(MAGIC[expect])} for ${expect}` +
        ` (${expect === 'images' ? `labels use ${hex32(MAGIC.labels)}` : `images use ${hex32(MAGIC.images)}`})`
      : '0x000008NN (unsigned bytes, NN dimensions)';
    const swapped =
      expect && magic === MAGIC[expect === 'images' ? 'labels' : 'images']
        ? ` This looks like a ${expect === 'images' ? 'labels' : 'images'} file: are the file names swapped?`
        : '';
    throw new DataError(
      `wrong magic number ${hex32(magic)}, expected ${expected}; this is not ${what}.${swapped}`,
      name,
      where(0),
    );
  }
  if (nDims < 1 || nDims > 4) {
    throw new DataError(`the magic number says ${nDims} dimensions; expected 1 to 4.`, name, where(3));
  }
  const headerLength = 4 + 4 * nDims;
  if (b.length < headerLength) {
    throw new DataError(
      `the file ends inside the header: ${nDims} dimension sizes need ${headerLength} bytes, the file has ${b.length}.`,
      name,
      where(b.length),
    );
  }
  const dims: number[] = [];
  let total = 1;
  for (let i = 0; i < nDims; i++) {
    const o = 4 + 4 * i;
    const d = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
    dims.push(d);
    total *= d;
  }
  const expectedLength = headerLength + total;
  if (b.length < expectedLength) {
    throw new DataError(
      `truncated data: the header says ${dims.join(' × ')} = ${formatCount(total)} bytes of data ` +
        `(file length ${formatCount(expectedLength)}), but the file has only ${formatCount(b.length)} bytes ` +
        `and ends at ${where(b.length)}. Download the file again.`,
      name,
      where(b.length),
    );
  }
  if (b.length > expectedLength) {
    throw new DataError(
      `${formatCount(b.length - expectedLength)} unexpected bytes after the data: the header says ` +
        `${dims.join(' × ')} values, which end at ${where(expectedLength)}. The file may be damaged or not IDX.`,
      name,
      where(expectedLength),
    );
  }
  return { dims, data: b.subarray(headerLength, expectedLength), gzipped: unpacked.gzipped };
}

/** A file handed to the loaders: its name (or path) and its bytes. */
export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

export interface IdxSplitOptions {
  /** Images carved from the END of train for validation. Default: 5000, or 10% of train if smaller. */
  valSize?: number;
  /** Where the data came from, for run records; also hints the class names ("fashion-mnist"). */
  source?: string;
  /** Number of classes; labels must be below it. Default: the largest train label + 1. */
  numClasses?: number;
  /** Class names in label order; default: Fashion-MNIST names when the source hints it, else '0', '1', … */
  classNames?: string[];
}

/** The role of each of the four files and the names we accept for it. */
const ROLES = [
  { key: 'trainImages', prefixes: ['train-images'] },
  { key: 'trainLabels', prefixes: ['train-labels'] },
  { key: 'testImages', prefixes: ['t10k-images', 'test-images'] },
  { key: 'testLabels', prefixes: ['t10k-labels', 'test-labels'] },
] as const;
type Role = (typeof ROLES)[number]['key'];

/** True when a file name looks like one of the four IDX files (used by the Node adapter to sniff folders). */
export function isIdxFileName(name: string): boolean {
  const base = baseName(name).toLowerCase();
  return ROLES.some((r) => r.prefixes.some((p) => base.startsWith(p)));
}

function pickFiles(files: NamedBytes[]): Record<Role, NamedBytes> {
  const picked: Partial<Record<Role, NamedBytes>> = {};
  const missing: string[] = [];
  for (const role of ROLES) {
    const matches = files.filter((f) => {
      const base = baseName(f.name).toLowerCase();
      return role.prefixes.some((p) => base.startsWith(p));
    });
    if (matches.length === 0) {
      missing.push(role.prefixes.map((p) => `${p}*`).join(' or '));
      continue;
    }
    // Folders sometimes hold both `x.gz` and the unpacked `x`: they are the same data, take the raw one.
    const raw = matches.filter((f) => !/\.gz$/i.test(f.name));
    const candidates = raw.length > 0 ? raw : matches;
    if (candidates.length > 1) {
      throw new DataError(
        `several files could be the ${role.prefixes[0]} file: ${candidates.map((f) => f.name).join(', ')}. ` +
          'Keep only one of them.',
        candidates[0].name,
      );
    }
    picked[role.key] = candidates[0];
  }
  if (missing.length > 0) {
    const found = files.length ? files.map((f) => baseName(f.name)).join(', ') : 'none';
    throw new DataError(
      `missing IDX file(s): expected ${missing.join(', ')} (optionally .gz), as in the MNIST / Fashion-MNIST ` +
        `release. Files given: ${found}.`,
    );
  }
  return picked as Record<Role, NamedBytes>;
}

/** Checks image/label counts and label range; returns the labels as int32. */
function checkLabels(
  images: IdxArray,
  labels: IdxArray,
  imageFile: string,
  labelFile: string,
  numClasses: number | undefined,
): Int32Array {
  if (images.dims[0] !== labels.dims[0]) {
    throw new DataError(
      `mismatched counts: ${imageFile} has ${formatCount(images.dims[0])} images but ${labelFile} has ` +
        `${formatCount(labels.dims[0])} labels (count at byte 4 of each). They must come from the same release.`,
      labelFile,
      'byte 4',
    );
  }
  const out = new Int32Array(labels.data.length);
  for (let i = 0; i < labels.data.length; i++) {
    const v = labels.data[i];
    if (numClasses !== undefined && v >= numClasses) {
      throw new DataError(
        `label ${v} of image ${i} is out of range: expected 0 to ${numClasses - 1} (${numClasses} classes` +
          ' as in the train labels or the numClasses option).',
        labelFile,
        `byte ${8 + i}${labels.gzipped ? ' (after gunzip)' : ''}`,
      );
    }
    out[i] = v;
  }
  return out;
}

function defaultClassNames(n: number, hint: string): string[] {
  if (n === 10 && /fashion/i.test(hint)) return FASHION_MNIST_CLASSES.slice();
  return Array.from({ length: n }, (_, i) => String(i));
}

/**
 * Builds train/val/test image sets from the four IDX files of an MNIST-style release. Validation is
 * the LAST `valSize` train images (the usual convention); test is the t10k/test file as released.
 */
export function loadIdxSplits(files: NamedBytes[], opts: IdxSplitOptions = {}): ImageSplits {
  const f = pickFiles(files);
  const trainImages = parseIdx(f.trainImages.bytes, f.trainImages.name, 'images');
  const trainLabelsRaw = parseIdx(f.trainLabels.bytes, f.trainLabels.name, 'labels');
  const testImages = parseIdx(f.testImages.bytes, f.testImages.name, 'images');
  const testLabelsRaw = parseIdx(f.testLabels.bytes, f.testLabels.name, 'labels');

  const [, rows, cols] = trainImages.dims;
  if (testImages.dims[1] !== rows || testImages.dims[2] !== cols) {
    throw new DataError(
      `test images are ${testImages.dims[1]}×${testImages.dims[2]} but train images are ${rows}×${cols}; ` +
        'both files must have the same image size.',
      f.testImages.name,
      'byte 8',
    );
  }
  if (opts.numClasses !== undefined && (!Number.isInteger(opts.numClasses) || opts.numClasses < 2)) {
    throw new DataError(`numClasses must be an integer ≥ 2, got ${opts.numClasses}.`);
  }
  let numClasses = opts.numClasses;
  if (numClasses === undefined) {
    let max = 0;
    for (const v of trainLabelsRaw.data) if (v > max) max = v;
    numClasses = max + 1;
  }
  const trainLabels = checkLabels(
    trainImages,
    trainLabelsRaw,
    f.trainImages.name,
    f.trainLabels.name,
    numClasses,
  );
  const testLabels = checkLabels(testImages, testLabelsRaw, f.testImages.name, f.testLabels.name, numClasses);
  if (numClasses < 2) {
    throw new DataError(`every train label is 0; a classifier needs at least 2 classes.`, f.trainLabels.name);
  }

  const n = trainImages.dims[0];
  const valSize = opts.valSize ?? Math.min(5000, Math.floor(n / 10));
  if (!Number.isInteger(valSize) || valSize < 0 || valSize >= n) {
    throw new DataError(
      `valSize must be a whole number from 0 to ${n - 1} (train has ${formatCount(n)} images), got ${valSize}.`,
      f.trainImages.name,
    );
  }

  const hint = [opts.source ?? '', ...files.map((x) => x.name)].join(' ');
  const classNames = opts.classNames ?? defaultClassNames(numClasses, hint);
  if (classNames.length !== numClasses) {
    throw new DataError(
      `classNames has ${classNames.length} names, but the labels have ${numClasses} classes.`,
    );
  }
  const per = rows * cols;
  // Copies (slice), not views: each set owns its buffer, so one can be transferred to a worker alone.
  const set = (px: Uint8Array, labels: Int32Array, from: number, to: number): ImageSet => ({
    kind: 'images',
    shape: [rows, cols, 1],
    pixels: px.slice(from * per, to * per),
    labels: labels.slice(from, to),
    count: to - from,
    classNames: classNames.slice(),
  });
  return {
    kind: 'images',
    train: set(trainImages.data, trainLabels, 0, n - valSize),
    val: set(trainImages.data, trainLabels, n - valSize, n),
    test: set(testImages.data, testLabels, 0, testImages.dims[0]),
    source: opts.source ?? 'IDX files',
  };
}
