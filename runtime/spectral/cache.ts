/**
 * The transforms' constant matrices as float32 tensors, built from float64 data on first use and kept
 * alive (tf.keep) until disposeSpectralCache().
 */
import * as tf from '@tensorflow/tfjs';

const matrixCache = new Map<string, tf.Tensor2D>();

/**
 * Returns the cached float32 tensor for `key`, building it from float64 data on first use.
 * tf.keep stops an enclosing tf.tidy (the caller's) from disposing it.
 */
export function cachedMatrix(key: string, rows: number, cols: number, fill: () => Float64Array): tf.Tensor2D {
  let m = matrixCache.get(key);
  if (!m) {
    m = tf.keep(tf.tensor2d(Float32Array.from(fill()), [rows, cols], 'float32'));
    matrixCache.set(key, m);
  }
  return m;
}

/**
 * Disposes every cached matrix tensor (they are rebuilt on next use). For tests and for freeing
 * memory when a model is torn down.
 */
export function disposeSpectralCache(): void {
  for (const m of matrixCache.values()) m.dispose();
  matrixCache.clear();
}

/** Number of matrix tensors currently cached (for leak tests). */
export function spectralCacheSize(): number {
  return matrixCache.size;
}
