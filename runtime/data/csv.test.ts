/**
 * CSV series tests: the real forecasting files (when shared/data is present), split overrides, windows,
 * and every bad-input message. Run: npx vitest run runtime/data
 */
import { gzipSync, strToU8 } from 'fflate';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync as nodeGunzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseSeriesCsv, parseSplitSpec, seriesWindows, windowBatch } from './csv';
import { DATA_DIR, expectDataError, haveData, missingReason } from './testing';
import type { SeriesSet } from './types';

/** Independent naive reader (no papaparse): lines → numbers of the columns after the first. */
function naiveRows(text: string): number[][] {
  return text
    .split(/\r?\n/)
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(',').slice(1).map(Number));
}

/** Raw value of (row, channel) recovered from the standardised set. */
function rawAt(set: SeriesSet, r: number, c: number): number {
  return set.values[r * set.channels + c] * set.std[c] + set.mean[c];
}

/** Mean and population std of channel c over rows [a, b) of the standardised values. */
function stats(set: SeriesSet, c: number, a: number, b: number): [number, number] {
  let s = 0;
  for (let r = a; r < b; r++) s += set.values[r * set.channels + c];
  const m = s / (b - a);
  let ss = 0;
  for (let r = a; r < b; r++) ss += (set.values[r * set.channels + c] - m) ** 2;
  return [m, Math.sqrt(ss / (b - a))];
}

function read(sub: string): Buffer {
  return readFileSync(path.join(DATA_DIR, sub));
}

/** A small synthetic CSV: date + 2 channels, `n` rows. */
function smallCsv(n: number, eol = '\n'): string {
  const lines = ['date,a,b'];
  for (let i = 0; i < n; i++)
    lines.push(`2020-01-${String(1 + (i % 28)).padStart(2, '0')} 00:00:00,${i},${2 * i + 1}`);
  return lines.join(eol) + eol;
}

