/**
 * Chronological splits, train-only standardisation and sliding windows for multivariate series.
 * Shared by the CSV loader (csv.ts) and the generated demo series (demo.ts). No I/O, no tensors.
 *
 * Conventions (Informer / Autoformer, reused by PatchTST and iTransformer; see shared/data/README.md):
 * - splits are contiguous row ranges in time order: train, then val, then test;
 * - every channel is standardised with the mean/std of the TRAIN rows only (no peeking at the future);
 * - a window of `lookback` rows predicts the next `horizon` rows; val/test windows may begin up to
 *   `lookback` rows before their border, so the first target row is the split's first row.
 */
import { baseName, formatCount } from './bytes';
import { DataError, type SeriesBorders, type SeriesSet } from './types';

export type SplitName = 'train' | 'val' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

/**
 * How to split a series, overriding the default borders:
 * - a string `"0.7,0.1,0.2"` (fractions of the rows; `"70%,10%,20%"` works too) or
 *   `"8640,2880,2880"` (row counts), always in the order train, val, test;
 * - or the same three numbers as an array.
 * Fractions follow the literature's rounding: train = ⌊f_train·N⌋, test = ⌊f_test·N⌋ and, when the three
 * fractions add up to 1, val gets the rest. Rows left over after test are not used.
 */
export type SplitSpec = string | readonly [number, number, number];

/** Python's `int(x)` for the non-negative numbers used here (the reference code rounds this way). */
const pyInt = (x: number) => Math.floor(x);

/** Borders from three fractions that add up to at most 1, rounded like the reference implementations. */
export function fractionBorders(rows: number, fractions: readonly [number, number, number]): SeriesBorders {
  const [ft, fv, fs] = fractions;
  const train = pyInt(ft * rows);
  const test = pyInt(fs * rows);
  const sum = ft + fv + fs;
  const val = Math.abs(sum - 1) < 1e-9 ? rows - train - test : pyInt(fv * rows);
  return { train: [0, train], val: [train, train + val], test: [train + val, train + val + test] };
}

/** Borders from three row counts, back to back from row 0. */
export function countBorders(counts: readonly [number, number, number]): SeriesBorders {
  const [a, b, c] = counts;
  return { train: [0, a], val: [a, a + b], test: [a + b, a + b + c] };
}

/**
 * The standard borders for a file: ETTh* → the fixed 12/4/4-month borders (rows 0–14400), ETTm* → the
 * same ×4 (15-minute steps), anything else → 70/10/20.
 */
export function standardBorders(name: string, rows: number): SeriesBorders {
  const base = baseName(name);
  const ett = /^etth/i.test(base) ? 1 : /^ettm/i.test(base) ? 4 : 0;
  if (ett) {
    const month = 30 * 24 * ett;
    const borders = countBorders([12 * month, 4 * month, 4 * month]);
    if (rows < borders.test[1]) {
      throw new DataError(
        `${ett === 4 ? 'ETTm' : 'ETTh'} files use the standard borders ` +
          `train [0, ${borders.train[1]}), val [${borders.val[0]}, ${borders.val[1]}), ` +
          `test [${borders.test[0]}, ${borders.test[1]}), but this file has only ${formatCount(rows)} rows. ` +
          'Pass a split such as "0.7,0.1,0.2" for a shortened file.',
        name,
      );
    }
    return borders;
  }
  return fractionBorders(rows, [0.7, 0.1, 0.2]);
}

const SPLIT_HELP =
  'Give three numbers for train, val, test: fractions like "0.7,0.1,0.2" or row counts like "8640,2880,2880".';

/** Turns a split override into borders for a series of `rows` rows; DataError with the reason if invalid. */
export function parseSplitSpec(spec: SplitSpec, rows: number, file?: string): SeriesBorders {
  const shown = typeof spec === 'string' ? `"${spec}"` : `[${spec.join(', ')}]`;
  const fail = (why: string): never => {
    throw new DataError(`invalid split ${shown}: ${why} ${SPLIT_HELP}`, file);
  };
  let nums: number[];
  let percent = false;
  if (typeof spec === 'string') {
    const parts = spec.split(/[,;\s]+/).filter((p) => p !== '');
    if (parts.length !== 3) fail(`found ${parts.length} number(s), expected 3.`);
    percent = parts.every((p) => p.endsWith('%'));
    if (!percent && parts.some((p) => p.endsWith('%'))) fail('use % on all three numbers or on none.');
    nums = parts.map((p) => {
      const t = percent ? p.slice(0, -1) : p;
      const v = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
      if (!Number.isFinite(v)) fail(`"${p}" is not a number.`);
      return percent ? v / 100 : v;
    });
  } else {
    if (!Array.isArray(spec) || spec.length !== 3) fail('expected 3 numbers.');
    nums = spec.slice();
    if (nums.some((v) => typeof v !== 'number' || !Number.isFinite(v)))
      fail('every entry must be a finite number.');
  }
  if (nums.some((v) => v <= 0)) fail('every part must be greater than 0 (each split needs rows).');

  let borders: SeriesBorders;
  if (percent || nums.every((v) => v < 1)) {
    const sum = nums[0] + nums[1] + nums[2];
    if (sum > 1 + 1e-9) fail(`the fractions add up to ${+sum.toFixed(6)}, more than 1.`);
    borders = fractionBorders(rows, nums as [number, number, number]);
  } else {
    if (nums.some((v) => !Number.isInteger(v))) {
      fail('mixes fractions (< 1) and row counts; row counts must be whole numbers.');
    }
    const sum = nums[0] + nums[1] + nums[2];
    if (sum > rows)
      fail(`the row counts add up to ${formatCount(sum)}, but the series has ${formatCount(rows)} rows.`);
    borders = countBorders(nums as [number, number, number]);
  }
  for (const s of SPLIT_NAMES) {
    if (borders[s][1] - borders[s][0] < 1) {
      fail(`the ${s} split gets no rows out of ${formatCount(rows)}; use larger parts.`);
    }
  }
  return borders;
}

