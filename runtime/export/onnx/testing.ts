/**
 * Helpers for export parity checks (the ONNX tests and `bench/onnx-presets.ts`), not used by the product:
 * seeded weights that exercise every path of a model, unlike its initial ones (BatchNorm statistics of
 * 0 and 1, zero biases, spectral weights of size 0.02 that leave the global SSM nearly silent).
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../data/bytes';

/**
 * Replaces every weight of `model` with seeded values: kernels uniform with unit-variance scaling (so
 * activations neither vanish nor explode through the blocks), spectral weights uniform in [−1, 1],
 * gammas in 1 ± 0.3, betas / biases / moving means in ±0.2, moving variances in [0.3, 1.1].
 */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const rand = mulberry32(seed);
  const u = () => rand() * 2 - 1;
  for (const layer of model.layers) {
    if (!layer.weights.length) continue;
    const values = layer.weights.map((w) => {
      const shape = w.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      // tfjs may suffix a reused variable name with _1, _2, …
      const name = w.name.slice(w.name.lastIndexOf('/') + 1).replace(/_\d+$/, '');
      let f: () => number;
      if (name === 'moving_variance') f = () => 0.7 + 0.4 * u();
      else if (name.endsWith('gamma')) f = () => 1 + 0.3 * u();
      else if (/beta$|bias$|^moving_mean$/.test(name)) f = () => 0.2 * u();
      else if (name === 'weight' || name === 'spectral_weight') f = u;
      else {
        // kernels: fan-in = every axis but the output one (depthwise [kh, kw, C, 1]: kh·kw)
        const fanIn = shape[shape.length - 1] === 1 ? shape[0] * shape[1] : n / shape[shape.length - 1];
        const scale = Math.sqrt(3 / fanIn);
        f = () => scale * u();
      }
      return tf.tensor(Float32Array.from({ length: n }, f), shape);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}
