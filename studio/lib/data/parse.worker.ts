/**
 * Parses uploaded files off the main thread: reading, gunzip, CSV parsing and image decoding of a large
 * upload would freeze the page for seconds. Receives `File`s (structured-cloned, not yet read), answers
 * with the loaded splits (typed arrays transferred, not copied) or the loader's message.
 */
import { loadFiles, type LoadFilesOptions } from '$runtime/data/files';
import { errorText } from '$runtime/data/bytes';
import type { DataSplits } from '$runtime/data/types';

export interface ParseRequest {
  files: { path: string; file: File }[];
  opts: LoadFilesOptions;
}

export type ParseReply =
  | { kind: 'progress'; done: number; total: number; label: string }
  | { kind: 'done'; splits: DataSplits }
  | { kind: 'error'; message: string };

const post = (msg: ParseReply, transfer: Transferable[] = []) =>
  (self as unknown as Worker).postMessage(msg, transfer);

/** The buffers of the typed arrays in the splits, so they move instead of being copied. */
function buffersOf(s: DataSplits): Transferable[] {
  if (s.kind === 'series') return [s.values.buffer, s.mean.buffer, s.std.buffer];
  return [s.train, s.val, s.test].flatMap((set) => [set.pixels.buffer, set.labels.buffer]);
}

self.onmessage = async (e: MessageEvent<ParseRequest>) => {
  const { files, opts } = e.data;
  try {
    const named = [];
    for (let i = 0; i < files.length; i++) {
      post({ kind: 'progress', done: i, total: files.length + 1, label: `reading ${files[i].path}` });
      named.push({ path: files[i].path, bytes: new Uint8Array(await files[i].file.arrayBuffer()) });
    }
    post({ kind: 'progress', done: files.length, total: files.length + 1, label: 'parsing' });
    const splits = loadFiles(named, opts);
    // Distinct buffers only: a set's arrays may share one (transfer lists must not repeat).
    post({ kind: 'done', splits }, [...new Set(buffersOf(splits))]);
  } catch (err) {
    post({ kind: 'error', message: errorText(err) });
  }
};
