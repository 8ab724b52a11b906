/**
 * The 1-D DHT of long rows, factored (the "four-step" FFT idea, done with matrix products so it runs on
 * every backend and keeps the transform's exact float32 behaviour). For N = n1·n2, with x indexed as
 * x[n2·a + b] (a < n1, b < n2) and the output as H[k1 + n1·k2]:
 *
 *   1. length-n1 DFTs over a, for every b:  A[b, k1] = Σ_a x[n2·a + b]·e^{−2πi·a·k1/n1}
 *   2. twiddle:                              B[b, k1] = A[b, k1]·e^{−2πi·b·k1/N}
 *   3. length-n2 sums over b, as a DHT:      H[k1 + n1·k2] = Σ_b Re B·cas φ − Im B·(cos φ − sin φ),
 *                                            φ = 2π·b·k2/n2,  all over √N
 *
 * Step 3 is Re X − Im X of the DFT X, which is the DHT (cas = cos + sin). Step 1 is one product with
 * [C | −S | −S | C] (n1 × 4n1), giving [Re A | Im A] and the swapped [Im A | Re A] at once, so the
 * twiddle's complex product is one multiply with a constant table and one sum. Cost per row: 4·N·n1 +
 * 2·N·n2 multiply-adds plus ~4N for the twiddle, against N² for the direct product — at N = 1024
 * (32 × 32), 192 per output instead of 1024.
 *
 * Off wasm, steps 2 and 3 fold into one batched product instead (see factoredDhtRows).
 *
 * The map is the same symmetric DHT, so transform.ts's custom gradient (the transform again) still holds.
 */
import * as tf from '@tensorflow/tfjs';
import { cachedMatrix } from './cache';

/** Rows at least this long are worth factoring. */
const MIN_N = 256;

/** [n1, n2] with n1 the largest divisor of N up to √N, or null when N is short or has no factor ≥ 8. */
export function factorsOf(N: number): [number, number] | null {
  if (N < MIN_N) return null;
  let n1 = Math.floor(Math.sqrt(N));
  while (N % n1) n1--;
  return n1 >= 8 ? [n1, N / n1] : null;
}

/** Multiply-adds per row of the factored transform (the products only). */
export function factoredDhtMacsPerRow(n1: number, n2: number): number {
  return 4 * n1 * n2 * n1 + 2 * n1 * n2 * n2;
}

const TAU = 2 * Math.PI;

/** Step 1: [C | −S | −S | C], n1 × 4n1, C[a, k] = cos(2π·a·k/n1). */
function stepOneMatrix(n1: number): tf.Tensor2D {
  return cachedMatrix(`fdht-1:${n1}`, n1, 4 * n1, () => {
    const m = new Float64Array(n1 * 4 * n1);
    for (let a = 0; a < n1; a++)
      for (let k = 0; k < n1; k++) {
        const t = (TAU * ((a * k) % n1)) / n1;
        const row = a * 4 * n1;
        m[row + k] = Math.cos(t);
        m[row + n1 + k] = -Math.sin(t);
        m[row + 2 * n1 + k] = -Math.sin(t);
        m[row + 3 * n1 + k] = Math.cos(t);
      }
    return m;
  });
}

/**
 * Step 2's table, [n2, 2·2n1] read as [n2, 2, 2n1]: for [Re A | Im A] the factors [cos θ | cos θ], for
 * the swapped [Im A | Re A] the factors [sin θ | −sin θ], θ = 2π·b·k1/N. Summing the two products gives
 * [Re B | Im B].
 */
function twiddleTable(n1: number, n2: number): tf.Tensor2D {
  const N = n1 * n2;
  return cachedMatrix(`fdht-2:${n1}x${n2}`, n2, 4 * n1, () => {
    const m = new Float64Array(n2 * 4 * n1);
    for (let b = 0; b < n2; b++)
      for (let k = 0; k < n1; k++) {
        const t = (TAU * ((b * k) % N)) / N;
        const row = b * 4 * n1;
        m[row + k] = Math.cos(t);
        m[row + n1 + k] = Math.cos(t);
        m[row + 2 * n1 + k] = Math.sin(t);
        m[row + 3 * n1 + k] = -Math.sin(t);
      }
    return m;
  });
}

/** Step 3: rows (s, b) → k2, 2n2 × n2: cas φ for Re B, −(cos φ − sin φ) for Im B, over √N. */
function stepThreeMatrix(n1: number, n2: number): tf.Tensor2D {
  const scale = 1 / Math.sqrt(n1 * n2);
  return cachedMatrix(`fdht-3:${n1}x${n2}`, 2 * n2, n2, () => {
    const m = new Float64Array(2 * n2 * n2);
    for (let b = 0; b < n2; b++)
      for (let k = 0; k < n2; k++) {
        const t = (TAU * ((b * k) % n2)) / n2;
        m[b * n2 + k] = (Math.cos(t) + Math.sin(t)) * scale;
        m[(n2 + b) * n2 + k] = -(Math.cos(t) - Math.sin(t)) * scale;
      }
    return m;
  });
}

