/** Transfer templates: a PretrainedBackbone loads a trained model's weights and freezes what it says. */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../runtime/backend/node';
import { analyzeDocument } from '../runtime/graph/analyze';
import { loadBackboneWeights } from '../runtime/graph/backbone';
import { compileDocument } from '../runtime/graph/compile';
import { formatIssue } from '../runtime/document/schema';
import { readNamedWeights, registerNodeBackbones, saveModel } from '../runtime/io/model-dir';
import { imageTaskData, seriesTaskData } from '../runtime/train/task-data';
import { train } from '../runtime/train/trainer';
import { startNodeHelpers } from '../runtime/train/helpers/node';
import { batchGradients, shardedGradients } from '../runtime/train/helpers/shards';
import { demoSeries, demoShapes } from '../runtime/data/demo';
import { adaptToData } from '../runtime/document/adapt';
import { preset } from '../tests/unit/helpers';

const dir = mkdtempSync(path.join(tmpdir(), 'heracles-backbone-'));
const backbone = path.join(dir, 'tiny');

beforeAll(async () => {
  await initNodeBackend('wasm');
  registerNodeBackbones();
  const doc = preset('heracles-tiny');
  const { model } = compileDocument(doc);
  await saveModel(backbone, model, {
    document: doc,
    data: { task: 'classification', source: 'test', inputShape: [28, 28, 1], classNames: [...'0123456789'] },
    run: { config: {}, history: [], stop: 'completed', seconds: 0, backend: 'wasm', startedAt: '' },
  });
  model.dispose();
});

const template = (over: Record<string, unknown> = {}) => {
  const doc = preset('transfer-fashion-from-mnist');
  Object.assign(doc.nodes[1].params, { path: backbone, ...over });
  return doc;
};

describe('PretrainedBackbone', () => {
  it('expands to the backbone up to its features and loads its weights', async () => {
    const doc = template();
    const a = analyzeDocument(doc);
    expect(a.issues).toEqual([]);
    expect(a.nodes.backbone.outputShapes).toEqual([[2, 2, 160]]);
    const { model } = compileDocument(doc);
    const copied = await loadBackboneWeights(model, doc, readNamedWeights);
    const source = await readNamedWeights(backbone);
    expect(copied).toBeGreaterThan(20);
    const w = model.weights.find((v) => v.originalName === 'backbone/stage2/b0/mixer/spectral_weight');
    expect(Array.from(w?.read().dataSync() ?? [])).toEqual(
      Array.from(source.get('stage2/b0/mixer/spectral_weight')?.data ?? []),
    );
    model.dispose();
  });

  it('keeps frozen stages unchanged while training the rest', async () => {
    const doc = template();
    doc.nodes[3].params.classes = 6; // the demo shapes have 6 classes
    doc.task = { kind: 'classification', inputShape: [28, 28, 1], classes: 6 };
    const { model } = compileDocument(doc);
    await loadBackboneWeights(model, doc, readNamedWeights);
    const snap = () => new Map(model.weights.map((v) => [v.originalName, Array.from(v.read().dataSync())]));
    const before = snap();
    const shapes = demoShapes({ count: 64, size: 28, seed: 1 });
    await train(model, imageTaskData(shapes), {
      ...doc.training,
      epochs: 1,
      batchSize: 32,
      learningRate: 1e-2,
    });
    const after = snap();
    const changed = (prefix: string) =>
      [...before.keys()]
        .filter((k) => k.startsWith(prefix))
        .some((k) => before.get(k)?.some((x, i) => x !== after.get(k)?.[i]));
    expect(changed('backbone/stem/')).toBe(false);
    expect(changed('backbone/stage1/')).toBe(false);
    expect(changed('backbone/stage2/')).toBe(true);
    expect(changed('head/')).toBe(true);
    model.dispose();
  });

  it('trains on helper threads too: they compile the backbone the main thread resolved', async () => {
    // A backbone without drop path, so that a shard's loss is the same wherever it is computed.
    const still = preset('heracles-tiny');
    for (const n of still.nodes)
      if (n.type === 'Stage') Object.assign(n.params, { dropPathStart: 0, dropPathEnd: 0 });
    const stillDir = path.join(dir, 'still');
    const trained = compileDocument(still).model;
    await saveModel(stillDir, trained, {
      document: still,
      data: {
        task: 'classification',
        source: 'test',
        inputShape: [28, 28, 1],
        classNames: [...'0123456789'],
      },
      run: { config: {}, history: [], stop: 'completed', seconds: 0, backend: 'wasm', startedAt: '' },
    });
    trained.dispose();
    const doc = template({ path: stillDir });
    doc.nodes[3].params.classes = 6;
    doc.task = { kind: 'classification', inputShape: [28, 28, 1], classes: 6 };
    const { model } = compileDocument(doc);
    await loadBackboneWeights(model, doc, readNamedWeights);
    const task = imageTaskData(demoShapes({ count: 32, size: 28, seed: 2 }));
    const helpers = await startNodeHelpers(1, { model, document: doc, backend: 'wasm', task });
    try {
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      // One shard here, one on the helper. The stem's BatchNorm normalises each shard by its own
      // statistics, so the reference is the mean of the two halves' losses computed here.
      const halfLoss = async (part: Int32Array) => {
        const { x, y } = task.batch('train', part);
        const r = batchGradients(model, vars, task, x, y, 0);
        const loss = (await r.value.data())[0];
        tf.dispose([x, y, r.value, ...r.grads]);
        return loss;
      };
      const idx = Int32Array.from({ length: 16 }, (_, i) => i);
      const expected = ((await halfLoss(idx.slice(0, 8))) + (await halfLoss(idx.slice(8)))) / 2;
      const split = await shardedGradients(model, vars, task, idx, 0, helpers);
      expect(split.loss).toBeCloseTo(expected, 5);
      tf.dispose(split.grads);
    } finally {
      await helpers.close();
      model.dispose();
    }
  }, 60_000);

  it('reports a missing model, an unknown stage to freeze and a wrong input size clearly', async () => {
    const lines = (doc: ReturnType<typeof template>) => analyzeDocument(doc).issues.map(formatIssue);
    expect(lines(template({ path: path.join(dir, 'nope') }))).toEqual([
      expect.stringMatching(/^backbone: cannot find a trained model at/),
    ]);
    expect(lines(template({ freeze: 'stem, stage9' }))).toEqual([
      expect.stringMatching(/^backbone: freeze names "stage9", which the backbone does not have/),
    ]);
    const big = template();
    big.task = { kind: 'classification', inputShape: [32, 32, 1], classes: 10 };
    big.nodes[0].params.shape = [32, 32, 1];
    const { model } = compileDocument(big);
    await expect(loadBackboneWeights(model, big, readNamedWeights)).rejects.toThrow(
      /spectral_weight" is \[\d+, \d+, \d+\] in the trained model but \[\d+, \d+, \d+\] here/,
    );
    model.dispose();
    tf.disposeVariables();
  });
});

