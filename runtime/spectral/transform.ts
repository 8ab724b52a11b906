/**
 * Hartley (DHT) and cosine (DCT) transforms as matrix products, with a hand-written gradient.
 *
 * Why matrices and not tf.spectral: tfjs's FFT ops have no gradients and do not exist on the wasm
 * backend (see docs/platform.md). A length-N transform is just an N×N matrix, so we multiply by
 * precomputed matrices (built in float64 in `matrices.ts`, stored here as float32 tensors). That
 * runs on every backend and is exact to float32 round-off.
 *
 * Why `tf.customGrad`: every transform here is a fixed linear map y = T(x). The gradient of a linear
 * map is the transposed map, dx = Tᵀ(dy). We give tfjs that rule directly instead of letting it
 * differentiate through reshapes/transposes/matmuls (which would also compute useless gradients for
 * the constant matrices):
 *   - 2-D and 1-D DHT: T is symmetric (cas(2π(um/M + vn/N)) is unchanged when (u,v) and (m,n) are
 *     swapped), so Tᵀ = T: the backward pass is the same transform.
 *   - DCT: T is orthogonal, so Tᵀ = T⁻¹: the backward of the forward DCT is the inverse DCT and the
 *     backward of the inverse DCT is the forward DCT.
 *
 * Shapes: images are [B, H, W, C] (channels last, like the rest of tfjs-layers). 'dht2d' and 'dct'
 * transform over H and W; 'dht1d' only over W (sequences use H = 1, or `spectral1d` on [B, L, C]).
 * Scaling is orthonormal, so the DHT is exactly its own inverse and inverse(forward(x)) = x.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedKernelsActive } from '../backend/fused-ops';
import { cachedMatrix } from './cache';
import { factorsOf, factoredDhtMacsPerRow, factoredDhtRows } from './factored';
import { casMatrix, cosMatrix, dctMatrix, sinMatrix } from './matrices';

export { disposeSpectralCache, spectralCacheSize } from './cache';

export type SpectralTransform = 'dht2d' | 'dct' | 'dht1d';

// ---------------------------------------------------------------------------------------------
// Layout (how the products are laid out in tfjs), chosen by measurement.
//
// We need "multiply by a matrix along axis W" and "... along axis H" of a channels-last tensor.
// Variants measured for the forward 2-D DHT of x = [8, 56, 56, 32], Node 20, single thread,
// median of 7 runs (tfjs 4.22):
//
//   variant                                                          wasm       cpu
//   (a) no transposes: broadcast batched matmul, matrix on the left   181 ms    423 ms
//       ([1,2W,W] × [B·H, W, C], then [1,H,2H] × [B, 2H, W·C])
//   (b) 2-D matmuls, matrix on the RIGHT, 3 transposes                 23 ms    597 ms
//   (c) 2-D matmuls, matrix on the LEFT, 3 transposes                 144 ms    658 ms
//   (d) mixes of (a) and (b)                                        94-110 ms  530-575 ms
//
// That table is from XNNPACK's products: only a plain 2-D `rows × constant matrix` took its fast path,
// batched/broadcast products fell to wasm's slow loop. With the project's GEMM on wasm (ADR 0008),
// batched products with a shared operand run as one call of small products, and (a) wins everywhere
// (2026-12-08, A/B in one process on a loaded machine, transposes (b) → batched (a)):
//
//   x                 wasm forward   wasm gradient*   cpu forward   cpu gradient*
//   [8, 56, 56, 32]   29 → 19 ms     116 → 64 ms      728 → 550     4143 → 3166 ms
//   [32, 14, 14, 16]  3.1 → 2.1 ms   13.5 → 7.3 ms    46 → 26       248 → 92 ms
//   [32, 7, 7, 32]    1.8 → 0.2 ms   6.3 → 4.6 ms
//   (* of sum((inverse(forward(x)))²))
//
// So (a) it is on every backend, except wasm with the fused kernels off (then (b), for XNNPACK).
//
// (a), the 2-D transforms (p = 2 for the DHT, p = 1 for the DCT):
//   x [B,H,W,C] as [B·H, W, C];  Aᵀ (p·W × W) · each x[b,h]   -> [B·H, p·W, C] = [B, (h,s), (v,c)]
//   Bmᵀ (H × p·H) · each y[b] ([p·H, W·C])                    -> [B, H, W·C] = [B,H,W,C]
// (b):
//   x [B,H,W,C] --transpose--> [B,C,H,W] = rows (b,c,h) × W
//     × A  (W × p·W)                        -> [B,C,H,p,W]
//   --transpose--> [B,C,W,H,p] = rows (b,c,w) × (h,s)
//     × Bm (p·H × H)                        -> [B,C,W,H]
//   --transpose--> [B,H,W,C]
//
// The 2-D DHT in separable form (heracles.md, "The transforms, exactly"), with C, S the symmetric
// cos/sin matrices and CAS = C + S:
//   Y = CAS_H·X·C_W + (C_H − S_H)·X·S_W.
// The W step computes both X·C_W and X·S_W in ONE product with A = [C_W | S_W] (W × 2W). The H step
// then contracts over (h, s) at once with Bm whose row 2m+s is column m of CAS_H (s = 0) or of
// C_H − S_H (s = 1). So the 4-product formula costs two matmuls and no additions.
// ---------------------------------------------------------------------------------------------

/** Layout (a) above: not on wasm with the fused kernels off, whose batched products are a slow loop. */
const batchedLayout = () => tf.getBackend() !== 'wasm' || fusedKernelsActive();

