import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../../tests/unit/helpers';
import { initNodeBackend } from '../backend/node';
import { GraphError, compileDocument } from './compile';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

/** Saves a model to memory (model.json + weights) the way a file IOHandler would, and loads it back. */
async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = JSON.parse(JSON.stringify({ ...artifacts, weightData: undefined }));
      (saved as tf.io.ModelArtifacts).weightData = (artifacts.weightData as ArrayBuffer).slice(0);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return tf.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
}

describe('compiler', () => {
  it('builds a model whose output shape matches the analysis', () => {
    const { model, analysis } = compileDocument(fixture('small-image.heracles.json'));
    expect(model.outputs[0].shape).toEqual([null, ...(analysis.nodes.output.outputShapes?.[0] ?? [])]);
    const trainable = model.trainableWeights.reduce(
      (n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1),
      0,
    );
    expect(trainable).toBe(analysis.totals.params);
    model.dispose();
  });

  it('names layers by node path', () => {
    const { model } = compileDocument(fixture('small-image.heracles.json'));
    const names = model.layers.map((l) => l.name);
    expect(names).toContain('stage2/b0/mixer');
    expect(names).toContain('stage3/b0/mixer');
    expect(names).toContain('stem/conv0');
    model.dispose();
  });

  it('is seeded: the same document gives the same initial weights', () => {
    const a = compileDocument(fixture('small-image.heracles.json')).model;
    const b = compileDocument(fixture('small-image.heracles.json')).model;
    const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
    const wb = b.getWeights().map((w) => Array.from(w.dataSync()));
    expect(wa).toEqual(wb);
    a.dispose();
    b.dispose();
  });

  it('saves and reloads bit-identically (custom layers registered)', async () => {
    const { model } = compileDocument(fixture('small-image.heracles.json'));
    const again = await roundTrip(model);
    expect(again.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    const x = tf.randomNormal([3, 28, 28, 1], 0, 1, 'float32', 1);
    const y1 = (model.predict(x) as tf.Tensor).dataSync();
    const y2 = (again.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(y2)).toEqual(Array.from(y1));
    const w1 = model.getWeights().map((w) => Array.from(w.dataSync()));
    const w2 = again.getWeights().map((w) => Array.from(w.dataSync()));
    expect(w2).toEqual(w1);
    model.dispose();
    again.dispose();
  });

  it('trains: the loss goes down and the tensor count stays flat', () => {
    const { model } = compileDocument(fixture('small-image.heracles.json'));
    const x = tf.randomNormal([16, 28, 28, 1], 0, 1, 'float32', 3);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], 'int32'), 10);
    const opt = tf.train.adam(3e-3);
    const losses: number[] = [];
    let count = 0;
    for (let i = 0; i < 12; i++) {
      const loss = opt.minimize(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        true,
      ) as tf.Scalar;
      losses.push(loss.dataSync()[0]);
      loss.dispose();
      if (i === 1) count = tf.memory().numTensors;
      if (i > 1) expect(tf.memory().numTensors).toBe(count);
    }
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.8);
    model.dispose();
  });

  it('refuses a document with errors, listing them', () => {
    const doc = fixture('small-image.heracles.json');
    doc.nodes[2].params.dim = 17;
    expect(() => compileDocument(doc)).toThrow(GraphError);
    try {
      compileDocument(doc);
    } catch (e) {
      expect((e as GraphError).issues[0].where).toEqual({ kind: 'node', id: 'stage1', param: 'dim' });
    }
  });
});