describe('CSV: real files', () => {
  it.skipIf(!haveData('ett'))(
    `ETTh1: standard borders, train standardisation, raw values${missingReason('ett')}`,
    () => {
      const bytes = read('ett/ETTh1.csv');
      const set = parseSeriesCsv(bytes, 'ETTh1.csv', { target: 'OT' });
      expect(set.rows).toBe(17420);
      expect(set.channels).toBe(7);
      expect(set.columns).toEqual(['HUFL', 'HULL', 'MUFL', 'MULL', 'LUFL', 'LULL', 'OT']);
      expect(set.target).toBe('OT');
      expect(set.borders).toEqual({ train: [0, 8640], val: [8640, 11520], test: [11520, 14400] });
      expect(set.dates?.[0]).toBe('2016-07-01 00:00:00');
      expect(set.source).toBe('ETTh1.csv');

      const ref = naiveRows(bytes.toString('utf8'));
      // First row raw values equal the file's: 5.827000141143799, 2.009000062942505, … 30.5310001373291.
      for (let c = 0; c < 7; c++) expect(rawAt(set, 0, c)).toBeCloseTo(ref[0][c], 4);
      expect(rawAt(set, 0, 6)).toBeCloseTo(30.531, 3);
      for (let c = 0; c < 7; c++) {
        // Train rows standardised: mean ≈ 0, std ≈ 1; mean/std equal a naive float64 computation.
        const [m, s] = stats(set, c, 0, 8640);
        expect(Math.abs(m)).toBeLessThan(1e-4);
        expect(s).toBeCloseTo(1, 4);
        const col = ref.slice(0, 8640).map((r) => r[c]);
        const mean = col.reduce((a, b) => a + b, 0) / col.length;
        const std = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length);
        expect(set.mean[c]).toBeCloseTo(mean, 4);
        expect(set.std[c] / std).toBeCloseTo(1, 5);
      }
      // Val/test are NOT re-standardised: their mean drifts away from 0 (OT in ETTh1 drops over time).
      expect(Math.abs(stats(set, 6, 11520, 14400)[0])).toBeGreaterThan(0.1);

      // Windows (Informer convention): train 8640−96−96+1 = 8449; val/test start 96 rows early → 2785.
      expect(seriesWindows(set, 'train', 96, 96)).toEqual({ count: 8449, start: 0 });
      expect(seriesWindows(set, 'val', 96, 96)).toEqual({ count: 2785, start: 8544 });
      expect(seriesWindows(set, 'test', 96, 96)).toEqual({ count: 2785, start: 11424 });
      const { x, y } = windowBatch(set, 'test', 96, 96, [0, 2784]);
      expect(x.length).toBe(2 * 96 * 7);
      expect(y.length).toBe(2 * 96 * 7);
      // Window 0 of test: input rows 11424.., target starts at the border 11520; last target row is 14399.
      expect(x[0]).toBe(set.values[11424 * 7]);
      expect(y[0]).toBe(set.values[11520 * 7]);
      expect(y[y.length - 1]).toBe(set.values[14400 * 7 - 1]);
    },
  );

  it.skipIf(!haveData('ett'))(`ETTm1.csv.gz: gzip detected, borders ×4${missingReason('ett')}`, () => {
    const set = parseSeriesCsv(read('ett/ETTm1.csv.gz'), 'ETTm1.csv.gz');
    expect(set.rows).toBe(69680);
    expect(set.borders).toEqual({ train: [0, 34560], val: [34560, 46080], test: [46080, 57600] });
  });

  it.skipIf(!haveData('weather'))(
    `weather.csv.gz: gzip, CRLF, 21 channels, U+FFFD in names${missingReason('weather')}`,
    () => {
      const gz = read('weather/weather.csv.gz');
      const set = parseSeriesCsv(gz, 'weather.csv.gz');
      expect(set.rows).toBe(52696);
      expect(set.channels).toBe(21);
      expect(set.borders).toEqual({ train: [0, 36887], val: [36887, 42157], test: [42157, 52696] });
      expect(set.columns[0]).toBe('p (mbar)');
      expect(set.columns[20]).toBe('OT'); // no stray "\r" from CRLF
      expect(set.columns.filter((c) => c.includes('\uFFFD'))).toHaveLength(3);
      expect(set.columns).toContain('SWDR (W/m\uFFFD)');
      expect(set.dates?.[0]).toBe('2020-01-01 00:10:00');
      const ref = naiveRows(nodeGunzip(gz).toString('utf8'));
      for (let c = 0; c < 21; c++) expect(rawAt(set, 52695, c)).toBeCloseTo(ref[52695][c], 2);
    },
  );

  it.skipIf(!haveData('exchange_rate'))(
    `exchange_rate.csv: no final newline, last row kept${missingReason('exchange_rate')}`,
    () => {
      const bytes = read('exchange_rate/exchange_rate.csv');
      expect(bytes[bytes.length - 1]).not.toBe(10);
      const set = parseSeriesCsv(bytes, 'exchange_rate.csv');
      expect(set.rows).toBe(7588);
      expect(set.channels).toBe(8);
      expect(set.borders).toEqual({ train: [0, 5311], val: [5311, 6071], test: [6071, 7588] });
      expect(set.dates?.[7587]).toBe('2010/10/10 0:00');
      const ref = naiveRows(bytes.toString('utf8'));
      for (let c = 0; c < 8; c++) expect(rawAt(set, 7587, c)).toBeCloseTo(ref[7587][c], 5);
    },
  );

  it.skipIf(!haveData('illness'))(
    `national_illness.csv: 70/10/20, lookback 36 windows${missingReason('illness')}`,
    () => {
      const set = parseSeriesCsv(read('illness/national_illness.csv'), 'national_illness.csv');
      expect(set.rows).toBe(966);
      expect(set.channels).toBe(7);
      expect(set.columns[0]).toBe('% WEIGHTED ILI');
      expect(set.borders).toEqual({ train: [0, 676], val: [676, 773], test: [773, 966] });
      expect(seriesWindows(set, 'test', 36, 60).count).toBe(966 - 737 - 96 + 1);
      // Lookback 104 + horizon 60 = 164 > val's 97 rows + 104 before it? 201 ≥ 164, fits; 720 does not.
      expectDataError(() => seriesWindows(set, 'val', 104, 720), 'val split', 'has 97 rows', 'need 824');
    },
  );
});

