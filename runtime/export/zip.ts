/** Zips an export's files (fflate; environment-neutral, so the studio and the CLI build the same archive). */
import { strToU8, zipSync } from 'fflate';
import type { Zippable } from 'fflate';

export type ExportFiles = Map<string, string | Uint8Array>;

// A fixed timestamp makes the archive depend only on its contents (DOS dates start in 1980).
const MTIME = new Date(2000, 0, 1);

/** One zip archive of `files` (names may contain `/` for folders), entries in the map's order. */
export function zipFiles(files: ExportFiles): Uint8Array {
  const entries: Zippable = {};
  for (const [name, content] of files) {
    if (!name || name.startsWith('/') || name.split('/').includes('..'))
      throw new Error(`zipFiles: "${name}" is not a relative file name`);
    entries[name] = [typeof content === 'string' ? strToU8(content) : content, { mtime: MTIME }];
  }
  return zipSync(entries, { level: 6 });
}
