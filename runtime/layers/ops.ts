/**
 * Tensor functions shared by the custom layers (eager tfjs ops; call them inside `tf.tidy`).
 * Channels are always the last axis; the batch is axis 0.
 */
import * as tf from '@tensorflow/tfjs';
import { spectralForward, spectralInverse } from '../spectral/transform';
import type { SpectralTransform } from '../spectral/transform';

/** `x @ kernel + bias` over the last axis, for inputs of any rank. */
export function linear(x: tf.Tensor, kernel: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1];
  const outDim = kernel.shape[1] as number;
  let y = tf.matMul(tf.reshape(x, [-1, inDim]), kernel as tf.Tensor2D);
  if (bias) y = tf.add(y, bias);
  return tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
}

/** LayerNorm over the last axis; fused on wasm (see the backend's fused kernels). */
export { layerNorm } from '../backend/fused-ops';

/** Exact GELU (erf form), as PyTorch's default; fused on wasm (see the backend's fused kernels). */
export { gelu } from '../backend/fused-ops';

/**
 * Depthwise convolution with 'same' padding and stride 1 for image tokens `[B,H,W,C]` (kernel `[k,k,C,1]`)
 * or sequences `[B,L,C]` (kernel `[1,k,C,1]`, run as a 1-row image).
 */
export function depthwise(x: tf.Tensor, kernel: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const seq = x.rank === 3;
  const x4 = (seq ? tf.expandDims(x, 1) : x) as tf.Tensor4D;
  let y: tf.Tensor = tf.depthwiseConv2d(x4, kernel as tf.Tensor4D, 1, 'same');
  if (bias) y = tf.add(y, bias);
  return seq ? tf.squeeze(y, [1]) : y;
}

/**
 * The global SSM: `T⁻¹(W ⊙ T(x))` with a real transform T (Hartley or DCT) over the token axes and a learned
 * real weight W of shape `[H,W,C]` (sequences: `[L,C]`, run as a 1-row image).
 */
export function spectralFilter(x: tf.Tensor, weight: tf.Tensor, transform: SpectralTransform): tf.Tensor {
  const seq = x.rank === 3;
  const x4 = (seq ? tf.expandDims(x, 1) : x) as tf.Tensor4D;
  const w = seq ? tf.expandDims(weight, 0) : weight;
  const y = spectralInverse(tf.mul(spectralForward(x4, transform), w) as tf.Tensor4D, transform);
  return seq ? tf.squeeze(y, [1]) : y;
}

/** Splits channels in half: `[first, second]`. */
export function splitChannels(x: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const [a, b] = tf.split(x, 2, -1);
  return [a, b];
}

/** Interleaves two equal tensors along channels: out[..., 2i] = a[..., i], out[..., 2i+1] = b[..., i]. */
export function interleaveChannels(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  // [a | b] viewed as [..., 2, C], swapped to [..., C, 2], flattened. (tf.stack's gradient, Unpack, is
  // slow on wasm; concat and transpose have cheap gradients everywhere.)
  const c = a.shape[a.shape.length - 1];
  const lead = a.shape.slice(0, -1);
  const pairs = tf.reshape(tf.concat([a, b], -1), [-1, 2, c]);
  return tf.reshape(tf.transpose(pairs, [0, 2, 1]), [...lead, 2 * c]);
}

/**
 * Multi-head attention of queries `q` `[B,Nq,C]` over keys/values `k`,`v` `[B,N,C]` with `heads` heads.
 * Returns `[B,Nq,C]` and, when asked, the attention weights `[B,heads,Nq,N]`.
 */
export function attend(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, heads: number): tf.Tensor {
  const [b, nq, c] = q.shape;
  const n = k.shape[1] as number;
  const d = c / heads;
  const split = (t: tf.Tensor, len: number) => tf.transpose(tf.reshape(t, [b, len, heads, d]), [0, 2, 1, 3]);
  const qh = tf.mul(split(q, nq), 1 / Math.sqrt(d));
  const attn = tf.softmax(tf.matMul(qh, split(k, n), false, true));
  const out = tf.matMul(attn, split(v, n));
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [b, nq, c]);
}

/** String hash → 31-bit seed, so each layer's initialiser gets its own repeatable seed. */
export function seedFrom(base: number | undefined, name: string): number | undefined {
  if (base === undefined) return undefined;
  let h = 2166136261 ^ base;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return (h >>> 0) % 2147483647;
}