describe('CSV: parsing details', () => {
  it('handles BOM, CRLF, a missing final newline, blank lines and quoted fields', () => {
    const text = '\uFEFFdate,"a b" ,c\r\n2020-01-01,1,"2"\r\n\r\n2020-01-02,3,4\r\n2020-01-03,5,6';
    const set = parseSeriesCsv(strToU8(text), 'x.csv', { split: [1, 1, 1] });
    expect(set.columns).toEqual(['a b', 'c']);
    expect(set.rows).toBe(3);
    expect(set.dates).toEqual(['2020-01-01', '2020-01-02', '2020-01-03']);
    // Same result from a string with a BOM and from gzip bytes.
    const s2 = parseSeriesCsv(text, 'x.csv', { split: [1, 1, 1] });
    const s3 = parseSeriesCsv(gzipSync(strToU8(text)), 'x.csv.gz', { split: [1, 1, 1] });
    expect(Array.from(s2.values)).toEqual(Array.from(set.values));
    expect(Array.from(s3.values)).toEqual(Array.from(set.values));
  });

  it('a file without a date column uses every column as a channel; semicolons work too', () => {
    const set = parseSeriesCsv('x;y\n1;2\n3;4\n5;6\n7;8\n9;10\n11;12\n13;14\n15;16\n17;18\n19;20\n', 'n.csv');
    expect(set.columns).toEqual(['x', 'y']);
    expect(set.dates).toBeUndefined();
    expect(set.borders).toEqual({ train: [0, 7], val: [7, 8], test: [8, 10] });
  });

  it('a constant channel keeps std 1 (no NaN)', () => {
    const lines = ['t,a,k'];
    for (let i = 0; i < 20; i++) lines.push(`${i}:00,${i},0.1`);
    const set = parseSeriesCsv(lines.join('\n'), 'c.csv');
    expect(set.std[1]).toBe(1);
    expect(set.mean[1]).toBeCloseTo(0.1, 6);
    expect(Array.from(set.values).every(Number.isFinite)).toBe(true);
  });

  it('split overrides: fractions, row counts, percentages', () => {
    const csv = smallCsv(100);
    expect(parseSeriesCsv(csv, 's.csv', { split: '0.6,0.2,0.2' }).borders).toEqual({
      train: [0, 60],
      val: [60, 80],
      test: [80, 100],
    });
    expect(parseSeriesCsv(csv, 's.csv', { split: '50, 20, 10' }).borders).toEqual({
      train: [0, 50],
      val: [50, 70],
      test: [70, 80],
    });
    expect(parseSplitSpec('70%,10%,20%', 52696)).toEqual(parseSplitSpec('0.7,0.1,0.2', 52696));
    // Fractions that add up to less than 1 leave rows unused at the end.
    expect(parseSplitSpec('0.5,0.1,0.1', 100)).toEqual({ train: [0, 50], val: [50, 60], test: [60, 70] });
  });

  it('split overrides: clear messages for bad specs', () => {
    expectDataError(() => parseSplitSpec('0.6,0.2', 100, 'f.csv'), 'f.csv', 'found 2 number(s), expected 3');
    expectDataError(() => parseSplitSpec('0.6,0.3,0.2', 100), 'add up to 1.1, more than 1');
    expectDataError(() => parseSplitSpec('80,20,20', 100), 'add up to 120', 'has 100 rows');
    expectDataError(() => parseSplitSpec('0.5,x,0.2', 100), '"x" is not a number');
    expectDataError(() => parseSplitSpec('0.7,0,0.3', 100), 'greater than 0');
    expectDataError(() => parseSplitSpec('60.5,20,20', 100), 'whole numbers');
    expectDataError(() => parseSplitSpec('0.98,0.01,0.01', 50), 'test split gets no rows');
  });

  it('ETT names need the standard length (or a split)', () => {
    expectDataError(
      () => parseSeriesCsv(smallCsv(100), 'ETTh1_small.csv'),
      'ETTh1_small.csv',
      '[11520, 14400)',
      'only 100 rows',
      'split',
    );
    expect(parseSeriesCsv(smallCsv(100), 'ETTh1_small.csv', { split: '0.7,0.1,0.2' }).borders.train).toEqual([
      0, 70,
    ]);
  });

  it('windowBatch copies the right rows, [n, L, C] and [n, T, C]', () => {
    const set = parseSeriesCsv(smallCsv(100), 's.csv');
    const L = 5;
    const T = 3;
    expect(seriesWindows(set, 'train', L, T)).toEqual({ count: 70 - 8 + 1, start: 0 });
    expect(seriesWindows(set, 'val', L, T)).toEqual({ count: 80 - 65 - 8 + 1, start: 65 });
    const { x, y } = windowBatch(set, 'val', L, T, [0, 7]);
    // Channel "a" holds the row index: de-standardise to check which rows were copied.
    const row = (v: number) => Math.round(v * set.std[0] + set.mean[0]);
    expect([0, 1, 2, 3, 4].map((t) => row(x[t * 2]))).toEqual([65, 66, 67, 68, 69]);
    expect([0, 1, 2].map((t) => row(y[t * 2]))).toEqual([70, 71, 72]);
    expect(row(y[(T + 2) * 2])).toBe(79); // window 7's last target row = last val row
    expectDataError(() => windowBatch(set, 'val', L, T, [8]), 'window index 8 is out of range', '0 to 7');
    expectDataError(() => seriesWindows(set, 'train', 0, 3), 'lookback must be a whole number');
  });
});

