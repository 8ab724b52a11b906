import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain, fixture } from '../../tests/unit/helpers';
import { initNodeBackend } from '../backend/node';
import { demoSeries, demoShapes } from '../data/demo';
import { compileDocument } from '../graph/compile';
import { taskDataOf } from '../train/task-data';
import {
  handleInspect,
  type Activation,
  type AttentionMaps,
  type NodeList,
  type SpectralFilterMap,
} from './protocol';

let image: tf.LayersModel;
let series: tf.LayersModel;
const shapes = taskDataOf(demoShapes({ count: 60, seed: 1 }), {});
const seriesData = taskDataOf(demoSeries({ rows: 200, channels: 3 }), { lookback: 32, horizon: 8 });

beforeAll(async () => {
  await initNodeBackend('wasm');
  image = compileDocument(fixture('small-image.heracles.json')).model;
  // Channel-independent series: attention within each channel's row of patches.
  series = compileDocument(
    chain(
      [
        { id: 'input', type: 'Input', params: { shape: [32, 3] } },
        {
          id: 'patch',
          type: 'PatchEmbed',
          params: { patchSize: 8, stride: 8, dim: 16, mode: 'channel-independent' },
        },
        { id: 'mix', type: 'HeraclesMixer', params: { transform: 'dht1d', rows: true } },
        { id: 'attn', type: 'MultiHeadAttention', params: { heads: 2, rows: true } },
        { id: 'head', type: 'ForecastHead', params: { horizon: 8, channels: 3 } },
        { id: 'output', type: 'Output' },
      ],
      { kind: 'forecasting', lookback: 32, horizon: 8, channels: 3 },
    ),
  ).model;
});
afterAll(() => {
  image?.dispose();
  series?.dispose();
});

