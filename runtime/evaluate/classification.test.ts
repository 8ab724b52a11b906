import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../backend/node';
import type { ImageSet } from '../data/types';
import { imageTaskData } from '../train/task-data';
import { handleInspect, type CellSamples, type ClassificationReport } from './protocol';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

/**
 * A hand-checkable classifier: 1×1×3 "images" whose three pixel values ARE the logits (Flatten → Dense
 * with the identity kernel and no bias), so the prediction of each sample is the brightest channel.
 */
function identityModel(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [1, 1, 3] }),
      tf.layers.dense({ units: 3, useBias: false, kernelInitializer: 'identity' }),
    ],
  });
  return model;
}

/** Samples as [pixels (logit order), true label]. */
const SAMPLES: [number[], number][] = [
  [[200, 10, 0], 0], // predicted 0 ✓
  [[250, 20, 30], 0], // 0 ✓
  [[10, 200, 100], 0], // predicted 1, true class 2nd (rank 2) → top-3 hit
  [[0, 255, 1], 1], // 1 ✓
  [[100, 0, 90], 1], // predicted 0, true class last (rank 3)
  [[1, 2, 3], 2], // 2 ✓
  [[9, 8, 50], 2], // 2 ✓
  [[5, 60, 40], 2], // predicted 1, true class 2nd
];

function set(samples: [number[], number][]): ImageSet {
  return {
    kind: 'images',
    shape: [1, 1, 3],
    pixels: Uint8Array.from(samples.flatMap((s) => s[0])),
    labels: Int32Array.from(samples.map((s) => s[1])),
    count: samples.length,
    classNames: ['a', 'b', 'c'],
  };
}

const data = imageTaskData({
  train: set(SAMPLES.slice(0, 2)),
  val: set(SAMPLES.slice(0, 2)),
  test: set(SAMPLES),
});

describe('classification evaluation', () => {
  it('computes the confusion matrix, per-class P/R/F1 and top-k by hand', async () => {
    const model = identityModel();
    const r = (await handleInspect(model, data, { kind: 'classification' })) as ClassificationReport;
    expect(r.kind).toBe('classification');
    expect(r.split).toBe('test');
    expect(r.classNames).toEqual(['a', 'b', 'c']);
    // rows = true, columns = predicted
    expect(Array.from(r.matrix)).toEqual([2, 1, 0, 1, 1, 0, 0, 1, 2]);
    expect(r.count).toBe(8);
    expect(r.accuracy).toBeCloseTo(5 / 8);
    // class a: TP 2, predicted 3, support 3; b: TP 1, predicted 3, support 2; c: TP 2, predicted 2, support 3
    expect(r.perClass[0]).toMatchObject({ name: 'a', support: 3 });
    expect(r.perClass[0].precision).toBeCloseTo(2 / 3);
    expect(r.perClass[0].recall).toBeCloseTo(2 / 3);
    expect(r.perClass[1].precision).toBeCloseTo(1 / 3);
    expect(r.perClass[1].recall).toBeCloseTo(1 / 2);
    expect(r.perClass[1].f1).toBeCloseTo((2 * (1 / 3) * (1 / 2)) / (1 / 3 + 1 / 2));
    expect(r.perClass[2].precision).toBeCloseTo(1);
    expect(r.perClass[2].recall).toBeCloseTo(2 / 3);
    // top-k capped at 3 classes: k = 1 and 3 (5 → 3, a duplicate, dropped)
    expect(r.topK.map((t) => t.k)).toEqual([1, 3]);
    expect(r.topK[0].accuracy).toBeCloseTo(5 / 8);
    expect(r.topK[1].accuracy).toBeCloseTo(1);
    model.dispose();
  });

  it('returns the sample indices and pixels of a cell', async () => {
    const model = identityModel();
    const cell = (await handleInspect(model, data, {
      kind: 'cell',
      trueClass: 2,
      predicted: 1,
      limit: 10,
    })) as CellSamples;
    expect(Array.from(cell.indices)).toEqual([7]);
    expect(cell.total).toBe(1);
    expect(cell.shape).toEqual([1, 1, 3]);
    expect(Array.from(cell.pixels)).toEqual([5, 60, 40]);

    const diag = (await handleInspect(model, data, {
      kind: 'cell',
      trueClass: 0,
      predicted: 0,
      limit: 1,
    })) as CellSamples;
    expect(diag.total).toBe(2);
    expect(Array.from(diag.indices)).toEqual([0]);
    expect(Array.from(diag.pixels)).toEqual([200, 10, 0]);

    const empty = (await handleInspect(model, data, {
      kind: 'cell',
      trueClass: 2,
      predicted: 0,
    })) as CellSamples;
    expect(empty.total).toBe(0);
    expect(empty.pixels.length).toBe(0);
    model.dispose();
  });

  it('evaluates the split it is asked for and follows weight changes', async () => {
    const model = identityModel();
    const val = (await handleInspect(model, data, {
      kind: 'classification',
      split: 'val',
    })) as ClassificationReport;
    expect(val.count).toBe(2);
    expect(val.accuracy).toBe(1);
    // Train further = new weights: a kernel that swaps logits a and b must not hit a stale cache.
    model.layers[1].setWeights([tf.tensor2d([0, 1, 0, 1, 0, 0, 0, 0, 1], [3, 3])]);
    const after = (await handleInspect(model, data, {
      kind: 'classification',
      split: 'val',
    })) as ClassificationReport;
    expect(after.accuracy).toBe(0);
    expect(Array.from(after.matrix.slice(0, 3))).toEqual([0, 2, 0]);
    model.dispose();
  });

  it('says what was wrong with a bad request', async () => {
    const model = identityModel();
    await expect(handleInspect(model, data, { kind: 'cell', trueClass: 3, predicted: 0 })).rejects.toThrow(
      'trueClass 3 is not a class: expected a whole number from 0 to 2',
    );
    await expect(handleInspect(model, data, { kind: 'forecast' })).rejects.toThrow(
      'the data is for classification, not forecasting',
    );
    await expect(
      handleInspect(model, data, { kind: 'classification', split: 'dev' as never }),
    ).rejects.toThrow('unknown split "dev"');
    await expect(handleInspect(model, data, { kind: 'bogus' } as never)).rejects.toThrow(
      'unknown inspect request kind "bogus"',
    );
    model.dispose();
  });

  it('leaves no tensors behind', async () => {
    const model = identityModel();
    await handleInspect(model, data, { kind: 'classification' });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await handleInspect(model, data, { kind: 'classification', split: i % 2 ? 'val' : 'test' });
      await handleInspect(model, data, { kind: 'cell', trueClass: 0, predicted: 1 });
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