/** Transpose of a row-major N×N float64 matrix. */
function transposed(m: Float64Array, N: number): Float64Array {
  const t = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) t[j * N + i] = m[i * N + j];
  return t;
}

/** DHT W-step matrix A = [C_N | S_N], N × 2N: A[n, s·N + v] = (s = 0 ? C : S)[v, n]. */
function dhtRightMatrix(N: number): tf.Tensor2D {
  return cachedMatrix(`dht-A:${N}`, N, 2 * N, () => {
    const c = cosMatrix(N);
    const s = sinMatrix(N);
    const a = new Float64Array(2 * N * N);
    for (let n = 0; n < N; n++) {
      for (let v = 0; v < N; v++) {
        // C and S are symmetric, so [v, n] = [n, v].
        a[n * 2 * N + v] = c[v * N + n];
        a[n * 2 * N + N + v] = s[v * N + n];
      }
    }
    return a;
  });
}

/** DHT H-step matrix Bm, 2M × M: Bm[2m + s, u] = (s = 0 ? CAS : C − S)[u, m]. */
function dhtLeftMatrix(M: number): tf.Tensor2D {
  return cachedMatrix(`dht-B:${M}`, 2 * M, M, () => {
    const cas = casMatrix(M);
    const c = cosMatrix(M);
    const s = sinMatrix(M);
    const b = new Float64Array(2 * M * M);
    for (let m = 0; m < M; m++) {
      for (let u = 0; u < M; u++) {
        b[2 * m * M + u] = cas[u * M + m];
        b[(2 * m + 1) * M + u] = c[u * M + m] - s[u * M + m];
      }
    }
    return b;
  });
}

/** 1-D DHT matrix (symmetric, so no transpose is needed to right-multiply). */
function casRightMatrix(N: number): tf.Tensor2D {
  return cachedMatrix(`cas:${N}`, N, N, () => casMatrix(N));
}

/**
 * DCT matrix to right-multiply with. Forward (`rows × Dᵀ` applies D to each row): Dᵀ.
 * Inverse (`rows × D` applies Dᵀ = D⁻¹ to each row): D.
 */
function dctRightMatrix(N: number, inverse: boolean): tf.Tensor2D {
  return inverse
    ? cachedMatrix(`dct:${N}`, N, N, () => dctMatrix(N))
    : cachedMatrix(`dctT:${N}`, N, N, () => transposed(dctMatrix(N), N));
}

/**
 * The shared 2-D pipeline (see "Layout" above): applies A along W, then Bm along (H, stack index).
 * `a` is W × p·W, `bm` is p·H × H.
 */
