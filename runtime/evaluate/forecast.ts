/**
 * Forecast evaluation for the Evaluate panel: error per horizon step (how fast the forecast degrades with
 * distance), overall MSE/MAE in standardised units (as the CLI and the literature report them), and any one
 * window in the data's original units for the predicted-vs-actual plot.
 */
import * as tf from '@tensorflow/tfjs';
import { ForecastAccumulator } from '../train/metrics';
import type { SplitName, TaskData } from '../train/task-data';
import type { ForecastReport, ForecastWindow } from './protocol';
import { checkSample, predictSplit } from './predict';

function requireForecasting(data: TaskData): void {
  if (data.task !== 'forecasting')
    throw new Error(
      `the data is for ${data.task}, not forecasting: ask for "classification" or "cell" instead`,
    );
}

function checkOutput(model: tf.LayersModel, data: TaskData): void {
  const shape = model.outputs[0].shape.slice(1);
  if (shape.length !== 2 || shape[0] !== data.horizon || shape[1] !== data.channels)
    throw new Error(
      `the model predicts [${shape.join(', ')}] per window but the data needs [${data.horizon}, ${data.channels}] ` +
        '(horizon × channels): fit the forecast head to the data and train again',
    );
}

const columnsOf = (data: TaskData) =>
  data.series?.columns ?? Array.from({ length: data.channels }, (_, c) => `channel ${c}`);

export async function evaluateForecast(
  model: tf.LayersModel,
  data: TaskData,
  split: SplitName,
): Promise<ForecastReport> {
  requireForecasting(data);
  checkOutput(model, data);
  const p = await predictSplit(model, data, split);
  const acc = new ForecastAccumulator(data.horizon, data.channels);
  if (p.count > 0) acc.add(p.outputs, p.targets as Float32Array);
  const r = acc.result();
  return {
    kind: 'forecast',
    split,
    horizon: data.horizon,
    channels: data.channels,
    columns: columnsOf(data),
    windows: p.count,
    mseByStep: Float32Array.from(r.perStep.mse),
    maeByStep: Float32Array.from(r.perStep.mae),
    mse: r.mse,
    mae: r.mae,
  };
}

/** One window of one channel: the lookback, the model's forecast and the truth, in original units. */
export async function forecastWindow(
  model: tf.LayersModel,
  data: TaskData,
  split: SplitName,
  index: number,
  channel: number,
): Promise<ForecastWindow> {
  requireForecasting(data);
  checkOutput(model, data);
  checkSample(data, split, index, 'window');
  const columns = columnsOf(data);
  if (!Number.isInteger(channel) || channel < 0 || channel >= data.channels)
    throw new Error(
      `channel ${channel} does not exist: expected a whole number from 0 to ${data.channels - 1} (${columns.join(', ')})`,
    );
  const { x, y } = data.batch(split, [index]);
  const pred = tf.tidy(() => model.predict(x) as tf.Tensor);
  let xs: Float32Array, ys: Float32Array, ps: Float32Array;
  try {
    [xs, ys, ps] = (await Promise.all([x.data(), y.data(), pred.data()])) as Float32Array[];
  } finally {
    tf.dispose([x, y, pred]);
  }
  const mean = data.series?.mean[channel] ?? 0;
  const std = data.series?.std[channel] ?? 1;
  const C = data.channels;
  const column = (v: Float32Array, rows: number) =>
    Float32Array.from({ length: rows }, (_, t) => v[t * C + channel] * std + mean);
  return {
    kind: 'window',
    split,
    index,
    channel,
    column: columns[channel],
    windows: data.size(split),
    lookback: column(xs, data.inputShape[0]),
    predicted: column(ps, data.horizon),
    actual: column(ys, data.horizon),
  };
}
