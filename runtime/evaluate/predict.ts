/**
 * Runs a model over a whole split in inference mode, in batches, and keeps the outputs as plain arrays.
 * The Evaluate panel asks several questions about the same predictions (the matrix, then a cell, then
 * another cell), so the last result per model and data is cached; a fingerprint of the weights makes a
 * model that trained further since then miss the cache instead of showing stale numbers.
 */
import * as tf from '@tensorflow/tfjs';
import type { SplitName, TaskData } from '../train/task-data';

export interface SplitPredictions {
  split: SplitName;
  count: number;
  /** `count · outputSize` model outputs (logits, or forecasts `[T, C]` per window). */
  outputs: Float32Array;
  outputSize: number;
  /** Classification: int labels (`count`); forecasting: targets (`count · T · C`). */
  targets: Int32Array | Float32Array;
}

const BATCH = 128;

interface CacheEntry {
  data: TaskData;
  split: SplitName;
  fingerprint: number;
  result: SplitPredictions;
}
const cache = new WeakMap<tf.LayersModel, CacheEntry>();

/** A cheap summary of every weight (one number): changes whenever training moved any of them. */
export async function weightsFingerprint(model: tf.LayersModel): Promise<number> {
  const s = tf.tidy(() => {
    let acc = tf.scalar(0);
    model.weights.forEach((w, i) => {
      const v = w.read();
      // Position-weighted so that swapping values between weights also changes it.
      acc = tf.add(acc, tf.mul(tf.sum(tf.mul(v, tf.cos(tf.range(0, v.size).reshape(v.shape)))), i + 1));
    });
    return acc;
  });
  // Asynchronous read: synchronous ones stall GPU backends (and break WebGPU in a worker).
  const out = (await s.data())[0];
  s.dispose();
  return out;
}

/** Checks a split name and index against the data; the message says what range is valid. */
export function checkSample(data: TaskData, split: SplitName, index: number, what = 'sample'): void {
  if (split !== 'train' && split !== 'val' && split !== 'test')
    throw new Error(`unknown split ${JSON.stringify(split)}: expected "train", "val" or "test"`);
  const n = data.size(split);
  if (!Number.isInteger(index) || index < 0 || index >= n)
    throw new Error(
      `${what} ${index} is outside the ${split} split: expected a whole number from 0 to ${n - 1} (${n} in all)`,
    );
}

export async function predictSplit(
  model: tf.LayersModel,
  data: TaskData,
  split: SplitName,
): Promise<SplitPredictions> {
  if (split !== 'train' && split !== 'val' && split !== 'test')
    throw new Error(`unknown split ${JSON.stringify(split)}: expected "train", "val" or "test"`);
  const fingerprint = await weightsFingerprint(model);
  const hit = cache.get(model);
  if (hit && hit.data === data && hit.split === split && hit.fingerprint === fingerprint) return hit.result;

  const n = data.size(split);
  const outputSize = (model.outputs[0].shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
  const outputs = new Float32Array(n * outputSize);
  const targets =
    data.task === 'classification' ? new Int32Array(n) : new Float32Array(n * data.horizon * data.channels);
  const perTarget = data.task === 'classification' ? 1 : data.horizon * data.channels;
  for (let start = 0; start < n; start += BATCH) {
    const idx = Array.from({ length: Math.min(BATCH, n - start) }, (_, i) => start + i);
    const { x, y } = data.batch(split, idx);
    const pred = tf.tidy(() => model.predict(x) as tf.Tensor);
    try {
      outputs.set((await pred.data()) as Float32Array, start * outputSize);
      targets.set((await y.data()) as Int32Array & Float32Array, start * perTarget);
    } finally {
      tf.dispose([x, y, pred]);
    }
  }
  const result: SplitPredictions = { split, count: n, outputs, outputSize, targets };
  cache.set(model, { data, split, fingerprint, result });
  return result;
}