/** Step 1 without the swapped half: [C | −S], n1 × 2n1. */
function stepOneHalfMatrix(n1: number): tf.Tensor2D {
  return cachedMatrix(`fdht-1h:${n1}`, n1, 2 * n1, () => {
    const m = new Float64Array(n1 * 2 * n1);
    for (let a = 0; a < n1; a++)
      for (let k = 0; k < n1; k++) {
        const t = (TAU * ((a * k) % n1)) / n1;
        m[a * 2 * n1 + k] = Math.cos(t);
        m[a * 2 * n1 + n1 + k] = -Math.sin(t);
      }
    return m;
  });
}

/**
 * Steps 2 and 3 in one matrix per k1, [n1, 2n2, n2]: with k = k1 + n1·k2 and ψ = 2π·b·k/N, the twiddled
 * DHT sum works out to H[k] = Σ_b Re A[b, k1]·cas ψ + Im A[b, k1]·(sin ψ − cos ψ), over √N.
 */
function foldedMatrices(n1: number, n2: number): tf.Tensor3D {
  const N = n1 * n2;
  const scale = 1 / Math.sqrt(N);
  const flat = cachedMatrix(`fdht-f:${n1}x${n2}`, n1 * 2 * n2, n2, () => {
    const m = new Float64Array(n1 * 2 * n2 * n2);
    for (let k1 = 0; k1 < n1; k1++)
      for (let b = 0; b < n2; b++)
        for (let k2 = 0; k2 < n2; k2++) {
          const t = (TAU * ((b * (k1 + n1 * k2)) % N)) / N;
          const re = (k1 * 2 * n2 + b) * n2 + k2;
          const im = (k1 * 2 * n2 + n2 + b) * n2 + k2;
          m[re] = (Math.cos(t) + Math.sin(t)) * scale;
          m[im] = (Math.sin(t) - Math.cos(t)) * scale;
        }
    return m;
  });
  return tf.reshape(flat, [n1, 2 * n2, n2]);
}

/**
 * Orthonormal 1-D DHT of each row of `rows` [R, n1·n2]. On wasm, steps 2 and 3 are a twiddle and one
 * plain 2-D product (XNNPACK's fast path; its batched products are a slow loop). Elsewhere the twiddle
 * is folded into step 3 as one batched product over k1 — fewer passes over the data, and step 1 needs
 * only [C | −S] (measured on the cpu backend in `npm run bench -- hartley-vs-fft`).
 */
export function factoredDhtRows(rows: tf.Tensor2D, n1: number, n2: number): tf.Tensor2D {
  return tf.getBackend() === 'wasm' ? twiddledDhtRows(rows, n1, n2) : foldedDhtRows(rows, n1, n2);
}

function foldedDhtRows(rows: tf.Tensor2D, n1: number, n2: number): tf.Tensor2D {
  const [R] = rows.shape;
  return tf.tidy(() => {
    const xa = tf.reshape(tf.transpose(tf.reshape(rows, [R, n1, n2]), [0, 2, 1]), [R * n2, n1]);
    // [R, n2 (b), 2 (s), n1 (k1)] → [n1, R, (s, b)].
    const a = tf.reshape(tf.matMul(xa, stepOneHalfMatrix(n1)), [R, n2, 2, n1]);
    const byK1 = tf.reshape(tf.transpose(a, [3, 0, 2, 1]), [n1, R, 2 * n2]);
    // [n1 (k1), R, n2 (k2)] → output index k1 + n1·k2, i.e. [R, k2, k1].
    const h = tf.matMul(byK1, foldedMatrices(n1, n2));
    return tf.reshape(tf.transpose(h, [1, 2, 0]), [R, n1 * n2]) as tf.Tensor2D;
  });
}

function twiddledDhtRows(rows: tf.Tensor2D, n1: number, n2: number): tf.Tensor2D {
  const [R] = rows.shape;
  return tf.tidy(() => {
    // Rows (r, b), columns a.
    const xa = tf.reshape(tf.transpose(tf.reshape(rows, [R, n1, n2]), [0, 2, 1]), [R * n2, n1]);
    // [R, n2, 2, 2n1]: [Re A | Im A] and [Im A | Re A].
    const a = tf.reshape(tf.matMul(xa, stepOneMatrix(n1)), [R, n2, 2, 2 * n1]);
    // [R, n2, 2n1] = [Re B | Im B], columns (s, k1).
    const b = tf.sum(tf.mul(a, tf.reshape(twiddleTable(n1, n2), [n2, 2, 2 * n1])), 2);
    // Rows (r, k1), columns (s, b).
    const rowsK1 = tf.reshape(tf.transpose(tf.reshape(b, [R, n2, 2, n1]), [0, 3, 2, 1]), [R * n1, 2 * n2]);
    // [R, k1, k2] → output index k1 + n1·k2, i.e. [R, k2, k1].
    const h = tf.reshape(tf.matMul(rowsK1, stepThreeMatrix(n1, n2)), [R, n1, n2]);
    return tf.reshape(tf.transpose(h, [0, 2, 1]), [R, n1 * n2]) as tf.Tensor2D;
  });
}
