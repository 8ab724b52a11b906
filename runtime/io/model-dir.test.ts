import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../../tests/unit/helpers';
import { initNodeBackend } from '../backend/node';
import { DataError } from '../data/types';
import { compileDocument } from '../graph/compile';
import { loadModelDir, readCheckpoint, saveModel, writeCheckpoint } from './model-dir';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

const save = async (dir: string) => {
  const doc = fixture('small-image.heracles.json');
  const { model } = compileDocument(doc);
  await saveModel(dir, model, {
    document: doc,
    data: { task: 'classification', source: 'test', inputShape: [28, 28, 1], classNames: [...'0123456789'] },
    run: { config: {}, history: [], stop: 'completed', seconds: 0, backend: 'wasm', startedAt: '' },
  });
  return model;
};

describe('model folders', () => {
  it('save and load through files bit-identically', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'heracles-dir-'));
    const model = await save(dir);
    const { model: again, document, data } = await loadModelDir(dir);
    expect(document.metadata.name).toBe('Small image test model');
    expect(data.classNames).toHaveLength(10);
    const x = tf.randomNormal([4, 28, 28, 1], 0, 1, 'float32', 9);
    expect(Array.from((again.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((model.predict(x) as tf.Tensor).dataSync()),
    );
    expect(again.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(
      model.getWeights().map((w) => Array.from(w.dataSync())),
    );
    model.dispose();
    again.dispose();
  });

  it('names the missing or truncated file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'heracles-dir-'));
    (await save(dir)).dispose();
    truncateSync(path.join(dir, 'weights.bin'), 100);
    await expect(loadModelDir(dir)).rejects.toThrow(/weights\.bin.*100 bytes but model\.json describes/);
    rmSync(path.join(dir, 'weights.bin'));
    await expect(loadModelDir(dir)).rejects.toThrow(DataError);
    rmSync(path.join(dir, 'model.json'));
    await expect(loadModelDir(dir)).rejects.toThrow(/model\.json is missing/);
  });

  it('round-trips a checkpoint (weights and optimizer slots) and names a truncated one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'heracles-ckpt-'));
    const c = {
      epoch: 3,
      history: [{ epoch: 1, trainLoss: 1, lr: 0.1, seconds: 1 }],
      weights: [{ name: 'a', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }],
      optimizer: {
        step: 7,
        slots: { '0': [{ name: '0#0', shape: [2, 2], data: new Float32Array([5, 6, 7, 8]) }] },
      },
    };
    writeCheckpoint(dir, c);
    const back = readCheckpoint(dir);
    expect(back.epoch).toBe(3);
    expect(Array.from(back.weights[0].data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(back.optimizer.slots['0'][0].data)).toEqual([5, 6, 7, 8]);
    expect(back.optimizer.step).toBe(7);
    truncateSync(path.join(dir, 'checkpoint/checkpoint.bin'), 8);
    expect(() => readCheckpoint(dir)).toThrow(/truncated/);
  });
});
