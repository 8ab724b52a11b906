/**
 * Tests for the matrix-product Hartley/DCT transforms.
 *
 * Ground truth is float64 and evaluated straight from the definitions (`*Ref` in matrices.ts and
 * `idct2dRef` below), so these tests do not just re-check the fast code against itself.
 * Run: npx vitest run runtime/spectral
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markFusedKernels, wasmMemory } from '../backend/fused-ops';
import { initNodeBackend, type NodeBackend } from '../backend/node';
import { casMatrix, cosMatrix, dct2dRef, dctMatrix, dht1dRef, dht2dRef, sinMatrix } from './matrices';
import {
  disposeSpectralCache,
  spectral1d,
  spectralCacheSize,
  spectralForward,
  spectralInverse,
  spectralMacs,
  type SpectralTransform,
} from './transform';
import { randomArray } from '../../tests/unit/helpers';
import { factorsOf } from './factored';

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Row-major float64 matrix product of (r × k) and (k × c). */
function matmul64(a: Float64Array, b: Float64Array, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) {
      let acc = 0;
      for (let t = 0; t < k; t++) acc += a[i * k + t] * b[t * c + j];
      out[i * c + j] = acc;
    }
  return out;
}

/** Inverse orthonormal 2-D DCT (a DCT-III) from its definition, float64. */
function idct2dRef(y: ArrayLike<number>, M: number, N: number): Float64Array {
  const s = (k: number, L: number) => (k === 0 ? Math.sqrt(1 / L) : Math.sqrt(2 / L));
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let u = 0; u < M; u++)
        for (let v = 0; v < N; v++)
          acc +=
            s(u, M) *
            s(v, N) *
            y[u * N + v] *
            Math.cos((Math.PI * u * (2 * m + 1)) / (2 * M)) *
            Math.cos((Math.PI * v * (2 * n + 1)) / (2 * N));
      out[m * N + n] = acc;
    }
  return out;
}

/** Reference for [B, H, W, C] data: applies a 2-D (or per-row 1-D) float64 map per (b, c). */
type Plane = (x: Float64Array, H: number, W: number) => Float64Array;

const planeRefs: Record<'dht2d' | 'dct' | 'idct' | 'dht1d', Plane> = {
  dht2d: (x, H, W) => dht2dRef(x, H, W),
  dct: (x, H, W) => dct2dRef(x, H, W),
  idct: (x, H, W) => idct2dRef(x, H, W),
  dht1d: (x, H, W) => {
    const out = new Float64Array(H * W);
    for (let h = 0; h < H; h++) out.set(dht1dRef(x.subarray(h * W, (h + 1) * W), W), h * W);
    return out;
  },
};

function referenceBHWC(x: ArrayLike<number>, shape: number[], plane: Plane): Float64Array {
  const [B, H, W, C] = shape;
  const out = new Float64Array(B * H * W * C);
  const buf = new Float64Array(H * W);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < H * W; i++) buf[i] = x[(b * H * W + i) * C + c];
      const y = plane(buf, H, W);
      for (let i = 0; i < H * W; i++) out[(b * H * W + i) * C + c] = y[i];
    }
  return out;
}

/** References are slow for 56×56, so compute each one once and reuse it on both backends. */
const refMemo = new Map<string, Float64Array>();
function memoRef(key: string, make: () => Float64Array): Float64Array {
  let r = refMemo.get(key);
  if (!r) {
    r = make();
    refMemo.set(key, r);
  }
  return r;
}

const TOL = 1e-5;

// Shapes [B, H, W, C]: non-square, square, and one 56×56 single-channel image.
const SHAPES: number[][] = [
  [2, 7, 5, 3],
  [1, 5, 7, 2],
  [2, 14, 14, 2],
  [1, 56, 56, 1],
  [1, 1, 9, 2], // H = 1: the 2-D DHT degenerates to the 1-D DHT along W
];

