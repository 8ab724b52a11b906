/**
 * (c) Our matmul Hartley transform (1-D DHT, `spectralForward(x, 'dht1d')` on [rows, 1, N, 1]; long rows
 * take the factored transform of runtime/spectral/factored.ts) vs a
 * DHT computed with tfjs's FFT (`tf.spectral.fft` of complex(x, 0), then Re − Im), on the cpu backend
 * (the only Node backend with an FFT), 64 rows × N for N = 64 … 1024. Forward only (FFT has no gradient).
 * Target: ours ≥ 20× faster at every N. Also checks that both agree (max abs difference).
 */
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../runtime/backend/node';
import { factorsOf } from '../runtime/spectral/factored';
import { spectralForward } from '../runtime/spectral/transform';
import {
  fmt,
  fmtRatio,
  isMain,
  log,
  runStandalone,
  summarize,
  timeIt,
  type BenchResult,
  type Timing,
} from './util';

const ROWS = 64;
const SIZES = [64, 128, 256, 512, 1024];
const TARGET = 20;

/** Orthonormal DHT via the FFT: H = (Re F − Im F)/√N, F = fft(x) along the last axis. */
function dhtViaFft(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const f = tf.spectral.fft(tf.complex(x, tf.zerosLike(x)));
    return tf.mul(tf.sub(tf.real(f), tf.imag(f)), 1 / Math.sqrt(x.shape[1])) as tf.Tensor2D;
  });
}

/** Ours: rows as [ROWS, 1, N, 1], 1-D DHT along W (one [ROWS, N] × [N, N] product). */
function dhtViaMatmul(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [r, n] = x.shape;
    return tf.reshape(spectralForward(tf.reshape(x, [r, 1, n, 1]), 'dht1d'), [r, n]) as tf.Tensor2D;
  });
}

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  await initNodeBackend('cpu');
  const rows: { n: number; ours: Timing; fft: Timing; maxAbs: number; maxRef: number }[] = [];
  for (const n of SIZES) {
    const x = tf.randomNormal([ROWS, n], 0, 1, 'float32', n) as tf.Tensor2D;
    // Agreement first (also warms the matrix cache).
    const a = dhtViaMatmul(x);
    const b = dhtViaFft(x);
    const maxAbs = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
    const maxRef = tf.tidy(() => tf.max(tf.abs(b)).dataSync()[0]);
    tf.dispose([a, b]);
    const run1 = (f: (x: tf.Tensor2D) => tf.Tensor2D) => () => {
      const y = f(x);
      y.dataSync();
      y.dispose();
    };
    // Interleave: ours and the FFT alternate in rounds, so load changes hit both.
    const oursT: number[] = [];
    const fftT: number[] = [];
    for (let round = 0; round < 3; round++) {
      oursT.push(
        ...(await timeIt(run1(dhtViaMatmul), { warmup: 1, reps: 3, budgetMs: 4000, minReps: 1 })).times,
      );
      fftT.push(...(await timeIt(run1(dhtViaFft), { warmup: 1, reps: 3, budgetMs: 4000, minReps: 1 })).times);
    }
    const ours = summarize(oursT);
    const fft = summarize(fftT);
    x.dispose();
    log(
      `N=${n}: ours ${fmt(ours.median)} ms, fft ${fmt(fft.median)} ms, max |diff| ${maxAbs.toExponential(2)}`,
    );
    rows.push({ n, ours, fft, maxAbs, maxRef });
  }
  const ratios = rows.map((r) => r.fft.median / r.ours.median);
  const worst = Math.min(...ratios);
  const worstN = rows[ratios.indexOf(worst)].n;
  return {
    name: 'hartley-vs-fft',
    title: 'Matmul Hartley vs FFT-based Hartley (tfjs cpu backend)',
    date: new Date().toISOString(),
    description: `1-D orthonormal DHT of ${ROWS} rows × N on the tfjs cpu backend: ours (\`spectralForward(x, 'dht1d')\`: one product with the cached N×N cas matrix, or for long rows the factored transform of \`runtime/spectral/factored.ts\` — two smaller products and a twiddle, O(N^1.5) per row) vs \`tf.spectral.fft\` of complex(x, 0) then (Re − Im)/√N. Forward only; both computed in the same process, interleaved rounds, median.`,
    target: `ours ≥ ${TARGET}× faster at every N`,
    headline: `${fmtRatio(worst)} at worst (N = ${worstN}); ${ratios.map((r, i) => `${rows[i].n}: ${fmtRatio(r)}`).join(', ')}`,
    pass: worst >= TARGET,
    tables: [
      {
        caption: `ms per transform of ${ROWS} rows (median; min–max)`,
        headers: [
          'N',
          'ours',
          'path',
          'range',
          'FFT (Re − Im)',
          'range',
          'FFT ÷ ours',
          'max |ours − FFT|',
          'max |value|',
        ],
        rows: rows.map((r, i) => [
          r.n,
          fmt(r.ours.median, 2),
          factorsOf(r.n) ? `factored ${factorsOf(r.n)?.join(' × ')}` : 'one N×N product',
          `${fmt(r.ours.min, 2)}–${fmt(r.ours.max, 2)}`,
          fmt(r.fft.median, 2),
          `${fmt(r.fft.min, 2)}–${fmt(r.fft.max, 2)}`,
          fmtRatio(ratios[i]),
          r.maxAbs.toExponential(1),
          r.maxRef.toFixed(2),
        ]),
      },
    ],
    notes: [
      'The cpu backend is used because it is the only Node backend with FFT kernels (wasm has none; see docs/platform.md). Ours runs there too, so both sides use the same (pure JS) backend.',
      `Agreement: the largest difference over all N is ${Math.max(...rows.map((r) => r.maxAbs)).toExponential(1)} on values up to ~${Math.max(...rows.map((r) => r.maxRef)).toFixed(1)} — float32 round-off (the matrices are built in float64; the FFT accumulates in float32).`,
      `A dense N×N product is O(N²) per row and the FFT O(N log N), so with one product the advantage shrinks as N grows; the factored transform (n1 × n2 = N, 4·n1 + 2·n2 multiply-adds per output instead of N) keeps it for long rows. The transform sizes the models use are the token-grid sides (7–56 for images) and sequence lengths (tens to a few hundred), where the matmul also keeps the gradient and runs on wasm/XNNPACK, which has no FFT at all.`,
      "tfjs's FFT has no gradient, so it could not be used in training anyway; the matmul transform's backward is the same matmul (symmetric matrix).",
    ],
    data: { rows, ratios },
    seconds: Math.round((performance.now() - t0) / 1000),
  };
}

if (isMain(import.meta.url)) await runStandalone(run);
