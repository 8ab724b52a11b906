/**
 * Fuzz tests (fast-check): whatever bytes or text come in, the parsers either return data or throw a
 * DataError — never a TypeError/RangeError from deep inside a library, never a hang.
 * Run: npx vitest run runtime/data
 */
import fc from 'fast-check';
import { encode as encodePng } from 'fast-png';
import { gzipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseSeriesCsv, parseSplitSpec, seriesWindows } from './csv';
import { loadIdxSplits, parseIdx, type NamedBytes } from './idx';
import { decodeImage, loadImageFolder } from './images';
import { DataError } from './types';

/** Runs `fn`; a DataError is fine (and its message must name something), anything else fails the property. */
function onlyDataError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    expect(e.message.length).toBeGreaterThan(10);
  }
}

/** Byte-level mutations of a valid file: overwrite, truncate, insert, delete. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(bytes: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = Array.from(bytes);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'set') b[at] = m.value;
    else if (m.kind === 'cut') b = b.slice(0, at);
    else if (m.kind === 'insert') b.splice(at, 0, m.value);
    else b.splice(at, 1);
  }
  return new Uint8Array(b);
}

function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}
const images = new Uint8Array([...u32(0x803), ...u32(3), ...u32(2), ...u32(2), ...new Array(12).fill(7)]);
const labels = new Uint8Array([...u32(0x801), ...u32(3), 0, 1, 1]);

/**
 * Fixed seed and 300 runs per property, so CI is fast and reproducible. For a deeper search run e.g.
 * `HERACLES_FUZZ_RUNS=20000 npx vitest run runtime/data/fuzz` (random seed, printed on failure).
 */
const deep = Number(process.env.HERACLES_FUZZ_RUNS ?? 0);
const RUNS = deep > 0 ? { numRuns: deep } : { numRuns: 300, seed: 12345 };

describe('fuzz: IDX', () => {
  it('arbitrary bytes, raw or gzipped', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.boolean(),
        fc.constantFrom('images', 'labels', undefined),
        (b, gz, kind) => {
          onlyDataError(() =>
            parseIdx(gz ? gzipSync(b) : b, 'fuzz', kind as 'images' | 'labels' | undefined),
          );
        },
      ),
      RUNS,
    );
  });

  it('mutated valid files (raw and gzip) through the full split loader', () => {
    fc.assert(
      fc.property(
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(0, 1, 2, 3),
        fc.boolean(),
        fc.option(fc.integer({ min: -2, max: 4 })),
        (ms, which, gzipFirst, valSize) => {
          const files: NamedBytes[] = [
            { name: 'train-images', bytes: images },
            { name: 'train-labels', bytes: labels },
            { name: 't10k-images', bytes: images },
            { name: 't10k-labels', bytes: labels },
          ];
          const target = files[which];
          target.bytes = gzipFirst ? mutate(gzipSync(target.bytes), ms) : mutate(target.bytes, ms);
          onlyDataError(() => loadIdxSplits(files, { valSize: valSize ?? undefined }));
        },
      ),
      RUNS,
    );
  });
});

/** CSV-ish text: characters that matter to a CSV parser, plus digits and a few odd ones. */
const csvChar = fc.constantFrom(...'0123456789.,-+eE;\t"\r\n \uFEFF\uFFFDaxNn:/'.split(''));
const csvText = fc.array(csvChar, { maxLength: 200 }).map((cs) => cs.join(''));

function validCsv(rows: number): string {
  const lines = ['date,a,b'];
  for (let i = 0; i < rows; i++) lines.push(`2020-01-01 ${i}:00,${i * 0.5},${-i}`);
  return lines.join('\r\n');
}

describe('fuzz: CSV', () => {
  it('random CSV text with random options', () => {
    fc.assert(
      fc.property(
        csvText,
        fc.option(fc.constantFrom('a', 'b', 'OT', '')),
        fc.option(fc.oneof(csvText, fc.constantFrom('0.7,0.1,0.2', '5,2,2', '1,1,1'))),
        (text, target, split) => {
          onlyDataError(() =>
            parseSeriesCsv(text, 'fuzz.csv', { target: target ?? undefined, split: split ?? undefined }),
          );
        },
      ),
      RUNS,
    );
  });

  it('mutated valid CSV (text and gzip bytes) and random windows', () => {
    const base = strToU8(validCsv(30));
    fc.assert(
      fc.property(
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.integer({ min: -1, max: 40 }),
        fc.integer({ min: -1, max: 40 }),
        (ms, gz, lookback, horizon) => {
          const bytes = gz ? mutate(gzipSync(base), ms) : mutate(base, ms);
          onlyDataError(() => {
            const set = parseSeriesCsv(bytes, gz ? 'fuzz.csv.gz' : 'fuzz.csv');
            for (const split of ['train', 'val', 'test'] as const)
              seriesWindows(set, split, lookback, horizon);
          });
        },
      ),
      RUNS,
    );
  });

  it('arbitrary bytes and split specs', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120 }),
        fc.string({ maxLength: 20 }),
        fc.nat({ max: 1000 }),
        (b, spec, rows) => {
          onlyDataError(() => parseSeriesCsv(b, 'bytes.csv'));
          onlyDataError(() => parseSplitSpec(spec, rows));
        },
      ),
      RUNS,
    );
  });
});

describe('fuzz: images', () => {
  it('mutated PNGs decode or fail with a DataError naming the file', () => {
    const png = encodePng({ width: 4, height: 3, data: new Uint8Array(12).fill(9), channels: 1, depth: 8 });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const bytes = mutate(png, ms);
        onlyDataError(() => decodeImage(bytes, 'a/x.png'));
        onlyDataError(() =>
          loadImageFolder([
            { path: 'a/x.png', bytes },
            { path: 'b/y.png', bytes: png },
          ]),
        );
      }),
      deep > 0 ? { numRuns: deep } : { numRuns: 200, seed: 54321 },
    );
  });
});
