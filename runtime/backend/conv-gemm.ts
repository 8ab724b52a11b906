/**
 * Convolutions as one GEMM each on the wasm backend (ADR 0008), for the Conv2D, FusedConv2D,
 * Conv2DBackpropFilter and Conv2DBackpropInput replacements in `wasm-kernels.ts`. With P = im2col(x),
 * the patch matrix [b·oh·ow, kh·kw·ci] (`gemm-wat.ts`), and the filter W as [kh·kw·ci, co]:
 *
 *   y = P·W (+ bias)      dW = Pᵀ·dy      dx = col2im(dy·Wᵀ)
 *
 * so all three run in the fused GEMM (`gemm.ts`). XNNPACK's convolutions run at 5–10 GMAC/s here (one
 * channel group of 16 at a time for the stem's convs, and without fused multiply-adds); the patch copy
 * costs less than the time the faster GEMM saves. A 1×1, stride-1, unpadded conv needs no patches.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedGemm, heapOffset, type WasmBackendLike } from './fused-kernels';
import { gemmMatMul } from './gemm';

/** The geometry of a conv, as `backend_util.computeConv2DInfo` gives it (NHWC). */
export type ConvInfo = tf.backend_util.Conv2DInfo;

/** Patch matrices above this many floats (256 MiB) are left to XNNPACK. */
const MAX_PATCH_FLOATS = 64 * 1024 * 1024;

/** [b·oh·ow, kh·kw·ci], the patch matrix's shape. */
const patchShape = (c: ConvInfo) => [
  c.batchSize * c.outHeight * c.outWidth,
  c.filterHeight * c.filterWidth * c.inChannels,
];

/** Whether the conv is a plain product of x's pixels with the filter (1×1, stride 1, no padding). */
const pointwise = (c: ConvInfo) =>
  c.filterHeight === 1 &&
  c.filterWidth === 1 &&
  c.strideHeight === 1 &&
  c.strideWidth === 1 &&
  c.padInfo.top === 0 &&
  c.padInfo.left === 0 &&
  c.outHeight === c.inHeight &&
  c.outWidth === c.inWidth;

/** Whether these kernels can run the conv: float32 NHWC data within the size limit, the module live. */
export function convGemmFits(info: ConvInfo, ...tensors: tf.TensorInfo[]): boolean {
  const [rows, cols] = patchShape(info);
  return (
    info.dataFormat === 'channelsLast' &&
    info.inChannels === info.filterShape?.[2] &&
    rows * cols <= MAX_PATCH_FLOATS &&
    tensors.every((t) => t.dtype === 'float32')
  );
}

/** The geometry arguments of the module's im2col/col2im. */
const patchDims = (c: ConvInfo) => [
  ...[c.batchSize, c.inHeight, c.inWidth, c.inChannels],
  ...[c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth],
  ...[c.padInfo.top, c.padInfo.left, c.outHeight, c.outWidth],
];

/** `t` seen with another shape (same data; for the GEMM's operands and for a result). */
const as = (t: tf.TensorInfo, shape: number[]): tf.TensorInfo => ({ ...t, shape });

/** The patch matrix of x (x itself, as a matrix, for a pointwise conv); `owned` when made here. */
function patches(
  be: WasmBackendLike,
  x: tf.TensorInfo,
  info: ConvInfo,
): { p: tf.TensorInfo; owned: boolean } {
  const shape = patchShape(info);
  if (pointwise(info)) return { p: as(x, shape), owned: false };
  const p = be.makeOutput(shape, 'float32');
  fusedGemm().im2col(heapOffset(be, x), heapOffset(be, p), ...patchDims(info));
  return { p, owned: true };
}

/** y [b, oh, ow, co] = conv(x, filter) (+ bias of co floats). Check `convGemmFits` first. */
export function convForward(
  backend: unknown,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: ConvInfo,
  bias?: tf.TensorInfo,
): tf.TensorInfo | null {
  const be = backend as WasmBackendLike;
  const { p, owned } = patches(be, x, info);
  const y = gemmMatMul(be, p, as(filter, [p.shape[1], info.outChannels]), false, false, bias);
  if (owned) be.disposeData(p.dataId);
  return y && as(y, info.outShape);
}

/** dW [kh, kw, ci, co] = Pᵀ·dy. Check `convGemmFits` first. */
export function convFilterGrad(
  backend: unknown,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: ConvInfo,
): tf.TensorInfo | null {
  const be = backend as WasmBackendLike;
  const { p, owned } = patches(be, x, info);
  const dw = gemmMatMul(be, p, as(dy, [p.shape[0], info.outChannels]), true, false);
  if (owned) be.disposeData(p.dataId);
  return dw && as(dw, info.filterShape);
}

/** dx [b, h, w, ci] = col2im(dy·Wᵀ). Check `convGemmFits` first. */
export function convInputGrad(
  backend: unknown,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: ConvInfo,
): tf.TensorInfo | null {
  const be = backend as WasmBackendLike;
  const [rows, cols] = patchShape(info);
  const grads = gemmMatMul(
    be,
    as(dy, [rows, info.outChannels]),
    as(filter, [cols, info.outChannels]),
    false,
    true,
  );
  if (grads == null || pointwise(info)) return grads && as(grads, info.inShape);
  const dx = be.makeOutput(info.inShape, 'float32');
  fusedGemm().col2im(heapOffset(be, dx), heapOffset(be, grads), ...patchDims(info));
  be.disposeData(grads.dataId);
  return dx;
}
