/**
 * The bridge between loaded data and the trainer: batches as tensors for a split and a list of indices.
 * Classification pixels become floats in [0, 1]; forecasting windows are cut from the standardised series.
 */
import * as tf from '@tensorflow/tfjs';
import { seriesWindows, windowBatch } from '../data/csv';
import type { DataSplits, ImageSet, SeriesSet } from '../data/types';
import type { DataInfo } from '../io/model-dir';

export type SplitName = 'train' | 'val' | 'test';

export interface TaskData {
  task: 'classification' | 'forecasting';
  /** Shape of one model input (no batch). */
  inputShape: number[];
  classes: number;
  classNames: string[];
  horizon: number;
  channels: number;
  size(split: SplitName): number;
  /** x `[n, ...inputShape]`; y: int32 labels `[n]` or float targets `[n, T, C]`. */
  batch(split: SplitName, indices: ArrayLike<number>): { x: tf.Tensor; y: tf.Tensor };
  /** Labels of a split (classification) for metrics without building tensors. */
  labels?(split: SplitName): Int32Array;
  /** The raw image sets (classification), so evaluation can show samples as they were loaded. */
  images?: { train: ImageSet; val: ImageSet; test: ImageSet };
  /** The series (forecasting): column names and the train mean/std that undo the standardisation. */
  series?: SeriesSet;
}

export function imageTaskData(splits: { train: ImageSet; val: ImageSet; test: ImageSet }): TaskData {
  const [h, w, c] = splits.train.shape;
  const per = h * w * c;
  return {
    task: 'classification',
    inputShape: [h, w, c],
    classes: splits.train.classNames.length,
    classNames: splits.train.classNames,
    horizon: 0,
    channels: c,
    size: (split) => splits[split].count,
    batch(split, indices) {
      const set = splits[split];
      const x = new Float32Array(indices.length * per);
      const y = new Int32Array(indices.length);
      for (let i = 0; i < indices.length; i++) {
        const k = indices[i];
        const src = set.pixels.subarray(k * per, (k + 1) * per);
        for (let j = 0; j < per; j++) x[i * per + j] = src[j] / 255;
        y[i] = set.labels[k];
      }
      return { x: tf.tensor(x, [indices.length, h, w, c]), y: tf.tensor1d(y, 'int32') };
    },
    labels: (split) => splits[split].labels,
    images: splits,
  };
}

export function seriesTaskData(set: SeriesSet, lookback: number, horizon: number): TaskData {
  const windows = {
    train: seriesWindows(set, 'train', lookback, horizon),
    val: seriesWindows(set, 'val', lookback, horizon),
    test: seriesWindows(set, 'test', lookback, horizon),
  };
  const c = set.channels;
  return {
    task: 'forecasting',
    inputShape: [lookback, c],
    classes: 0,
    classNames: [],
    horizon,
    channels: c,
    size: (split) => windows[split].count,
    batch(split, indices) {
      const { x, y } = windowBatch(set, split, lookback, horizon, Array.from(indices));
      return {
        x: tf.tensor(x, [indices.length, lookback, c]),
        y: tf.tensor(y, [indices.length, horizon, c]),
      };
    },
    series: set,
  };
}

export function taskDataOf(data: DataSplits, opts: { lookback?: number; horizon?: number }): TaskData {
  if (data.kind === 'images') return imageTaskData(data);
  return seriesTaskData(data, opts.lookback ?? 96, opts.horizon ?? 96);
}

/**
 * What a model folder records about its data (`data.json`): enough for `heracles eval/predict/serve` to
 * read new inputs the way training did. The CLI and the studio's export write the same thing.
 */
export function dataInfoOf(data: DataSplits, task: TaskData): DataInfo {
  if (data.kind === 'images')
    return {
      task: 'classification',
      source: data.source,
      inputShape: task.inputShape,
      classNames: task.classNames,
    };
  return {
    task: 'forecasting',
    source: data.source,
    inputShape: task.inputShape,
    columns: data.columns,
    mean: Array.from(data.mean),
    std: Array.from(data.std),
    lookback: task.inputShape[0],
    horizon: task.horizon,
    borders: data.borders,
  };
}