describe('transfer-etth1-from-ettm1', () => {
  it('loads a heracles-ts backbone, keeps the frozen patch embedding and trains the rest', async () => {
    // A 7-channel heracles-ts stands in for the ETTm1 backbone (ETTm1 and ETTh1 both have 7 columns).
    const adapted = adaptToData(preset('heracles-ts'), { task: 'forecasting', channels: 7 });
    if (!adapted.ok) throw new Error(adapted.issues.map((i) => i.message).join('; '));
    const tsDir = path.join(dir, 'ts');
    const ts = compileDocument(adapted.doc).model;
    await saveModel(tsDir, ts, {
      document: adapted.doc,
      data: { task: 'forecasting', source: 'test', inputShape: [96, 7], lookback: 96, horizon: 96 },
      run: { config: {}, history: [], stop: 'completed', seconds: 0, backend: 'wasm', startedAt: '' },
    });
    ts.dispose();

    const doc = preset('transfer-etth1-from-ettm1');
    Object.assign(doc.nodes[1].params, { path: tsDir });
    expect(analyzeDocument(doc).issues.map(formatIssue)).toEqual([]);
    const { model } = compileDocument(doc);
    expect(await loadBackboneWeights(model, doc, readNamedWeights)).toBeGreaterThan(5);
    const snap = () => new Map(model.weights.map((v) => [v.originalName, Array.from(v.read().dataSync())]));
    const before = snap();
    const series = demoSeries({ rows: 1200, channels: 7, seed: 3 });
    await train(model, seriesTaskData(series, 96, 96), { ...doc.training, epochs: 1, learningRate: 1e-2 });
    const after = snap();
    const changed = (prefix: string) =>
      [...before.keys()]
        .filter((k) => k.startsWith(prefix))
        .some((k) => before.get(k)?.some((x, i) => x !== after.get(k)?.[i]));
    expect([...before.keys()].some((k) => k.startsWith('backbone/patch/'))).toBe(true);
    expect(changed('backbone/patch/')).toBe(false);
    expect(changed('backbone/ssm/')).toBe(true);
    expect(changed('head/')).toBe(true);
    model.dispose();
  });
});