function apply2d(x: tf.Tensor4D, a: tf.Tensor2D, bm: tf.Tensor2D, p: number): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  if (batchedLayout())
    return tf.tidy(() => {
      // Channels last throughout: for each (b, h) Aᵀ·x[b, h] ([p·W, W]·[W, C]), then for each b
      // Bmᵀ·y[b] ([H, p·H]·[p·H, W·C]); y [B·H, p·W, C] is already [B, (h, s), (v, c)].
      const y = tf.matMul(a, tf.reshape(x, [B * H, W, C]), true, false);
      const z = tf.matMul(bm, tf.reshape(y, [B, H * p, W * C]), true, false);
      return tf.reshape(z, [B, H, W, C]) as tf.Tensor4D;
    });
  return tf.tidy(() => {
    // [B,H,W,C] -> [B,C,H,W]: each row is one (b, c, h) line along W.
    const rowsW = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [B * C * H, W]);
    const y = tf.matMul(rowsW, a); // [B·C·H, p·W]; column index s·W + v
    // [B·C, H, p, W] -> [B·C, W, H, p]: each row is one (b, c, v) line along (h, s).
    const rowsH = tf.reshape(tf.transpose(tf.reshape(y, [B * C, H, p, W]), [0, 3, 1, 2]), [B * C * W, H * p]);
    const z = tf.reshape(tf.matMul(rowsH, bm), [B, C, W, H]) as tf.Tensor4D;
    return tf.transpose(z, [0, 3, 2, 1]); // [B,C,W,H] -> [B,H,W,C]
  });
}

/** Plain (no custom gradient) 2-D DHT. Its own inverse and its own transpose. */
function dht2dRaw(x: tf.Tensor4D): tf.Tensor4D {
  const [, H, W] = x.shape;
  return apply2d(x, dhtRightMatrix(W), dhtLeftMatrix(H), 2);
}

/** Plain 2-D DCT: forward Y = D_H·X·D_Wᵀ, inverse X = D_Hᵀ·Y·D_W. */
function dctRaw(x: tf.Tensor4D, inverse: boolean): tf.Tensor4D {
  const [, H, W] = x.shape;
  // The H step right-multiplies rows along H, exactly like the W step, so it uses the same
  // matrix kind: Dᵀ for the forward, D for the inverse.
  return apply2d(x, dctRightMatrix(W, inverse), dctRightMatrix(H, inverse), 1);
}

/**
 * Plain 1-D DHT along W: cas_W·x[b, h] for each (b, h), channels last (layout (a); with (b): [B,H,W,C] ->
 * [B,H,C,W], rows × cas_W, and back; gradient of a heracles-ts-sized [448, 12, 64] 8.1 → 4.7 ms on wasm).
 * Long rows (W ≥ 256 with a factor ≥ 8) take the factored transform instead (`factored.ts`): the same
 * map in O(W^1.5) per row.
 */
function dht1dRaw(x: tf.Tensor4D): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const factors = factorsOf(W);
  if (!factors && batchedLayout())
    return tf.tidy(() => {
      // cas_W is symmetric: cas_Wᵀ·x[b, h] ([W, W]·[W, C]) for each (b, h), channels last throughout.
      const y = tf.matMul(casRightMatrix(W), tf.reshape(x, [B * H, W, C]), true, false);
      return tf.reshape(y, [B, H, W, C]) as tf.Tensor4D;
    });
  return tf.tidy(() => {
    const rows = tf.reshape(tf.transpose(x, [0, 1, 3, 2]), [B * H * C, W]) as tf.Tensor2D;
    const product = factors ? factoredDhtRows(rows, ...factors) : tf.matMul(rows, casRightMatrix(W));
    const y = tf.reshape(product, [B, H, C, W]) as tf.Tensor4D;
    return tf.transpose(y, [0, 1, 3, 2]);
  });
}

type LinearMap = (x: tf.Tensor4D) => tf.Tensor4D;

/**
 * Wraps a linear map in tf.customGrad: the value is `map(x)`, the gradient is `adjoint(dy)`
 * (the transposed map). The matrices are constants, so x is the only input that gets a gradient.
 */
