/**
 * Small helpers shared by the data loaders: gzip detection, text decoding, file names and a seeded
 * random generator. Environment-neutral: no Node built-ins, so everything here also runs in a browser
 * Web Worker.
 */
import { Gunzip } from 'fflate';
import { DataError } from './types';

/** A gzip stream starts with the two bytes `1f 8b` (RFC 1952), whatever the file is called. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Returns the bytes unpacked when they are gzip data (detected by the magic bytes, not the name), else
 * the bytes unchanged. A damaged gzip stream becomes a DataError naming the file.
 *
 * fflate's streaming `Gunzip` is used rather than `gunzipSync`: it reads every member of a multi-member
 * file (gunzipSync silently stops after the first) and does not pre-allocate the size claimed by the
 * file's trailer, which a damaged file can set to 4 GiB.
 */
export function gunzipIfNeeded(bytes: Uint8Array, name: string): { bytes: Uint8Array; gzipped: boolean } {
  if (!isGzip(bytes)) return { bytes, gzipped: false };
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const gunzip = new Gunzip((chunk) => {
      chunks.push(chunk);
      total += chunk.length;
    });
    gunzip.push(bytes, true);
  } catch (e) {
    throw new DataError(
      `the file starts like gzip data (bytes 1f 8b) but could not be unpacked (${errorText(e)}). ` +
        'It may be truncated or damaged: download it again, or unpack it yourself and load the raw file.',
      name,
    );
  }
  if (chunks.length === 1) return { bytes: chunks[0], gzipped: true };
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return { bytes: out, gzipped: true };
}

/** Decodes UTF-8 text; drops a byte-order mark; invalid sequences become U+FFFD rather than failing. */
export function decodeText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
}

/** The last segment of a `/` or `\` separated path ("a/b/train-images.gz" → "train-images.gz"). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  return parts.length ? parts[parts.length - 1] : path;
}

/** The message of anything thrown (libraries throw Errors, strings, or worse). */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * mulberry32: a tiny, fast, seeded PRNG with good enough statistics for shuffling and synthetic data.
 * Returns a function giving floats in [0, 1). Same seed → same sequence, in every JS engine.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle in place with the given random source. */
export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/** `1234567` → `"1,234,567"` without depending on the locale. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
