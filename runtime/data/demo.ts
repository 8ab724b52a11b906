/**
 * Demo data sets generated in code: no download, same data for the same seed in every environment.
 * They let a newcomer train something in seconds and give the tests data with known structure.
 *
 * - `demoShapes`: 28×28 grayscale images of 6 shapes (circle, square, triangle, cross, ring, bar) at random
 *   positions, sizes, small rotations and brightness, with pixel noise. A small conv net learns it well
 *   above 90% accuracy; a linear model does noticeably worse, so it also shows why convolutions help.
 * - `demoSeries`: a multivariate hourly series with daily and weekly seasons, a trend, AR(1) noise and
 *   channels driven by the previous channel with a lag, split 70/10/20 and standardised on train.
 */
import { mulberry32 } from './bytes';
import { fractionBorders, standardise } from './series';
import { DataError, type ImageSet, type ImageSplits, type SeriesSet } from './types';

export const DEMO_SHAPE_CLASSES = ['circle', 'square', 'triangle', 'cross', 'ring', 'bar'];

export interface DemoShapesOptions {
  /** Total number of images over train + val + test (default 6000). */
  count?: number;
  /** Image side in pixels (default 28). */
  size?: number;
  /** Seed (default 0). */
  seed?: number;
  /** Fractions of `count` for val and test (default 0.1 each). */
  valFraction?: number;
  testFraction?: number;
}

/** Standard normal samples from a uniform source (Box–Muller). */
function gaussian(random: () => number): () => number {
  return () => {
    const u = 1 - random(); // (0, 1]: log stays finite
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/**
 * Signed distance (in pixels) from point (x, y), given in the shape's own frame (centre at 0, unrotated),
 * to the shape's outline: negative inside, positive outside.
 */
function shapeDistance(cls: number, x: number, y: number, r: number): number {
  const t = Math.max(1.2, r * 0.28); // stroke half-width for ring, cross and bar
  switch (cls) {
    case 0: // filled circle
      return Math.hypot(x, y) - r;
    case 1: // filled square
      return Math.max(Math.abs(x), Math.abs(y)) - r * 0.82;
    case 2: {
      // filled equilateral triangle, pointing up (Inigo Quilez's exact distance)
      const k = Math.sqrt(3);
      let px = Math.abs(x) - r;
      let py = -y + r / k;
      if (px + k * py > 0) {
        const nx = (px - k * py) / 2;
        const ny = (-k * px - py) / 2;
        px = nx;
        py = ny;
      }
      px -= Math.min(Math.max(px, -2 * r), 0);
      return -Math.hypot(px, py) * Math.sign(py);
    }
    case 3: {
      // plus sign: two bars
      const h = Math.max(Math.abs(x) - r, Math.abs(y) - t);
      const v = Math.max(Math.abs(x) - t, Math.abs(y) - r);
      return Math.min(h, v);
    }
    case 4: // ring
      return Math.abs(Math.hypot(x, y) - r * 0.8) - t * 0.8;
    default: // horizontal bar
      return Math.max(Math.abs(x) - r * 1.1, Math.abs(y) - t);
  }
}

/** Draws one image into `out` (size² bytes). */
function drawShape(
  cls: number,
  size: number,
  random: () => number,
  normal: () => number,
  out: Uint8Array,
): void {
  const r = size * (0.16 + 0.14 * random());
  const margin = r * 1.1;
  const cx = margin + (size - 2 * margin) * random();
  const cy = margin + (size - 2 * margin) * random();
  // Small rotations only, so a bar stays horizontal and a cross stays a plus.
  const angle = (random() - 0.5) * (cls === 5 ? 0.3 : 0.6);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const brightness = 0.6 + 0.4 * random();
  const noise = 0.04 + 0.06 * random();
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const dx = px + 0.5 - cx;
      const dy = py + 0.5 - cy;
      const x = cos * dx + sin * dy;
      const y = -sin * dx + cos * dy;
      const d = shapeDistance(cls, x, y, r);
      const ink = Math.min(Math.max(0.5 - d, 0), 1); // 1 inside, 0 outside, a one-pixel soft edge
      const v = brightness * ink + noise * normal();
      out[py * size + px] = Math.round(Math.min(Math.max(v, 0), 1) * 255);
    }
  }
}