/**
 * Standardises `raw` (rows × channels, row-major) in place into a Float32Array with the mean and
 * (population) standard deviation of the train rows. A channel that is constant over train keeps std 1,
 * so it becomes zeros instead of NaN/∞.
 */
export function standardise(
  raw: ArrayLike<number>,
  rows: number,
  channels: number,
  train: [number, number],
): { values: Float32Array; mean: Float32Array; std: Float32Array } {
  const [t0, t1] = train;
  const n = t1 - t0;
  const mean = new Float64Array(channels);
  const std = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let r = t0; r < t1; r++) {
      const v = raw[r * channels + c];
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (n === 0 || min === max) {
      // Constant over train (or no train rows): centre on the value, keep the scale.
      mean[c] = n === 0 ? 0 : min;
      std[c] = 1;
      continue;
    }
    const m = sum / n;
    let ss = 0;
    for (let r = t0; r < t1; r++) {
      const d = raw[r * channels + c] - m;
      ss += d * d;
    }
    mean[c] = m;
    std[c] = Math.sqrt(ss / n) || 1;
  }
  const values = new Float32Array(rows * channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const i = r * channels + c;
      values[i] = (raw[i] - mean[c]) / std[c];
    }
  }
  return { values, mean: Float32Array.from(mean), std: Float32Array.from(std) };
}

function checkWindowArgs(set: SeriesSet, split: SplitName, lookback: number, horizon: number): void {
  if (!SPLIT_NAMES.includes(split)) {
    throw new DataError(`unknown split "${String(split)}"; expected train, val or test.`, set.source);
  }
  for (const [label, v] of [
    ['lookback', lookback],
    ['horizon', horizon],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new DataError(`${label} must be a whole number ≥ 1, got ${v}.`, set.source);
    }
  }
}

/**
 * The sliding windows of one split: window `i` (0 ≤ i < count) reads input rows
 * `[start + i, start + i + lookback)` and target rows `[start + i + lookback, start + i + lookback + horizon)`.
 * Train windows lie entirely inside train; val/test windows start `lookback` rows before the border
 * (clamped at row 0) and keep their target inside the split. DataError when not even one window fits.
 */
export function seriesWindows(
  set: SeriesSet,
  split: SplitName,
  lookback: number,
  horizon: number,
): { count: number; start: number } {
  checkWindowArgs(set, split, lookback, horizon);
  const [b0, b1] = set.borders[split];
  const start = split === 'train' ? b0 : Math.max(0, b0 - lookback);
  const available = b1 - start;
  const count = available - lookback - horizon + 1;
  if (count < 1) {
    const extra = split === 'train' ? '' : ` plus ${b0 - start} row(s) before it`;
    throw new DataError(
      `lookback ${lookback} + horizon ${horizon} = ${lookback + horizon} rows do not fit in the ${split} split: ` +
        `it has ${formatCount(b1 - b0)} rows (${b0}–${b1})${extra}, so windows can use ${formatCount(available)} ` +
        `rows but need ${lookback + horizon}. Use a shorter lookback or horizon, or a larger ${split} split.`,
      set.source,
      `${split} split`,
    );
  }
  return { count, start };
}

/**
 * Copies the windows `indices` of a split into batch arrays: `x` is `[n, lookback, channels]` and
 * `y` is `[n, horizon, channels]`, both row-major, standardised values.
 */
export function windowBatch(
  set: SeriesSet,
  split: SplitName,
  lookback: number,
  horizon: number,
  indices: ArrayLike<number>,
): { x: Float32Array; y: Float32Array } {
  const { count, start } = seriesWindows(set, split, lookback, horizon);
  const c = set.channels;
  const n = indices.length;
  const x = new Float32Array(n * lookback * c);
  const y = new Float32Array(n * horizon * c);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= count) {
      throw new DataError(
        `window index ${i} is out of range: the ${split} split has windows 0 to ${count - 1}.`,
        set.source,
        `${split} split`,
      );
    }
    const r = start + i;
    x.set(set.values.subarray(r * c, (r + lookback) * c), k * lookback * c);
    y.set(set.values.subarray((r + lookback) * c, (r + lookback + horizon) * c), k * horizon * c);
  }
  return { x, y };
}