describe('inside view', () => {
  it('lists the nodes with what can be shown for each', async () => {
    const r = (await handleInspect(image, shapes, { kind: 'nodes' })) as NodeList;
    const byName = new Map(r.nodes.map((n) => [n.node, n]));
    expect(byName.get('stage1/b0/mixer')).toMatchObject({
      filter: true,
      attention: false,
      outputShape: [14, 14, 16],
    });
    const attn = r.nodes.filter((n) => n.attention).map((n) => n.node);
    expect(attn.length).toBeGreaterThan(0);
    expect(attn.every((n) => n.startsWith('stage3/'))).toBe(true);
  });

  it('shows the learned spectral filter per channel, from a composite path too', async () => {
    const f = (await handleInspect(image, shapes, { kind: 'filter', node: 'stage1' })) as SpectralFilterMap;
    expect(f.node).toBe('stage1/b0/mixer');
    expect(f.layerClass).toBe('HeraclesMixer');
    // Mixer of dim 16 on the 14×14 grid: the spectral half has 8 channels.
    expect(f.weightShape).toEqual([14, 14, 8]);
    expect([f.rows, f.cols, f.channels]).toEqual([14, 14, 8]);
    const layer = image.getLayer('stage1/b0/mixer');
    const w = layer.weights
      .find((v) => v.originalName.endsWith('spectral_weight'))!
      .read()
      .dataSync();
    // channel-major: heatmap c, pixel (i, j) is weight[i, j, c]
    for (const [i, j, c] of [
      [0, 0, 0],
      [3, 5, 7],
      [13, 13, 2],
    ])
      expect(f.values[c * 14 * 14 + i * 14 + j]).toBe(w[(i * 14 + j) * 8 + c]);
    expect(f.min).toBeLessThan(f.max);
  });

  it('reads a channel-independent series filter as series × patch maps', async () => {
    const f = (await handleInspect(series, seriesData, { kind: 'filter', node: 'mix' })) as SpectralFilterMap;
    // [C=3 series, P=4 patches, D/2=8]: one 3 × 4 map per feature channel
    expect(f.weightShape).toEqual([3, 4, 8]);
    expect([f.rows, f.cols, f.channels]).toEqual([3, 4, 8]);
  });

  it('computes attention maps for a sample: rows sum to 1, samples differ', async () => {
    const a = (await handleInspect(image, shapes, {
      kind: 'attention',
      node: 'stage3',
      sample: 0,
    })) as AttentionMaps;
    expect(a.groups).toBe(1);
    expect(a.heads).toBe(2);
    expect(a.grid.reduce((x, y) => x * y, 1)).toBe(a.tokens);
    expect(a.weights.length).toBe(a.heads * a.tokens * a.tokens);
    for (let r = 0; r < a.heads * a.tokens; r++) {
      const row = a.weights.subarray(r * a.tokens, (r + 1) * a.tokens);
      expect(row.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
    }
    const b = (await handleInspect(image, shapes, {
      kind: 'attention',
      node: 'stage3',
      sample: 1,
    })) as AttentionMaps;
    expect(Array.from(b.weights)).not.toEqual(Array.from(a.weights));
  });

  it('attention of a channel-independent series has one group per channel', async () => {
    const a = (await handleInspect(series, seriesData, {
      kind: 'attention',
      node: 'attn',
      sample: 2,
    })) as AttentionMaps;
    expect([a.groups, a.heads, a.tokens]).toEqual([3, 2, 4]);
    expect(a.grid).toEqual([4]);
  });

  it('returns the activation of any node; the head equals the model output', async () => {
    const head = (await handleInspect(image, shapes, {
      kind: 'activation',
      node: 'head',
      sample: 3,
    })) as Activation;
    const { x, y } = shapes.batch('test', [3]);
    const out = image.predict(x) as tf.Tensor;
    expect(head.shape).toEqual([10]);
    Array.from(out.dataSync()).forEach((v, i) => expect(head.values[i]).toBeCloseTo(v, 5));
    tf.dispose([x, y, out]);

    const stage = (await handleInspect(image, shapes, {
      kind: 'activation',
      node: 'stage2',
      sample: 0,
    })) as Activation;
    expect(stage.layer.startsWith('stage2/')).toBe(true);
    expect(stage.shape).toEqual([7, 7, 32]);
    expect(stage.values.length).toBe(7 * 7 * 32);

    const input = (await handleInspect(image, shapes, {
      kind: 'activation',
      node: 'input',
      sample: 0,
    })) as Activation;
    expect(input.shape).toEqual([28, 28, 1]);
    expect(input.max).toBeLessThanOrEqual(1);
  });

  it('names the node and the valid choices when a request does not fit', async () => {
    await expect(handleInspect(image, shapes, { kind: 'filter', node: 'stage3' })).rejects.toThrow(
      /node 'stage3' has no spectral filter .* choose one of stage1\/b0\/mixer, stage2\/b0\/mixer/,
    );
    await expect(
      handleInspect(image, shapes, { kind: 'attention', node: 'nope', sample: 0 }),
    ).rejects.toThrow("node 'nope' has no attention (MultiHeadAttention) in this model");
    await expect(
      handleInspect(image, shapes, { kind: 'activation', node: 'head', sample: 999 }),
    ).rejects.toThrow('sample 999 is outside the test split: expected a whole number from 0 to');
  });

  it('leaves no tensors behind', async () => {
    const reqs = [
      { kind: 'filter', node: 'stage2' },
      { kind: 'attention', node: 'stage3', sample: 1 },
      { kind: 'activation', node: 'stage1', sample: 2 },
    ] as const;
    for (const r of reqs) await handleInspect(image, shapes, r);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) for (const r of reqs) await handleInspect(image, shapes, r);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('inside view of a plain sequence filter', () => {
  it('reads a HartleySSM over [L, C] as one 1 × L map per channel', async () => {
    const model = compileDocument(
      chain(
        [
          { id: 'input', type: 'Input', params: { shape: [16, 3] } },
          { id: 'ssm', type: 'HartleySSM', params: {} },
          { id: 'head', type: 'ForecastHead', params: { horizon: 4, channels: 3 } },
          { id: 'output', type: 'Output' },
        ],
        { kind: 'forecasting', lookback: 16, horizon: 4, channels: 3 },
      ),
    ).model;
    const f = (await handleInspect(model, seriesData, { kind: 'filter', node: 'ssm' })) as SpectralFilterMap;
    expect(f.layerClass).toBe('HeraclesSpectralFilter');
    expect(f.weightShape).toEqual([16, 3]);
    expect([f.rows, f.cols, f.channels]).toEqual([1, 16, 3]);
    const w = model.getLayer('ssm').getWeights()[0].dataSync();
    // map c, column t is weight[t, c]
    expect(f.values[2 * 16 + 5]).toBe(w[5 * 3 + 2]);
    model.dispose();
  });
});
