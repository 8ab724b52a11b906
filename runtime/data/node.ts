/**
 * Node adapter for the data loaders: reads a path from disk and hands the bytes to the
 * environment-neutral loaders. This is the ONLY file of runtime/data that uses Node built-ins; the
 * browser reads files with the File API and calls the same loaders.
 *
 *   a folder with train-images* / train-labels* / t10k-* (or test-*) IDX files → loadIdxSplits
 *   a folder of class folders with PNG/JPEG images                               → loadImageFolder
 *   a .zip of class folders                                                      → loadImageZip
 *   a .csv or .csv.gz (any gzip, detected from the bytes)                        → parseSeriesCsv
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseSeriesCsv, type SeriesCsvOptions } from './csv';
import { isIdxFileName, loadIdxSplits, type IdxSplitOptions } from './idx';
import { loadImageFolder, loadImageZip, type ImageFile, type ImageFolderOptions } from './images';
import { DataError, type DataSplits } from './types';

/** Options of every loader; each loader reads the ones that concern it. */
export type LoadDataOptions = SeriesCsvOptions & IdxSplitOptions & ImageFolderOptions;

const IMAGE_EXT = /\.(png|jpe?g)$/i;
const CSV_EXT = /\.(csv|tsv|txt)(\.gz)?$/i;

/** Every file under `dir` (not following hidden folders or __MACOSX), as paths relative to `dir`. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === '__MACOSX') continue;
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, child)));
    else if (e.isFile()) out.push(child);
  }
  return out;
}

async function loadDirectory(dir: string, opts: LoadDataOptions): Promise<DataSplits> {
  const name = path.basename(path.resolve(dir));
  const top = await readdir(dir, { withFileTypes: true });
  const idxFiles = top.filter((e) => e.isFile() && isIdxFileName(e.name));
  if (idxFiles.length > 0) {
    const files = await Promise.all(
      idxFiles.map(async (e) => ({
        name: `${name}/${e.name}`,
        bytes: await readFile(path.join(dir, e.name)),
      })),
    );
    return loadIdxSplits(files, { ...opts, source: opts.source ?? `${name} (IDX)` });
  }

  const all = await walk(dir);
  // Class folders: at least one image below a sub-folder.
  if (all.some((p) => p.includes('/') && IMAGE_EXT.test(p))) {
    const files: ImageFile[] = await Promise.all(
      all.map(async (p) => ({ path: `${name}/${p}`, bytes: await readFile(path.join(dir, p)) })),
    );
    return loadImageFolder(files, { ...opts, source: opts.source ?? `${name} (images)` });
  }

  const csvs = all.filter((p) => CSV_EXT.test(p));
  const hint = csvs.length
    ? ` It holds CSV file(s) (${csvs.slice(0, 5).join(', ')}): pass one of them as the path.`
    : all.length
      ? ` Found: ${all.slice(0, 8).join(', ')}${all.length > 8 ? ', …' : ''}.`
      : ' The folder is empty.';
  throw new DataError(
    'this folder has neither IDX files (train-images*, train-labels*, t10k-images*, t10k-labels*) nor class ' +
      `folders with PNG/JPEG images (e.g. cat/001.png, dog/001.png).${hint}`,
    dir,
  );
}

/**
 * Loads the data at `dataPath` (a file or a folder, see the module comment). Every problem — a missing
 * path, an unknown kind of file, bad content — is a DataError that names the path.
 */
export async function loadDataPath(dataPath: string, opts: LoadDataOptions = {}): Promise<DataSplits> {
  let info;
  try {
    info = await stat(dataPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(
      code === 'ENOENT'
        ? `does not exist (resolved to ${path.resolve(dataPath)}). Check the spelling and the working folder.`
        : `cannot be read (${code ?? String(e)}).`,
      dataPath,
    );
  }
  if (info.isDirectory()) return loadDirectory(dataPath, opts);

  const base = path.basename(dataPath);
  if (/\.zip$/i.test(base)) return loadImageZip(await readFile(dataPath), base, opts);
  if (CSV_EXT.test(base)) return parseSeriesCsv(await readFile(dataPath), base, opts);
  if (isIdxFileName(base)) {
    throw new DataError(
      `this is one IDX file; pass the folder that holds all four (train-images*, train-labels*, ` +
        `t10k-images*, t10k-labels*): ${path.dirname(path.resolve(dataPath))}`,
      dataPath,
    );
  }
  throw new DataError(
    'unknown kind of data file: expected a .csv / .csv.gz series, a .zip of class folders, or a folder ' +
      '(IDX files or class folders with images).',
    dataPath,
  );
}
