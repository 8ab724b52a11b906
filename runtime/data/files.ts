/**
 * Browser-side dispatch of uploaded files to the loaders: the studio's counterpart of `node.ts`. It sees
 * names (with folder paths when a folder was dropped or picked) and bytes, never the file system, so it runs
 * unchanged in a Web Worker and in Node tests.
 *
 *   one .zip                                     → loadImageZip
 *   IDX files (train-images*, t10k-labels*, …)   → loadIdxSplits
 *   one .csv / .tsv / .txt (optionally .gz)       → parseSeriesCsv
 *   PNG/JPEG files under class folders            → loadImageFolder
 */
import { formatCount } from './bytes';
import { parseSeriesCsv, type SeriesCsvOptions } from './csv';
import { isIdxFileName, loadIdxSplits, type IdxSplitOptions } from './idx';
import { loadImageFolder, loadImageZip, type ImageFolderOptions } from './images';
import { DataError, type DataSplits } from './types';

/** Largest upload the studio reads: more would not fit comfortably in a browser tab's memory. */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

export type LoadFilesOptions = SeriesCsvOptions & IdxSplitOptions & ImageFolderOptions;

export interface NamedFile {
  /** The path as the user sees it: `fashion/train-images-idx3-ubyte.gz`, `shapes/circle/001.png`. */
  path: string;
  bytes: Uint8Array;
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;
const CSV_EXT = /\.(csv|tsv|txt)(\.gz)?$/i;
const ZIP_EXT = /\.zip$/i;

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;

/**
 * Refuses an upload by its sizes alone, before any byte is read: each file and the total must stay under
 * `limit`. Throws a DataError naming the file.
 */
export function checkUploadSizes(
  files: readonly { path: string; size: number }[],
  limit = MAX_UPLOAD_BYTES,
): void {
  if (files.length === 0) throw new DataError('no files were given.');
  for (const f of files) {
    if (f.size > limit) {
      throw new DataError(
        `is ${mib(f.size)}, over the studio's limit of ${mib(limit)} per upload. Use a slice of the data in ` +
          'the studio, or train on the full file with `heracles train`.',
        f.path,
      );
    }
  }
  const total = files.reduce((s, f) => s + f.size, 0);
  if (total > limit) {
    throw new DataError(
      `these ${formatCount(files.length)} files add up to ${mib(total)}, over the studio's limit of ` +
        `${mib(limit)} per upload.`,
    );
  }
}

/** Loads uploaded files as one data set; every problem is a DataError naming the file. */
export function loadFiles(files: readonly NamedFile[], opts: LoadFilesOptions = {}): DataSplits {
  if (files.length === 0) throw new DataError('no files were given.');
  const zips = files.filter((f) => ZIP_EXT.test(f.path));
  if (zips.length > 0) {
    if (files.length > 1) {
      throw new DataError(
        `drop one .zip of class folders on its own (got ${files.length} files: ` +
          `${files
            .slice(0, 4)
            .map((f) => f.path)
            .join(', ')}${files.length > 4 ? ', …' : ''}).`,
      );
    }
    return loadImageZip(zips[0].bytes, zips[0].path, opts);
  }
  const idx = files.filter((f) => isIdxFileName(f.path));
  if (idx.length > 0) {
    const folder = commonFolder(idx.map((f) => f.path));
    return loadIdxSplits(
      idx.map((f) => ({ name: f.path, bytes: f.bytes })),
      { ...opts, source: opts.source ?? `${folder || idx[0].path} (IDX)` },
    );
  }
  const csvs = files.filter((f) => CSV_EXT.test(f.path));
  if (csvs.length > 0) {
    if (csvs.length > 1) {
      throw new DataError(
        `one series at a time: got ${csvs.length} CSV files (${csvs
          .slice(0, 4)
          .map((f) => f.path)
          .join(', ')}). Drop just one.`,
      );
    }
    return parseSeriesCsv(csvs[0].bytes, csvs[0].path, opts);
  }
  if (files.some((f) => IMAGE_EXT.test(f.path))) {
    const folder = commonFolder(files.map((f) => f.path));
    return loadImageFolder(
      files.map((f) => ({ path: f.path, bytes: f.bytes })),
      { ...opts, source: opts.source ?? `${folder || 'images'} (images)` },
    );
  }
  throw new DataError(
    `unknown kind of data (${files
      .slice(0, 4)
      .map((f) => f.path)
      .join(', ')}${files.length > 4 ? ', …' : ''}): expected a .csv / .csv.gz series, a .zip of class ` +
      'folders, the four IDX files (train-images, train-labels, t10k-images, t10k-labels), or a folder of ' +
      'class folders with PNG/JPEG images.',
  );
}

/** The first folder all paths share (`fashion` for `fashion/a`, `fashion/b`), or ''. */
function commonFolder(paths: string[]): string {
  const first = paths[0].split('/');
  if (first.length < 2) return '';
  const top = first[0];
  return paths.every((p) => p.startsWith(`${top}/`)) ? top : '';
}
