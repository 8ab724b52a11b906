/**
 * The GELU op and activation, and which fused kernels are live. Kept apart from `fused-kernels.ts` (which
 * compiles the WebAssembly with wabt) so that code bundled without it, such as the tfjs export's loader,
 * gets the same op with the composed fallback.
 */
import * as tf from '@tensorflow/tfjs';

export const GELU_KERNEL = 'HeraclesGelu';
export const GELU_GRAD_KERNEL = 'HeraclesGeluGrad';
export const ADAM_KERNEL = 'HeraclesAdam';
export const LAYER_NORM_KERNEL = 'HeraclesLayerNorm';
export const LAYER_NORM_DX_KERNEL = 'HeraclesLayerNormDx';
export const LAYER_NORM_DGAMMA_KERNEL = 'HeraclesLayerNormDgamma';

/** The wasm memory the fused kernels were compiled for (null: none). */
let fusedMemory: WebAssembly.Memory | null = null;

/** The wasm backend's memory object, when wasm is the active backend. */
export function wasmMemory(): WebAssembly.Memory | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  return (tf.backend() as unknown as { wasm: { asm?: { memory?: WebAssembly.Memory } } }).wasm.asm?.memory;
}

/** Called by `enableFusedKernels` once the kernels for this memory are registered. */
export function markFusedKernels(memory: WebAssembly.Memory | null): void {
  fusedMemory = memory;
}

/** Whether `gelu` runs the fused kernels right now. */
export function fusedKernelsActive(): boolean {
  return fusedMemory != null && wasmMemory() === fusedMemory;
}

/** Exact GELU (erf form), as PyTorch's default: x/2 · (1 + erf(x/√2)). */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && x.size >= 4 && fusedKernelsActive())
    return tf.engine().runKernel(GELU_KERNEL, { x }) as tf.Tensor;
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/**
 * LayerNorm over the last axis: (x − mean) / √(var + eps) · gamma + beta, with the biased variance (as
 * PyTorch); one fused kernel each way on wasm when the channel count is a multiple of 4.
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const c = x.shape[x.rank - 1];
  const fits = (t: tf.Tensor) => t.rank === 1 && t.shape[0] === c && t.dtype === 'float32';
  if (x.dtype === 'float32' && c % 4 === 0 && c > 0 && fits(gamma) && fits(beta) && fusedKernelsActive())
    return tf.engine().runKernel(LAYER_NORM_KERNEL, { x, gamma, beta }, { epsilon }) as tf.Tensor;
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
  });
}

/**
 * One Adam(W) step's numbers: b1, b2 the moment decays; c1 = 1 − b1ᵗ and c2 = 1 − b2ᵗ the bias
 * corrections; decay = lr·wd for AdamW's decoupled decay (else 0); l2 = wd for Adam's L2 (else 0).
 */
export interface AdamCoefficients {
  b1: number;
  b2: number;
  c1: number;
  c2: number;
  eps: number;
  lr: number;
  decay: number;
  l2: number;
}

/**
 * One fused Adam(W) step of weight `w` with gradient `g` and moments `m`, `s`: the new weight and moments
 * (new tensors), or null where the fused kernel cannot run (the caller then composes the update).
 */
export function fusedAdamStep(
  w: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  s: tf.Tensor,
  c: AdamCoefficients,
): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (w.size < 4 || [w, g, m, s].some((t) => t.dtype !== 'float32') || !fusedKernelsActive()) return null;
  return tf.engine().runKernel(ADAM_KERNEL, { w, g, m, s }, c as unknown as tf.NamedAttrMap) as unknown as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}

/** tfjs-layers' 'gelu' activation, with `gelu` above as its function. */
class GeluActivation extends tf.serialization.Serializable {
  static readonly className = 'gelu';
  apply(x: tf.Tensor): tf.Tensor {
    return gelu(x);
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}
tf.serialization.registerClass(GeluActivation);
