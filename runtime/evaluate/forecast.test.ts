import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../backend/node';
import { fractionBorders, standardise } from '../data/series';
import type { SeriesSet } from '../data/types';
import { seriesTaskData } from '../train/task-data';
import { handleInspect, type ForecastReport, type ForecastWindow } from './protocol';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

const LOOKBACK = 6;
const HORIZON = 3;
const ROWS = 60;

/** Two ramps: channel 0 is `t`, channel 1 is `100 + 2t`; standardised on the train rows. */
function ramps(): SeriesSet {
  const raw = new Float64Array(ROWS * 2);
  for (let t = 0; t < ROWS; t++) {
    raw[t * 2] = t;
    raw[t * 2 + 1] = 100 + 2 * t;
  }
  const borders = fractionBorders(ROWS, [0.6, 0.2, 0.2]);
  const { values, mean, std } = standardise(raw, ROWS, 2, borders.train);
  return {
    kind: 'series',
    values,
    rows: ROWS,
    channels: 2,
    columns: ['a', 'b'],
    mean,
    std,
    borders,
    source: 'ramps',
  };
}

/**
 * The persistence forecaster as a tfjs model: every future step repeats the last lookback row. Permute to
 * [C, L], a Dense whose kernel picks row L−1 for each of the T outputs, permute back to [T, C].
 */
function persistence(): tf.LayersModel {
  const kernel = new Float32Array(LOOKBACK * HORIZON);
  for (let t = 0; t < HORIZON; t++) kernel[(LOOKBACK - 1) * HORIZON + t] = 1;
  const model = tf.sequential({
    layers: [
      tf.layers.permute({ dims: [2, 1], inputShape: [LOOKBACK, 2] }),
      tf.layers.dense({ units: HORIZON, useBias: false }),
      tf.layers.permute({ dims: [2, 1] }),
    ],
  });
  model.layers[1].setWeights([tf.tensor2d(kernel, [LOOKBACK, HORIZON])]);
  return model;
}

describe('forecast evaluation', () => {
  const set = ramps();
  const data = seriesTaskData(set, LOOKBACK, HORIZON);

  it('gives per-step MSE/MAE of the persistence forecaster by hand', async () => {
    const model = persistence();
    const r = (await handleInspect(model, data, { kind: 'forecast' })) as ForecastReport;
    expect(r).toMatchObject({
      kind: 'forecast',
      split: 'test',
      horizon: 3,
      channels: 2,
      columns: ['a', 'b'],
    });
    expect(r.windows).toBe(data.size('test'));
    // On a ramp the step-h error is (h+1)·slope/std in standardised units, the same for every window.
    for (let h = 0; h < HORIZON; h++) {
      const e = [0, 1].map((c) => ((h + 1) * (c ? 2 : 1)) / set.std[c]);
      expect(r.mseByStep[h]).toBeCloseTo((e[0] ** 2 + e[1] ** 2) / 2, 4);
      expect(r.maeByStep[h]).toBeCloseTo((e[0] + e[1]) / 2, 4);
    }
    const meanOf = (v: Float32Array) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(r.mse).toBeCloseTo(meanOf(r.mseByStep), 4);
    expect(r.mae).toBeCloseTo(meanOf(r.maeByStep), 4);
    // The error grows with the distance.
    expect(r.maeByStep[2]).toBeGreaterThan(r.maeByStep[0]);
    model.dispose();
  });

  it('returns a window in the original units', async () => {
    const model = persistence();
    const w = (await handleInspect(model, data, { kind: 'window', index: 4, channel: 1 })) as ForecastWindow;
    // Test windows start `lookback` rows before the test border; window 4 reads rows from there + 4.
    const first = set.borders.test[0] - LOOKBACK + 4;
    const raw = (t: number) => 100 + 2 * t;
    expect(w.column).toBe('b');
    expect(w.windows).toBe(data.size('test'));
    expect(Array.from(w.lookback).map((v) => +v.toFixed(3))).toEqual(
      Array.from({ length: LOOKBACK }, (_, i) => raw(first + i)),
    );
    const last = raw(first + LOOKBACK - 1);
    w.predicted.forEach((v) => expect(v).toBeCloseTo(last, 3));
    expect(Array.from(w.actual).map((v) => +v.toFixed(3))).toEqual(
      Array.from({ length: HORIZON }, (_, i) => raw(first + LOOKBACK + i)),
    );
    model.dispose();
  });

  it('names the range when a window or channel does not exist', async () => {
    const model = persistence();
    const n = data.size('test');
    await expect(handleInspect(model, data, { kind: 'window', index: n, channel: 0 })).rejects.toThrow(
      `window ${n} is outside the test split: expected a whole number from 0 to ${n - 1}`,
    );
    await expect(handleInspect(model, data, { kind: 'window', index: 0, channel: 2 })).rejects.toThrow(
      'channel 2 does not exist: expected a whole number from 0 to 1 (a, b)',
    );
    await expect(handleInspect(model, data, { kind: 'classification' })).rejects.toThrow(
      'the data is for forecasting, not classification',
    );
    model.dispose();
  });

  it('leaves no tensors behind', async () => {
    const model = persistence();
    await handleInspect(model, data, { kind: 'forecast' });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await handleInspect(model, data, { kind: 'forecast', split: i % 2 ? 'val' : 'test' });
      await handleInspect(model, data, { kind: 'window', index: i, channel: 0 });
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