const forwardPlane: Record<SpectralTransform, Plane> = {
  dht2d: planeRefs.dht2d,
  dct: planeRefs.dct,
  dht1d: planeRefs.dht1d,
};
const inversePlane: Record<SpectralTransform, Plane> = {
  dht2d: planeRefs.dht2d,
  dct: planeRefs.idct,
  dht1d: planeRefs.dht1d,
};
const TRANSFORMS: SpectralTransform[] = ['dht2d', 'dct', 'dht1d'];

// ------------------------------------------------------------------------------------------
// Pure float64 checks of the matrices and of the separable identity (no tf)
// ------------------------------------------------------------------------------------------

describe('matrices (float64)', () => {
  it.each([1, 2, 5, 8, 56])('cas(%i) is symmetric and its own inverse', (N) => {
    const H = casMatrix(N);
    expect(maxAbsDiff(H, transposedRef(H, N))).toBeLessThan(1e-15);
    expect(maxAbsDiff(matmul64(H, H, N, N, N), identity(N))).toBeLessThan(1e-12);
  });

  it.each([1, 3, 8, 56])('dct(%i) is orthogonal (D·Dᵀ = I)', (N) => {
    const D = dctMatrix(N);
    expect(maxAbsDiff(matmul64(D, transposedRef(D, N), N, N, N), identity(N))).toBeLessThan(1e-12);
  });

  it('cas = cos + sin, and the 1-D matrix product equals dht1dRef', () => {
    const N = 11;
    const C = cosMatrix(N);
    const S = sinMatrix(N);
    const H = casMatrix(N);
    for (let i = 0; i < N * N; i++) expect(H[i]).toBeCloseTo(C[i] + S[i], 14);
    const x = Float64Array.from(randomArray(N, 1));
    expect(maxAbsDiff(matmul64(H, x, N, N, 1), dht1dRef(x, N))).toBeLessThan(1e-13);
  });

  it.each([
    [7, 5],
    [4, 4],
    [1, 6],
    [9, 2],
  ])('true 2-D DHT = CAS_M·X·C_N + (C_M − S_M)·X·S_N  (M=%i, N=%i)', (M, N) => {
    const x = Float64Array.from(randomArray(M * N, 2));
    const casM = casMatrix(M);
    const cM = cosMatrix(M);
    const sM = sinMatrix(M);
    const cN = cosMatrix(N);
    const sN = sinMatrix(N);
    const cMinusS = cM.map((v, i) => v - sM[i]);
    const a = matmul64(matmul64(casM, x, M, M, N), cN, M, N, N);
    const b = matmul64(matmul64(cMinusS, x, M, M, N), sN, M, N, N);
    const separable = a.map((v, i) => v + b[i]);
    expect(maxAbsDiff(separable, dht2dRef(x, M, N))).toBeLessThan(1e-13);
    // ... and it is NOT the naive separable cas_M·X·cas_N (heracles.md warns about this), except
    // in degenerate sizes where one axis has length ≤ 2 (there sin ≡ 0 on that axis).
    if (M > 2 && N > 2) {
      const naive = matmul64(matmul64(casM, x, M, M, N), casMatrix(N), M, N, N);
      expect(maxAbsDiff(naive, dht2dRef(x, M, N))).toBeGreaterThan(1e-3);
    }
  });

  it('2-D DHT reference is its own inverse; idct2dRef inverts dct2dRef', () => {
    const [M, N] = [6, 5];
    const x = Float64Array.from(randomArray(M * N, 3));
    expect(maxAbsDiff(dht2dRef(dht2dRef(x, M, N), M, N), x)).toBeLessThan(1e-13);
    expect(maxAbsDiff(idct2dRef(dct2dRef(x, M, N), M, N), x)).toBeLessThan(1e-13);
  });

  it('matrices are cached per N', () => {
    expect(casMatrix(12)).toBe(casMatrix(12));
    expect(dctMatrix(12)).toBe(dctMatrix(12));
    expect(() => casMatrix(0)).toThrow();
  });
});

