/**
 * Model output → response body, in the terms of the data: class names and probabilities (the models
 * emit logits), or forecasts in the data's original units (the models emit standardised values).
 */
import type { DataInfo } from '../io/model-dir';

export interface ClassPrediction {
  label: string;
  index: number;
  probability: number;
  /** Probability per class, in `classes` order. */
  probabilities: number[];
}

export type PredictResponse =
  | { task: 'classification'; classes: string[]; predictions: ClassPrediction[] }
  | { task: 'forecasting'; columns: string[]; horizon: number; forecast: number[][] }
  | { task: 'forecasting'; columns: string[]; horizon: number; forecasts: number[][][] };

function softmax(logits: ArrayLike<number>): number[] {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]);
  const e = Array.from(logits, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/**
 * `raw` is the flat output for `count` inputs. A single CSV window answers with `forecast`
 * (horizon × columns); JSON inputs answer with `forecasts`, one per input.
 */
export function describeOutput(
  raw: Float32Array,
  count: number,
  data: DataInfo,
  single: boolean,
): PredictResponse {
  if (data.task === 'classification') {
    const k = raw.length / count;
    const classes = data.classNames ?? Array.from({ length: k }, (_, i) => String(i));
    const predictions = Array.from({ length: count }, (_, n) => {
      const probabilities = softmax(raw.subarray(n * k, (n + 1) * k));
      const index = probabilities.indexOf(Math.max(...probabilities));
      return { label: classes[index], index, probability: probabilities[index], probabilities };
    });
    return { task: 'classification', classes, predictions };
  }
  const c = data.inputShape[data.inputShape.length - 1];
  const horizon = raw.length / count / c;
  const columns = data.columns ?? Array.from({ length: c }, (_, i) => `c${i}`);
  const forecasts = Array.from({ length: count }, (_, n) =>
    Array.from({ length: horizon }, (_, t) =>
      Array.from(
        { length: c },
        (_, j) => raw[(n * horizon + t) * c + j] * (data.std?.[j] ?? 1) + (data.mean?.[j] ?? 0),
      ),
    ),
  );
  return single
    ? { task: 'forecasting', columns, horizon, forecast: forecasts[0] }
    : { task: 'forecasting', columns, horizon, forecasts };
}