function withAdjointGrad(map: LinearMap, adjoint: LinearMap): LinearMap {
  const op = tf.customGrad((x) => ({
    value: map(x as tf.Tensor4D),
    gradFunc: (dy: tf.Tensor4D) => adjoint(dy),
  }));
  return (x) => op(x) as tf.Tensor4D;
}

const dht2dOp = withAdjointGrad(dht2dRaw, dht2dRaw);
const dht1dOp = withAdjointGrad(dht1dRaw, dht1dRaw);
const dctForwardOp = withAdjointGrad(
  (x) => dctRaw(x, false),
  (dy) => dctRaw(dy, true),
);
const dctInverseOp = withAdjointGrad(
  (y) => dctRaw(y, true),
  (dx) => dctRaw(dx, false),
);

function checkInput(x: tf.Tensor, rank: number, fn: string): void {
  if (x.rank !== rank)
    throw new Error(`${fn} expects a rank-${rank} tensor, got shape [${x.shape.join(', ')}].`);
  if (x.dtype !== 'float32') throw new Error(`${fn} expects a float32 tensor, got ${x.dtype}.`);
}

/**
 * Forward transform of x [B, H, W, C]: 'dht2d' and 'dct' over H and W, 'dht1d' over W only.
 * Differentiable (matmul backward). Returns a new tensor of the same shape.
 */
export function spectralForward(x: tf.Tensor4D, transform: SpectralTransform): tf.Tensor4D {
  checkInput(x, 4, 'spectralForward');
  switch (transform) {
    case 'dht2d':
      return dht2dOp(x);
    case 'dct':
      return dctForwardOp(x);
    case 'dht1d':
      return dht1dOp(x);
  }
}

/**
 * Inverse of `spectralForward`: spectralInverse(spectralForward(x, t), t) = x up to float32
 * round-off. For the DHTs this is the same transform (they are their own inverse).
 */
export function spectralInverse(x: tf.Tensor4D, transform: SpectralTransform): tf.Tensor4D {
  checkInput(x, 4, 'spectralInverse');
  switch (transform) {
    case 'dht2d':
      return dht2dOp(x);
    case 'dct':
      return dctInverseOp(x);
    case 'dht1d':
      return dht1dOp(x);
  }
}

/**
 * 1-D DHT of sequences x [B, L, C] along axis 1 (L). Its own inverse, differentiable.
 * Same as spectralForward on [B, 1, L, C] with 'dht1d'.
 */
export function spectral1d(x: tf.Tensor3D): tf.Tensor3D {
  checkInput(x, 3, 'spectral1d');
  const [B, L, C] = x.shape;
  return tf.tidy(() => tf.reshape(dht1dOp(tf.reshape(x, [B, 1, L, C])), [B, L, C]));
}

/**
 * Multiply-accumulates of forward + inverse for ONE sample of size H × W × C (for cost estimates).
 * A product (rows × K) · (K × K') costs rows·K·K' MACs.
 *   dht2d: W step (C·H rows) · W · 2W = 2·H·W²·C, H step (C·W rows) · 2H · H = 2·H²·W·C;
 *          forward 2·(H²W + HW²)·C, twice that with the inverse: 4·(H²W + HW²)·C.
 *   dct:   like dht2d without the stacked ×2: forward (H²W + HW²)·C, with inverse 2·(H²W + HW²)·C.
 *   dht1d: (H·C rows) · W · W per direction: 2·W²·H·C (less for long rows: see factored.ts).
 * The backward pass of each direction costs the same again (it is the transposed transform).
 */
export function spectralMacs(transform: SpectralTransform, H: number, W: number, C: number): number {
  switch (transform) {
    case 'dht2d':
      return 4 * (H * H * W + H * W * W) * C;
    case 'dct':
      return 2 * (H * H * W + H * W * W) * C;
    case 'dht1d': {
      const f = factorsOf(W);
      return 2 * (f ? factoredDhtMacsPerRow(...f) : W * W) * H * C;
    }
  }
}