function identity(N: number): Float64Array {
  const I = new Float64Array(N * N);
  for (let i = 0; i < N; i++) I[i * N + i] = 1;
  return I;
}

function transposedRef(m: Float64Array, N: number): Float64Array {
  const t = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) t[j * N + i] = m[i * N + j];
  return t;
}

// ------------------------------------------------------------------------------------------
// tf transforms, on both Node backends
// ------------------------------------------------------------------------------------------

/** Forward outputs per backend, for the cross-backend comparison at the end. */
const outputsByBackend = new Map<string, Map<string, Float32Array>>();

// wasm runs both layouts (see "Layout" in transform.ts): batched products with the fused kernels on,
// transposes and 2-D products with them off.
describe.each<[string, NodeBackend, boolean]>([
  ['cpu', 'cpu', true],
  ['wasm', 'wasm', true],
  ['wasm, fused kernels off', 'wasm', false],
])('spectral transforms on %s', (label, backend, fused) => {
  beforeAll(async () => {
    await initNodeBackend(backend);
    if (!fused) markFusedKernels(null);
    outputsByBackend.set(label, new Map());
  });
  it('runs on the requested backend', () => {
    expect(tf.getBackend()).toBe(backend);
  });
  afterAll(() => {
    if (!fused) markFusedKernels(wasmMemory() ?? null);
    disposeSpectralCache();
  });

  describe.each(TRANSFORMS)('%s', (transform) => {
    it.each(SHAPES)('forward matches the float64 definition for [%i, %i, %i, %i]', (B, H, W, C) => {
      const shape = [B, H, W, C];
      const data = randomArray(B * H * W * C, 10 + H * 7 + W);
      const ref = memoRef(`${transform}-fwd-${shape}`, () =>
        referenceBHWC(data, shape, forwardPlane[transform]),
      );
      const x = tf.tensor4d(data, [B, H, W, C]);
      const y = spectralForward(x, transform);
      expect(y.shape).toEqual(shape);
      const got = y.dataSync() as Float32Array;
      expect(maxAbsDiff(got, ref)).toBeLessThan(TOL);
      outputsByBackend.get(label)!.set(`${transform}-${shape}`, Float32Array.from(got));
      tf.dispose([x, y]);
    });

    it.each(SHAPES)('inverse matches the float64 definition for [%i, %i, %i, %i]', (B, H, W, C) => {
      const shape = [B, H, W, C];
      const data = randomArray(B * H * W * C, 20 + H * 7 + W);
      const ref = memoRef(`${transform}-inv-${shape}`, () =>
        referenceBHWC(data, shape, inversePlane[transform]),
      );
      const x = tf.tensor4d(data, [B, H, W, C]);
      const y = spectralInverse(x, transform);
      expect(maxAbsDiff(y.dataSync(), ref)).toBeLessThan(TOL);
      tf.dispose([x, y]);
    });

    it.each(SHAPES)('inverse(forward(x)) = x for [%i, %i, %i, %i]', (B, H, W, C) => {
      const data = randomArray(B * H * W * C, 30 + H);
      const x = tf.tensor4d(data, [B, H, W, C]);
      const back = tf.tidy(() => spectralInverse(spectralForward(x, transform), transform));
      expect(maxAbsDiff(back.dataSync(), data)).toBeLessThan(TOL);
      tf.dispose([x, back]);
    });

    it.each([
      ['forward', spectralForward],
      ['inverse', spectralInverse],
    ] as const)('%s: custom gradient equals float64 finite differences', (direction, fn) => {
      // Scalar loss L(x) = Σ f(x)·r. Since f is linear, dL/dx = fᵀ(r), which is what the custom
      // gradient computes; the check below does not assume that and differentiates numerically.
      const shape = [2, 3, 5, 2];
      const [B, H, W, C] = shape;
      const n = B * H * W * C;
      const xData = randomArray(n, 40);
      const rData = randomArray(n, 41);
      const x = tf.tensor4d(xData, [B, H, W, C]);
      const r = tf.tensor4d(rData, [B, H, W, C]);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fn(v as tf.Tensor4D, transform), r)));
      const grad = g(x);
      expect(grad.shape).toEqual(shape);

      const plane = direction === 'forward' ? forwardPlane[transform] : inversePlane[transform];
      const loss = (v: Float64Array): number => {
        const y = referenceBHWC(v, shape, plane);
        let s = 0;
        for (let i = 0; i < n; i++) s += y[i] * rData[i];
        return s;
      };
      const h = 1e-3;
      const numeric = new Float64Array(n);
      const v = Float64Array.from(xData);
      for (let i = 0; i < n; i++) {
        const keep = v[i];
        v[i] = keep + h;
        const up = loss(v);
        v[i] = keep - h;
        const down = loss(v);
        v[i] = keep;
        numeric[i] = (up - down) / (2 * h);
      }
      expect(maxAbsDiff(grad.dataSync(), numeric)).toBeLessThan(TOL);
      tf.dispose([x, r, grad]);
    });

    it('does not leak tensors over repeated calls (forward, inverse, gradient)', () => {
      const x = tf.tensor4d(randomArray(2 * 6 * 4 * 3, 50), [2, 6, 4, 3]);
      const g = tf.grad((v: tf.Tensor) =>
        tf.sum(tf.square(spectralInverse(spectralForward(v as tf.Tensor4D, transform), transform))),
      );
      const once = () => {
        const y = spectralForward(x, transform);
        const z = spectralInverse(y, transform);
        const d = g(x);
        tf.dispose([y, z, d]);
      };
      once(); // warm-up: creates the cached matrices for these sizes
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) once();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });
  });

  it('dht2d with H = 1 equals dht1d', () => {
    const x = tf.tensor4d(randomArray(2 * 1 * 10 * 3, 60), [2, 1, 10, 3]);
    const a = spectralForward(x, 'dht2d');
    const b = spectralForward(x, 'dht1d');
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeLessThan(TOL);
    tf.dispose([x, a, b]);
  });

  // 257 is prime (direct product); 300 (15 × 20) and 1024 (32 × 32) take the factored transform.
  it.each([7, 16, 96, 257, 300, 1024])(
    'spectral1d over axis 1 of [B, L, C] matches dht1dRef (L = %i)',
    (L) => {
      const [B, C] = [3, 2];
      const data = randomArray(B * L * C, 70 + L);
      const x = tf.tensor3d(data, [B, L, C]);
      const y = spectral1d(x);
      expect(y.shape).toEqual([B, L, C]);
      const got = y.dataSync();
      const line = new Float64Array(L);
      for (let b = 0; b < B; b++)
        for (let c = 0; c < C; c++) {
          for (let l = 0; l < L; l++) line[l] = data[(b * L + l) * C + c];
          const ref = dht1dRef(line, L);
          for (let l = 0; l < L; l++) expect(Math.abs(got[(b * L + l) * C + c] - ref[l])).toBeLessThan(TOL);
        }
      const back = spectral1d(y);
      expect(maxAbsDiff(back.dataSync(), data)).toBeLessThan(TOL);
      // Gradient of Σ spectral1d(x)·r is spectral1d(r) (the 1-D DHT matrix is symmetric).
      const r = tf.tensor3d(randomArray(B * L * C, 80), [B, L, C]);
      const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(spectral1d(v as tf.Tensor3D), r)))(x);
      // [B, L, C] has the same memory layout as [B, 1, L, C].
      const expected = referenceBHWC(r.dataSync(), [B, 1, L, C], planeRefs.dht1d);
      expect(maxAbsDiff(grad.dataSync(), expected)).toBeLessThan(TOL);
      tf.dispose([x, y, back, r, grad]);
    },
  );

  it('disposeSpectralCache frees exactly the cached matrices', () => {
    const x = tf.tensor4d(randomArray(1 * 3 * 4 * 1, 90), [1, 3, 4, 1]);
    tf.dispose(spectralForward(x, 'dht2d'));
    const cached = spectralCacheSize();
    expect(cached).toBeGreaterThan(0);
    const before = tf.memory().numTensors;
    disposeSpectralCache();
    expect(spectralCacheSize()).toBe(0);
    expect(tf.memory().numTensors).toBe(before - cached);
    // Still works afterwards: the matrices are rebuilt lazily.
    const y = spectralForward(x, 'dht2d');
    expect(spectralCacheSize()).toBeGreaterThan(0);
    tf.dispose([x, y]);
  });

  it('works inside tf.tidy (cached matrices survive the tidy)', () => {
    const x = tf.tensor4d(randomArray(1 * 5 * 5 * 2, 95), [1, 5, 5, 2]);
    disposeSpectralCache();
    const y = tf.tidy(() => spectralForward(x, 'dct'));
    const z = tf.tidy(() => spectralInverse(y, 'dct')); // reuses the matrices made in the first tidy
    expect(maxAbsDiff(z.dataSync(), x.dataSync())).toBeLessThan(TOL);
    tf.dispose([x, y, z]);
  });

  it('rejects wrong ranks and dtypes', () => {
    const x3 = tf.zeros([2, 3, 4]);
    const xi = tf.zeros([1, 2, 2, 1], 'int32');
    expect(() => spectralForward(x3 as unknown as tf.Tensor4D, 'dht2d')).toThrow(/rank-4/);
    expect(() => spectralInverse(xi as tf.Tensor4D, 'dct')).toThrow(/float32/);
    expect(() => spectral1d(tf.zeros([2, 3]) as unknown as tf.Tensor3D)).toThrow(/rank-3/);
    tf.dispose([x3, xi]);
  });
});