describe('CSV: bad input', () => {
  it('missing cell: names the file line and the column', () => {
    const text = smallCsv(10).replace('2020-01-04 00:00:00,3,7', '2020-01-04 00:00:00,,7');
    const e = expectDataError(
      () => parseSeriesCsv(text, 'm.csv'),
      'm.csv',
      'row 5, column "a"',
      'the value is missing',
    );
    expect(e.at).toBe('row 5, column "a"');
  });

  it('non-numeric cell: names row, column and the bad value', () => {
    const text = smallCsv(10).replace('2020-01-03 00:00:00,2,5\n', '2020-01-03 00:00:00,2,5x\n');
    expectDataError(
      () => parseSeriesCsv(text, 'v.csv'),
      'v.csv',
      'row 4, column "b"',
      '"5x" is not a number',
    );
    const nan = smallCsv(10).replace(',9,19', ',NaN,19');
    expectDataError(() => parseSeriesCsv(nan, 'v.csv'), 'row 11, column "a"', '"NaN" marks a missing value');
  });

  it('row numbers stay file lines across CRLF, blank lines and quoted line breaks', () => {
    const text = 'date,a,b\r\n2020-01-01,1,"x\r\ny"\r\n\r\n2020-01-02,oops,2\r\n';
    // The quoted "x\r\ny" spans lines 2–3; it is the first bad cell, reported at the line where its row starts.
    expectDataError(() => parseSeriesCsv(text, 'q.csv'), 'row 2, column "b"', 'is not a number');
    // A blank line (line 3) is skipped but still counted.
    const text2 = 'date,a,b\r\n2020-01-01,1,2\r\n\r\n2020-01-02,oops,2\r\n';
    expectDataError(() => parseSeriesCsv(text2, 'q.csv'), 'row 4, column "a"', '"oops"');
    // A quoted line break in an earlier row shifts the line numbers of the rows after it.
    const text3 = 'date,a,b\r\n"2020-01-01\r\nnoon",1,2\r\n2020-01-02,1,2\r\n2020-01-03,oops,2\r\n';
    expectDataError(() => parseSeriesCsv(text3, 'q.csv'), 'row 5, column "a"');
  });

  it('ragged rows: row number and the expected column count', () => {
    const text = smallCsv(10).replace('2020-01-06 00:00:00,5,11', '2020-01-06 00:00:00,5');
    expectDataError(
      () => parseSeriesCsv(text, 'r.csv'),
      'r.csv',
      'row 7',
      'has 2 value(s)',
      'header has 3 columns',
    );
    const extra = smallCsv(10).replace('2020-01-06 00:00:00,5,11', '2020-01-06 00:00:00,5,11,12');
    expectDataError(() => parseSeriesCsv(extra, 'r.csv'), 'row 7', 'has 4 value(s)');
  });

  it('a single data row, a header only, an empty file', () => {
    expectDataError(
      () => parseSeriesCsv('date,a\n2020-01-01,1\n', 'one.csv'),
      'one.csv',
      'a single data row',
      'row 2',
    );
    expectDataError(() => parseSeriesCsv('date,a\n', 'h.csv'), 'h.csv', 'no data rows');
    expectDataError(() => parseSeriesCsv(new Uint8Array(0), 'e.csv'), 'e.csv', 'empty');
    expectDataError(() => parseSeriesCsv('\n\r\n  \n', 'e.csv'), 'empty');
  });

  it('lookback + horizon longer than a split: which split, its length, what is needed', () => {
    const set = parseSeriesCsv(smallCsv(100), 's.csv');
    expectDataError(
      () => seriesWindows(set, 'train', 60, 20),
      's.csv',
      'train split',
      'has 70 rows',
      'need 80',
    );
    expectDataError(() => seriesWindows(set, 'test', 10, 21), 'test split', 'has 20 rows', 'need 31');
  });

  it('unknown target lists the columns; header problems are named', () => {
    expectDataError(
      () => parseSeriesCsv(smallCsv(10), 't.csv', { target: 'OT' }),
      'target column "OT" not found',
      'a, b',
    );
    expectDataError(() => parseSeriesCsv('date,a,a\n1:00,1,2\n2:00,3,4\n', 'd.csv'), 'appears twice');
    expectDataError(() => parseSeriesCsv('date,,b\n1:00,1,2\n2:00,3,4\n', 'd.csv'), 'column 2 has no name');
    expectDataError(() => parseSeriesCsv('date,a\n1:00,"1\n2:00,3\n', 'd.csv'), 'row 2', 'never closed');
    expectDataError(
      () => parseSeriesCsv('date,a\n1:00,1\n2:00,"3"4\n', 'd.csv'),
      'row 3',
      'after its closing quote',
    );
  });
});
