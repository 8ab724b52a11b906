import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chain } from '../../tests/unit/helpers';
import { initNodeBackend } from '../backend/node';
import type { ImageSet } from '../data/types';
import { compileDocument } from '../graph/compile';
import { classificationMetrics, ForecastAccumulator } from './metrics';
import { learningRateAt } from './optimizer';
import { imageTaskData } from './task-data';
import { evaluate, shuffled, train } from './trainer';
import type { Checkpoint, TrainConfig } from './trainer';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

/** A learnable toy set: class = which quadrant holds a bright blob. */
function blobs(count: number, seed: number): ImageSet {
  const pixels = new Uint8Array(count * 8 * 8);
  const labels = new Int32Array(count);
  let s = seed;
  const r = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < count; i++) {
    const c = i % 4;
    labels[i] = c;
    const oy = c < 2 ? 0 : 4;
    const ox = c % 2 ? 4 : 0;
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++) {
        const inside = y >= oy && y < oy + 4 && x >= ox && x < ox + 4;
        pixels[i * 64 + y * 8 + x] = Math.round((inside ? 180 : 40) + r() * 60);
      }
  }
  return { kind: 'images', shape: [8, 8, 1], pixels, labels, count, classNames: ['a', 'b', 'c', 'd'] };
}

const data = () => imageTaskData({ train: blobs(128, 1), val: blobs(32, 2), test: blobs(32, 3) });
const doc = () =>
  chain(
    [
      { id: 'in', type: 'Input', params: { shape: [8, 8, 1] } },
      { id: 'embed', type: 'PatchEmbed', params: { patchSize: 2, dim: 8 } },
      { id: 'block', type: 'HeraclesBlock', params: { mixer: 'ssm', mlpRatio: 2, dropPath: 0.1 } },
      { id: 'head', type: 'ClassifierHead', params: { classes: 4 } },
      { id: 'out', type: 'Output' },
    ],
    { kind: 'classification', inputShape: [8, 8, 1], classes: 4 },
  );
const cfg = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  ...doc().training,
  epochs: 3,
  batchSize: 32,
  learningRate: 3e-3,
  weightDecay: 0.05,
  warmupEpochs: 0.5,
  seed: 5,
  ...over,
});

describe('trainer', () => {
  it('learns a toy task, streams events and keeps the tensor count flat across epochs', async () => {
    const model = compileDocument(doc()).model;
    const d = data();
    const counts: number[] = [];
    const batches: number[] = [];
    const r = await train(model, d, cfg({ epochs: 10, learningRate: 1e-2 }), {
      onBatch: (e) => batches.push(e.loss),
      onEpoch: () => counts.push(tf.memory().numTensors),
    });
    expect(r.stop).toBe('completed');
    expect(r.history).toHaveLength(10);
    expect(batches).toHaveLength(40);
    expect(new Set(counts).size).toBe(1);
    expect(r.history[9].trainLoss).toBeLessThan(r.history[0].trainLoss);
    const ev = await evaluate(model, d, 'test');
    expect(ev.summary.accuracy).toBeGreaterThan(0.5);
    model.dispose();
  });

  it('repeats exactly with the same seed', async () => {
    const run = async () => {
      const model = compileDocument(doc()).model;
      const losses: number[] = [];
      await train(model, data(), cfg({ epochs: 1 }), { onBatch: (e) => losses.push(e.loss) });
      model.dispose();
      return losses;
    };
    expect(await run()).toEqual(await run());
  });

  it('resumes from a checkpoint to the same place as an uninterrupted run', async () => {
    const full = compileDocument(doc()).model;
    const a = await train(full, data(), cfg({ epochs: 2 }));
    const part = compileDocument(doc()).model;
    let ckpt: Checkpoint | undefined;
    await train(part, data(), cfg({ epochs: 2 }), {
      onCheckpoint: (c) => void (ckpt = c),
      shouldStop: () => ckpt !== undefined, // stop right after epoch 1's checkpoint
    });
    expect(ckpt?.epoch).toBe(1);
    const resumed = compileDocument(doc()).model;
    const b = await train(resumed, data(), cfg({ epochs: 2 }), {}, ckpt);
    expect(b.history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(b.history[1].trainLoss).toBeCloseTo(a.history[1].trainLoss, 2);
    [full, part, resumed].forEach((m) => m.dispose());
  });

  it('stops on a NaN loss with a message and restores the last good weights', async () => {
    const model = compileDocument(doc()).model;
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    const r = await train(
      model,
      data(),
      cfg({ learningRate: 1e30, optimizer: 'sgd', momentum: 0, epochs: 2 }),
    );
    expect(r.stop).toBe('diverged');
    expect(r.message).toMatch(/the loss became (NaN|Infinity)/);
    const after = model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(after.every((w) => w.every(Number.isFinite))).toBe(true);
    expect(r.checkpoint?.epoch === 0 ? after : before).toEqual(after);
    model.dispose();
  });

  it('early stopping keeps the best weights', async () => {
    const model = compileDocument(doc()).model;
    const r = await train(model, data(), cfg({ epochs: 6, earlyStoppingPatience: 1, learningRate: 0.05 }));
    const best = Math.min(...r.history.map((h) => h.valLoss as number));
    const ev = await evaluate(model, data(), 'val');
    expect(ev.loss).toBeCloseTo(best, 4);
    model.dispose();
  });
});

describe('schedule, shuffling and metrics', () => {
  it('warms up linearly then decays by cosine', () => {
    const o = { lr: 1, epochs: 10, warmupEpochs: 2, schedule: 'cosine' as const };
    expect(learningRateAt(1, o)).toBeCloseTo(0.5);
    expect(learningRateAt(2, o)).toBeCloseTo(1);
    expect(learningRateAt(6, o)).toBeCloseTo(0.505, 3);
    expect(learningRateAt(10, o)).toBeCloseTo(0.01);
  });

  it('shuffles as a permutation that depends on the seed', () => {
    const a = shuffled(100, 1);
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(100).keys()]);
    expect(Array.from(shuffled(100, 1))).toEqual(Array.from(a));
    expect(Array.from(shuffled(100, 2))).not.toEqual(Array.from(a));
  });

  it('computes accuracy, top-k, confusion and per-class F1', () => {
    const logits = new Float32Array([5, 1, 0, 0, 5, 1, 1, 0, 5, 0, 2, 1]);
    const m = classificationMetrics(logits, new Int32Array([0, 1, 2, 2]), 3);
    expect(m.accuracy).toBe(0.75);
    expect(m.topK.top2).toBe(1);
    expect(m.confusion).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 1, 1],
    ]);
    expect(m.perClass[1].precision).toBe(0.5);
    expect(m.perClass[2].recall).toBe(0.5);
  });

  it('computes MSE/MAE overall, per step and per channel', () => {
    const acc = new ForecastAccumulator(2, 2);
    acc.add(new Float32Array([1, 2, 3, 4]), new Float32Array([0, 2, 3, 2]));
    const r = acc.result();
    expect(r.mse).toBeCloseTo((1 + 0 + 0 + 4) / 4);
    expect(r.mae).toBeCloseTo((1 + 0 + 0 + 2) / 4);
    expect(r.perStep.mse).toEqual([0.5, 2]);
    expect(r.perChannel.mae).toEqual([0.5, 1]);
  });
});
