/**
 * Matrix products on the wasm backend with the fused module's GEMM (`gemm-wat.ts`, ADR 0008), for the
 * BatchMatMul and _FusedMatMul replacements in `wasm-kernels.ts`.
 *
 * Why not XNNPACK, which wasm calls: tfjs 4.22's build has no relaxed-SIMD kernels, so every multiply-add
 * is a multiply and an add (8–12 GMAC/s on one core here), and it packs B on every call at 3–6 ns a
 * float, since in training B is always a new tensor. Ours uses fused multiply-adds where the engine has
 * relaxed SIMD (~2× the rate) and packs B in one vector pass; transposed operands are only other strides,
 * so nothing is transposed first.
 *
 * A product is cut into blocks of KC steps × NC columns, so that a block of packed B (128 KiB) stays in
 * the L2 cache while every row of A passes it; blocks after the first KC steps add into C.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedGemm, heapOffset, type WasmBackendLike } from './fused-kernels';

const KC = 256;
const NC = 128;

/** A matrix in wasm memory: element (i, j) at `at + i·si + j·sj` bytes. */
interface Strided {
  at: number;
  si: number;
  sj: number;
}

/** C = A·B (+ bias) for A [m, k], B [k, n] as strided matrices; B is packed here unless `packed` is given. */
function product(
  be: WasmBackendLike,
  A: Strided,
  B: Strided,
  C: Strided,
  [m, k, n]: [number, number, number],
  bias = 0,
  packed?: number,
): void {
  const mod = fusedGemm();
  let pack: tf.TensorInfo | null = null;
  let pb = packed;
  if (pb == null) {
    pack = be.makeOutput([Math.ceil(n / 8) * 8 * k], 'float32');
    pb = heapOffset(be, pack);
    mod.pack_b(B.at, B.si, B.sj, pb, k, n);
  }
  const ps = 32 * k; // bytes per packed panel
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = Math.min(KC, k - k0);
    for (let n0 = 0; n0 < n; n0 += NC) {
      mod.gemm(
        ...[A.at + k0 * A.sj, A.si, A.sj],
        ...[pb + (n0 / 8) * ps + 32 * k0, ps],
        ...[C.at + n0 * C.sj, C.si, C.sj],
        ...[m, kc, Math.min(NC, n - n0)],
        k0 === 0 && bias !== 0 ? bias + 4 * n0 : 0,
        k0 === 0 ? 0 : 1,
      );
    }
  }
  if (pack) be.disposeData(pack.dataId);
}

/** Bytes B's packing costs, roughly: a contiguous row of 8 is one vector copy, anything else 8 loads. */
const packCost = (k: number, n: number, contiguous: boolean) => k * n * (contiguous ? 1 : 3);

/**
 * a·b as BatchMatMul defines it (operands of rank ≥ 2, optionally transposed, float32), plus an optional
 * bias of n floats added to every row: a new tensor of `backend`, or null when this cannot run it (the
 * fused module is not live, broadcast batches other than a shared b or a shared a, an empty dimension,
 * other dtypes), for the caller's fallback.
 */
export function gemmMatMul(
  backend: unknown,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias?: tf.TensorInfo,
): tf.TensorInfo | null {
  const be = backend as WasmBackendLike;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2 || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const [m, k] = transposeA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const [kb, n] = transposeB ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
  if (k !== kb || m === 0 || n === 0 || k === 0) return null;
  if (bias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== n)) return null;
  const batchShapeA = a.shape.slice(0, -2);
  const batchShapeB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(batchShapeA);
  const batchB = tf.util.sizeFromShape(batchShapeB);
  const sameBatch =
    batchShapeA.length === batchShapeB.length && batchShapeA.every((d, i) => d === batchShapeB[i]);
  if (!(batchA === 1 || batchB === 1 || sameBatch)) return null;
  const outBatch = tf.backend_util.assertAndGetBroadcastShape(batchShapeA, batchShapeB);
  const c = be.makeOutput([...outBatch, m, n], 'float32');
  const [aAt, bAt, cAt] = [a, b, c].map((t) => heapOffset(be, t));
  const biasAt = bias ? heapOffset(be, bias) : 0;
  const A = transposeA ? { si: 4, sj: 4 * m } : { si: 4 * k, sj: 4 };
  const B = transposeB ? { si: 4, sj: 4 * k } : { si: 4 * n, sj: 4 };
  const C = { si: 4 * n, sj: 4 };

  if (batchB === 1 && !transposeA) {
    // All of a's batch shares b: one product of batchA·m rows. When A is the smaller operand to pack,
    // Cᵀ = Bᵀ·Aᵀ instead (a weight gradient xᵀ·dy with many rows and few columns), its stores strided.
    const rows = batchA * m;
    const direct = packCost(k, n, B.sj === 4);
    const swapped = packCost(k, rows, A.si === 4) + 2 * rows * n * Math.ceil(k / KC);
    if (bias == null && swapped < direct)
      product(
        be,
        { at: bAt, si: B.sj, sj: B.si },
        { at: aAt, si: A.sj, sj: A.si },
        { at: cAt, si: C.sj, sj: C.si },
        [n, k, rows],
      );
    else product(be, { at: aAt, ...A }, { at: bAt, ...B }, { at: cAt, ...C }, [rows, k, n], biasAt);
    return c;
  }
  // Batch by batch, into one packing buffer: b packed once when shared, else each batch's.
  const batches = Math.max(batchA, batchB);
  const pack = be.makeOutput([Math.ceil(n / 8) * 8 * k], 'float32');
  const pb = heapOffset(be, pack);
  if (k <= KC && n <= NC) {
    // Products that fit one cache block (attention's heads): the whole loop in one call.
    fusedGemm().gemm_batched(
      ...[aAt, batchA === 1 ? 0 : 4 * m * k, A.si, A.sj],
      ...[bAt, batchB === 1 ? 0 : 4 * k * n, B.si, B.sj, pb],
      ...[cAt, 4 * m * n, C.si, C.sj],
      ...[batches, m, k, n, biasAt],
    );
    be.disposeData(pack.dataId);
    return c;
  }
  for (let p = 0; p < batches; p++) {
    if (p === 0 || batchB > 1) fusedGemm().pack_b(bAt + 4 * p * k * n, B.si, B.sj, pb, k, n);
    product(
      be,
      { at: aAt + (batchA === 1 ? 0 : 4 * p * m * k), ...A },
      { at: 0, ...B },
      { at: cAt + 4 * p * m * n, ...C },
      [m, k, n],
      biasAt,
      pb,
    );
  }
  be.disposeData(pack.dataId);
  return c;
}
