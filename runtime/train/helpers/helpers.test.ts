/**
 * Data parallelism: real helper threads (Node worker_threads, each with its own wasm backend) against the
 * same batch computed on one thread.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain } from '../../../tests/unit/helpers';
import { initNodeBackend } from '../../backend/node';
import type { ImageSet } from '../../data/types';
import { compileDocument } from '../../graph/compile';
import { imageTaskData } from '../task-data';
import { train } from '../trainer';
import type { TrainConfig } from '../trainer';
import { defaultHelperCount, startNodeHelpers } from './node';
import { batchGradients, shardedGradients, splitBatch } from './shards';
import type { ShardHelpers } from './shards';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

/** Class = which half of the 8×8 image is brighter, with noise. */
function halves(count: number, seed: number): ImageSet {
  const pixels = new Uint8Array(count * 64);
  const labels = new Int32Array(count);
  let s = seed;
  const r = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 64; p++) {
      const bright = p % 8 < 4 === (labels[i] === 0);
      pixels[i * 64 + p] = Math.round((bright ? 150 : 60) + r() * 80);
    }
  }
  return { kind: 'images', shape: [8, 8, 1], pixels, labels, count, classNames: ['left', 'right'] };
}

const data = imageTaskData({ train: halves(96, 1), val: halves(32, 2), test: halves(32, 3) });
// No BatchNorm and no drop path: shards must then give exactly the whole batch's gradients.
const doc = chain(
  [
    { id: 'in', type: 'Input', params: { shape: [8, 8, 1] } },
    { id: 'embed', type: 'PatchEmbed', params: { patchSize: 2, dim: 8 } },
    { id: 'block', type: 'HeraclesBlock', params: { mixer: 'ssm', mlpRatio: 2, dropPath: 0 } },
    { id: 'head', type: 'ClassifierHead', params: { classes: 2 } },
    { id: 'out', type: 'Output' },
  ],
  { kind: 'classification', inputShape: [8, 8, 1], classes: 2 },
);
const cfg: TrainConfig = {
  ...doc.training,
  epochs: 3,
  batchSize: 32,
  learningRate: 3e-3,
  weightDecay: 0.05,
  warmupEpochs: 0,
  seed: 7,
  labelSmoothing: 0.1,
};

describe('splitBatch', () => {
  it('cuts a batch into contiguous, near-equal, non-empty shards that cover it', () => {
    const idx = Int32Array.from({ length: 11 }, (_, i) => 100 + i);
    const parts = splitBatch(idx, 3);
    expect(parts.map((p) => p.length)).toEqual([3, 4, 4]);
    expect(parts.flatMap((p) => Array.from(p))).toEqual(Array.from(idx));
    expect(splitBatch(idx.subarray(0, 2), 4).map((p) => p.length)).toEqual([1, 1]);
  });
});

describe('defaultHelperCount', () => {
  it('uses the other cores for long runs with batches worth splitting, and none otherwise', () => {
    expect(defaultHelperCount(64, 55_000, 2)).toBe(1);
    expect(defaultHelperCount(64, 55_000, 16)).toBe(3);
    expect(defaultHelperCount(64, 55_000, 1)).toBe(0);
    expect(defaultHelperCount(16, 55_000, 8)).toBe(0); // shards under 16 samples
    expect(defaultHelperCount(64, 1_000, 8)).toBe(0); // too short to repay the start-up
  });
});

describe('gradient helpers on worker threads', () => {
  let helpers: ShardHelpers;
  let model: tf.LayersModel;
  const vars = () => model.trainableWeights.map((w) => w.read() as tf.Variable);

  beforeAll(async () => {
    model = compileDocument(doc).model;
    helpers = await startNodeHelpers(1, {
      model,
      document: doc,
      backend: 'wasm',
      task: data,
    });
  }, 60_000);
  afterAll(async () => {
    await helpers?.close();
    model?.dispose();
  });

  it('give the same loss and gradients as the whole batch on one thread', async () => {
    const idx = Int32Array.from({ length: 30 }, (_, i) => i * 3);
    const { x, y } = data.batch('train', idx);
    const whole = batchGradients(model, vars(), data, x, y, cfg.labelSmoothing);
    const split = await shardedGradients(model, vars(), data, idx, cfg.labelSmoothing, helpers);
    expect(split.loss).toBeCloseTo((await whole.value.data())[0], 5);
    let worst = 0;
    for (let i = 0; i < whole.grads.length; i++) {
      const a = await whole.grads[i].data();
      const b = await split.grads[i].data();
      expect(b.length).toBe(a.length);
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
    }
    // Against the largest gradient entry (so the check cannot pass on vanishing gradients).
    const largest = Math.max(
      ...(await Promise.all(whole.grads.map(async (g) => (await g.abs().max().data())[0]))),
    );
    expect(largest).toBeGreaterThan(1e-3);
    expect(worst / largest).toBeLessThan(1e-4);
    tf.dispose([x, y, whole.value, ...whole.grads, ...split.grads]);
  });

  it('follow the weights: after an update here, the helper computes with the new weights', async () => {
    const idx = Int32Array.from({ length: 8 }, (_, i) => i);
    const before = await shardedGradients(model, vars(), data, idx, 0, helpers);
    // The optimizer changes trainable weights only; those are what every step sends.
    const saved = vars().map((v) => v.clone());
    vars().forEach((v) => v.assign(tf.mul(v, 1.5)));
    const { x, y } = data.batch('train', idx);
    const whole = batchGradients(model, vars(), data, x, y, 0);
    const after = await shardedGradients(model, vars(), data, idx, 0, helpers);
    expect(after.loss).toBeCloseTo((await whole.value.data())[0], 5);
    expect(Math.abs(after.loss - before.loss)).toBeGreaterThan(1e-4);
    vars().forEach((v, i) => v.assign(saved[i]));
    tf.dispose([x, y, whole.value, ...whole.grads, ...before.grads, ...after.grads, ...saved]);
  });

  it('train: seeded runs repeat exactly, the loss falls and no tensors leak', async () => {
    const runOnce = async () => {
      const m = compileDocument(doc).model;
      const h = await startNodeHelpers(1, {
        model: m,
        document: doc,
        backend: 'wasm',
        task: data,
      });
      const counts: number[] = [];
      const losses: number[] = [];
      try {
        const r = await train(m, data, cfg, {
          helpers: h,
          onBatch: (e) => void losses.push(e.loss),
          onEpoch: () => void counts.push(tf.memory().numTensors),
        });
        expect(r.stop).toBe('completed');
        return { losses, counts, history: r.history };
      } finally {
        await h.close();
        m.dispose();
      }
    };
    const a = await runOnce();
    const b = await runOnce();
    expect(b.losses).toEqual(a.losses);
    expect(a.history.at(-1)!.trainLoss).toBeLessThan(a.history[0].trainLoss);
    expect(new Set(a.counts).size).toBe(1);
  }, 60_000);

  it('refuse to start when the replica does not match the model, naming the helper', async () => {
    const other = structuredClone(doc);
    (other.nodes.find((n) => n.id === 'embed') as { params: Record<string, unknown> }).params.dim = 12;
    await expect(
      startNodeHelpers(1, { model, document: other, backend: 'wasm', task: data }),
    ).rejects.toThrow(/gradient helper 1: the replica's trainable weights differ/);
  }, 60_000);
});