describe('cpu and wasm agree', () => {
  it('forward outputs match between backends', () => {
    const cpu = outputsByBackend.get('cpu');
    const wasm = outputsByBackend.get('wasm');
    expect(outputsByBackend.get('wasm, fused kernels off')?.size).toBe(cpu?.size);
    expect(cpu && wasm).toBeTruthy();
    expect(cpu!.size).toBe(TRANSFORMS.length * SHAPES.length);
    for (const [key, a] of cpu!) {
      const b = wasm!.get(key);
      expect(b, key).toBeDefined();
      // Same math, different summation order (XNNPACK vs a plain loop): float32 round-off only.
      expect(maxAbsDiff(a, b!), key).toBeLessThan(2e-6);
    }
  });
});

describe('factorsOf', () => {
  it('factors long rows as n1 × n2 with n1 the largest divisor up to √N, at least 8', () => {
    expect(factorsOf(1024)).toEqual([32, 32]);
    expect(factorsOf(512)).toEqual([16, 32]);
    expect(factorsOf(300)).toEqual([15, 20]);
    expect(factorsOf(96)).toBeNull(); // short: the direct product is cheap
    expect(factorsOf(257)).toBeNull(); // prime
    expect(factorsOf(2 * 257)).toBeNull(); // only 2 × 257
  });
});

describe('spectralMacs', () => {
  it('counts forward + inverse multiply-accumulates per sample', () => {
    expect(spectralMacs('dht2d', 56, 56, 32)).toBe(4 * (56 * 56 * 56 * 2) * 32);
    expect(spectralMacs('dct', 7, 5, 3)).toBe(2 * (7 * 7 * 5 + 7 * 5 * 5) * 3);
    expect(spectralMacs('dht1d', 1, 96, 8)).toBe(2 * 96 * 96 * 8);
    // Long rows are factored: 32 × 32 costs 4·1024·32 + 2·1024·32 per row instead of 1024².
    expect(spectralMacs('dht1d', 1, 1024, 1)).toBe(2 * 6 * 1024 * 32);
    expect(spectralMacs('dht1d', 1, 257, 1)).toBe(2 * 257 * 257);
  });
});
