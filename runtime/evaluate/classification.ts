/**
 * Classification evaluation for the Evaluate panel: the confusion matrix (rows = true class, columns =
 * predicted), per-class precision/recall/F1, top-k accuracies, and the samples behind any matrix cell.
 * The numbers come from `runtime/train/metrics.ts`, the same code the trainer and `heracles eval` use.
 */
import type * as tf from '@tensorflow/tfjs';
import { classificationMetrics } from '../train/metrics';
import type { SplitName, TaskData } from '../train/task-data';
import type { CellSamples, ClassificationReport } from './protocol';
import { predictSplit, type SplitPredictions } from './predict';

function requireClassification(data: TaskData): void {
  if (data.task !== 'classification')
    throw new Error(
      `the data is for ${data.task}, not classification: ask for "forecast" or "window" instead`,
    );
}

/** Index of the largest logit of each sample. */
export function argmaxRows(p: SplitPredictions): Int32Array {
  const out = new Int32Array(p.count);
  const k = p.outputSize;
  for (let i = 0; i < p.count; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p.outputs[i * k + c] > p.outputs[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}

export async function evaluateClassification(
  model: tf.LayersModel,
  data: TaskData,
  split: SplitName,
): Promise<ClassificationReport> {
  requireClassification(data);
  const p = await predictSplit(model, data, split);
  const classes = data.classes;
  if (p.outputSize !== classes)
    throw new Error(
      `the model outputs ${p.outputSize} scores per sample but the data has ${classes} classes: ` +
        `set the classifier head's classes to ${classes} and train again`,
    );
  const m = classificationMetrics(p.outputs, p.targets as Int32Array, classes);
  const matrix = new Int32Array(classes * classes);
  m.confusion.forEach((row, t) => row.forEach((v, c) => (matrix[t * classes + c] = v)));
  const ks = [...new Set([1, 3, 5].map((k) => Math.min(k, classes)))];
  return {
    kind: 'classification',
    split,
    classNames: data.classNames.length === classes ? [...data.classNames] : names(classes),
    matrix,
    count: m.count,
    accuracy: m.accuracy,
    perClass: m.perClass.map((c, i) => ({ name: data.classNames[i] ?? String(i), ...c })),
    topK: ks.map((k) => ({ k, accuracy: m.topK[`top${k}`] ?? 0 })),
  };
}

const names = (n: number) => Array.from({ length: n }, (_, i) => String(i));

/**
 * The samples of a confusion-matrix cell: true class `trueClass` predicted as `predicted`, at most `limit`
 * of them (lowest indices first), with their pixels so the panel can draw them.
 */
export async function cellSamples(
  model: tf.LayersModel,
  data: TaskData,
  split: SplitName,
  trueClass: number,
  predicted: number,
  limit: number,
): Promise<CellSamples> {
  requireClassification(data);
  const k = data.classes;
  for (const [what, v] of [
    ['trueClass', trueClass],
    ['predicted', predicted],
  ] as const)
    if (!Number.isInteger(v) || v < 0 || v >= k)
      throw new Error(`${what} ${v} is not a class: expected a whole number from 0 to ${k - 1}`);
  if (!Number.isInteger(limit) || limit < 0)
    throw new Error(`limit ${limit} must be a whole number ≥ 0 (the most samples to return)`);
  const p = await predictSplit(model, data, split);
  const argmax = argmaxRows(p);
  const labels = p.targets as Int32Array;
  const all: number[] = [];
  for (let i = 0; i < p.count; i++) if (labels[i] === trueClass && argmax[i] === predicted) all.push(i);
  const indices = Int32Array.from(all.slice(0, limit));
  const [h, w, c] = data.inputShape;
  return {
    kind: 'cell',
    split,
    trueClass,
    predicted,
    total: all.length,
    indices,
    shape: [h, w ?? 1, c ?? 1],
    pixels: await samplePixels(data, split, indices),
  };
}

/**
 * The bytes of some samples. Read from the raw image set when the task data carries it; otherwise rebuilt
 * from the model input (pixels / 255) so any TaskData works.
 */
export async function samplePixels(
  data: TaskData,
  split: SplitName,
  indices: Int32Array,
): Promise<Uint8Array> {
  const per = data.inputShape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(indices.length * per);
  if (indices.length === 0) return out;
  const raw = data.images?.[split];
  if (raw) {
    indices.forEach((k, i) => out.set(raw.pixels.subarray(k * per, (k + 1) * per), i * per));
    return out;
  }
  const { x, y } = data.batch(split, indices);
  // Asynchronous read: synchronous ones stall GPU backends (and break WebGPU in a worker).
  const v = await x.data();
  x.dispose();
  y.dispose();
  for (let i = 0; i < v.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, v[i])) * 255);
  return out;
}