/** Generated shape images, 6 balanced classes, split train/val/test. Deterministic by `seed`. */
export function demoShapes(opts: DemoShapesOptions = {}): ImageSplits {
  const count = opts.count ?? 6000;
  const size = opts.size ?? 28;
  const seed = opts.seed ?? 0;
  const valFraction = opts.valFraction ?? 0.1;
  const testFraction = opts.testFraction ?? 0.1;
  if (!Number.isInteger(count) || count < 12)
    throw new DataError(`count must be a whole number ≥ 12, got ${count}.`);
  if (!Number.isInteger(size) || size < 8 || size > 512)
    throw new DataError(`size must be 8 to 512 pixels, got ${size}.`);
  if (!(valFraction >= 0 && testFraction >= 0 && valFraction + testFraction < 1)) {
    throw new DataError(`valFraction and testFraction must be ≥ 0 and add up to less than 1.`);
  }
  const random = mulberry32(seed);
  const normal = gaussian(random);
  const k = DEMO_SHAPE_CLASSES.length;
  // Balanced labels in a seeded random order.
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = i % k;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = labels[i];
    labels[i] = labels[j];
    labels[j] = t;
  }
  const per = size * size;
  const pixels = new Uint8Array(count * per);
  for (let i = 0; i < count; i++)
    drawShape(labels[i], size, random, normal, pixels.subarray(i * per, (i + 1) * per));

  const nVal = Math.round(count * valFraction);
  const nTest = Math.round(count * testFraction);
  const nTrain = count - nVal - nTest;
  const set = (from: number, to: number): ImageSet => ({
    kind: 'images',
    shape: [size, size, 1],
    pixels: pixels.slice(from * per, to * per),
    labels: labels.slice(from, to),
    count: to - from,
    classNames: DEMO_SHAPE_CLASSES.slice(),
  });
  return {
    kind: 'images',
    train: set(0, nTrain),
    val: set(nTrain, nTrain + nVal),
    test: set(nTrain + nVal, count),
    source: `demo: shapes (seed ${seed})`,
  };
}

export interface DemoSeriesOptions {
  /** Number of hourly rows (default 4000, about 24 weeks). */
  rows?: number;
  /** Number of channels (default 4). */
  channels?: number;
  /** Seed (default 0). */
  seed?: number;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** A generated multivariate hourly series, borders 70/10/20, standardised on train. Deterministic by `seed`. */
export function demoSeries(opts: DemoSeriesOptions = {}): SeriesSet {
  const rows = opts.rows ?? 4000;
  const channels = opts.channels ?? 4;
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(rows) || rows < 20)
    throw new DataError(`rows must be a whole number ≥ 20, got ${rows}.`);
  if (!Number.isInteger(channels) || channels < 1 || channels > 256) {
    throw new DataError(`channels must be a whole number from 1 to 256, got ${channels}.`);
  }
  const random = mulberry32(seed);
  const normal = gaussian(random);
  // Per-channel character: level, seasonal amplitudes and phases, trend, noise, coupling to channel c−1.
  const ch = Array.from({ length: channels }, (_, c) => ({
    level: 10 * (random() - 0.5),
    daily: 0.5 + 1.5 * random(),
    dailyPhase: 2 * Math.PI * random(),
    weekly: 0.3 + random(),
    weeklyPhase: 2 * Math.PI * random(),
    trend: (random() - 0.5) * 2,
    noise: 0.1 + 0.2 * random(),
    coupling: c === 0 ? 0 : 0.3 + 0.4 * random(),
    lag: 1 + Math.floor(random() * 6),
    ar: 0,
  }));
  const raw = new Float64Array(rows * channels);
  for (let t = 0; t < rows; t++) {
    for (let c = 0; c < channels; c++) {
      const p = ch[c];
      p.ar = 0.7 * p.ar + p.noise * normal();
      let v =
        p.level +
        p.daily * Math.sin((2 * Math.PI * t) / 24 + p.dailyPhase) +
        p.weekly * Math.sin((2 * Math.PI * t) / 168 + p.weeklyPhase) +
        (p.trend * t) / rows +
        p.ar;
      // Cross-channel coupling: channel c follows channel c−1 with a lag (so other channels help forecast).
      if (c > 0 && t >= p.lag) v += p.coupling * (raw[(t - p.lag) * channels + c - 1] - ch[c - 1].level);
      raw[t * channels + c] = v;
    }
  }
  const borders = fractionBorders(rows, [0.7, 0.1, 0.2]);
  const { values, mean, std } = standardise(raw, rows, channels, borders.train);
  const start = Date.UTC(2020, 0, 1);
  const dates = Array.from({ length: rows }, (_, t) => {
    const d = new Date(start + t * 3_600_000);
    return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:00:00`;
  });
  return {
    kind: 'series',
    values,
    rows,
    channels,
    columns: Array.from({ length: channels }, (_, c) => (c === channels - 1 ? 'OT' : `x${c + 1}`)),
    mean,
    std,
    borders,
    dates,
    source: `demo: series (seed ${seed})`,
  };
}
