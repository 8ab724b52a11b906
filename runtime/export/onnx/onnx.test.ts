/**
 * The ONNX exporter against the real onnxruntime (onnxruntime-node, CPU): every layer class the blocks
 * build, alone in a small graph, and the heracles-tiny / heracles-ts templates, with seeded non-trivial
 * weights (BatchNorm moving statistics included), must give the tfjs outputs (wasm backend) to 1e-4.
 * Also: a symbolic batch, refusals with an ExportError naming the layer, no tensors leaked.
 * Run: npx vitest run runtime/export/onnx/onnx.test.ts
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockList, getBlock } from '../../../blocks/index';
import type { Shape } from '../../../blocks/types';
import { chain, preset, randomArray } from '../../../tests/unit/helpers';
import { initNodeBackend } from '../../backend/node';
import { compileDocument } from '../../graph/compile';
import { resolveParams } from '../../graph/params';
import { HeraclesLayer } from '../../layers/base';
import { modelGraph } from '../model-graph';
import { ExportError, ONNX_LAYER_CLASSES, exportOnnx } from './index';
import type { OnnxExportOptions } from './index';
import { randomizeWeights } from './testing';
import { onnx } from './builder';

const TOL = 1e-4;

/** A CPU onnxruntime session of `bytes`, run once on `feeds` (the caller releases the session). */
async function runOnnx(bytes: Uint8Array, feeds: Record<string, { data: Float32Array; shape: number[] }>) {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  const inputs = Object.fromEntries(
    Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.shape)]),
  );
  const out = await session.run(inputs);
  return { session, out };
}

/** Exports `model` (with `opts`), runs tfjs and onnxruntime on a seeded batch, compares every output. */
async function compare(
  model: tf.LayersModel,
  batch = 3,
  seed = 7,
  opts: OnnxExportOptions = {},
): Promise<{ diff: number; scale: number }> {
  const bytes = exportOnnx(model, opts);
  const xs = model.inputs.map((inp, i) => {
    const shape = [batch, ...(inp.shape.slice(1) as number[])];
    return {
      name: model.inputNames[i],
      shape,
      data: randomArray(
        shape.reduce((a, b) => a * b, 1),
        seed + i,
      ),
    };
  });
  const ys = tf.tidy(() => {
    const p = model.predict(xs.map((x) => tf.tensor(x.data, x.shape)));
    return (Array.isArray(p) ? p : [p]).map((t) => ({
      shape: t.shape,
      data: Float32Array.from(t.dataSync()),
    }));
  });
  const { session, out } = await runOnnx(bytes, Object.fromEntries(xs.map((x) => [x.name, x])));
  expect(session.outputNames.length).toBe(ys.length);
  let diff = 0;
  let scale = 0;
  session.outputNames.forEach((name, i) => {
    const got = out[name];
    expect(got.dims, `output ${name}`).toEqual(ys[i].shape);
    const g = got.data as Float32Array;
    for (let j = 0; j < g.length; j++) {
      const d = Math.abs(g[j] - ys[i].data[j]);
      diff = Number.isNaN(d) ? Infinity : Math.max(diff, d); // a NaN on either side fails
      scale = Math.max(scale, Math.abs(ys[i].data[j]));
    }
  });
  await session.release();
  return { diff, scale };
}

/** One block, built alone: tf.input(s) → block.build → output. */
function blockModel(type: string, overrides: Record<string, unknown>, inputs: Shape[]): tf.LayersModel {
  const b = getBlock(type);
  if (!b?.build) throw new Error(`no buildable block ${type}`);
  const r = resolveParams(b, overrides);
  if (r.problems.length) throw new Error(r.problems.map((p) => p.message).join('; '));
  b.inferShape(inputs, r.values);
  const ins = inputs.map((s) => tf.input({ shape: s }));
  const outs = b.build(r.values, { name: `n_${type}`, inputShapes: inputs, seed: 1 })(ins);
  return tf.model({ inputs: ins, outputs: outs });
}

interface Case {
  type: string;
  params?: Record<string, unknown>;
  inputs: Shape[];
}

const IMG: Shape = [4, 6, 8]; // non-square, so an H/W mix-up shows
const SEQ: Shape = [12, 8];
const VEC: Shape = [8];

const CASES: Case[] = [
  ...(['dht2d', 'dct', 'dht1d'] as const).flatMap((transform) => [
    { type: 'HartleySSM', params: { transform }, inputs: [IMG] },
    { type: 'HartleySSM', params: { transform }, inputs: [SEQ] },
  ]),
  { type: 'HartleySSM', params: { transform: 'dht2d' }, inputs: [[1, 6, 4]] },
  { type: 'LocalConvSSM', inputs: [IMG] },
  { type: 'LocalConvSSM', params: { rows: true, kernelSize: 5 }, inputs: [IMG] },
  { type: 'LocalConvSSM', params: { kernelSize: 2 }, inputs: [IMG] },
  { type: 'LocalConvSSM', inputs: [SEQ] },
  { type: 'HeraclesMixer', inputs: [IMG] },
  { type: 'HeraclesMixer', params: { transform: 'dct', kernelSize: 1 }, inputs: [IMG] },
  { type: 'HeraclesMixer', params: { transform: 'dht1d', rows: true, kernelSize: 5 }, inputs: [[3, 10, 8]] },
  { type: 'HeraclesMixer', params: { transform: 'dht1d' }, inputs: [SEQ] },
  { type: 'MultiHeadAttention', params: { heads: 2 }, inputs: [IMG] },
  { type: 'MultiHeadAttention', params: { heads: 1 }, inputs: [SEQ] },
  { type: 'MultiHeadAttention', params: { heads: 2, rows: true }, inputs: [[3, 5, 8]] },
  { type: 'ClassAttention', params: { heads: 2 }, inputs: [IMG] },
  { type: 'ClassAttention', params: { heads: 2, mlpRatio: 0.5 }, inputs: [SEQ] },
  { type: 'FFN', inputs: [IMG] },
  { type: 'FFN', params: { depthwise: false, mlpRatio: 1.5 }, inputs: [SEQ] },
  { type: 'FFN', params: { rows: true, kernelSize: 5 }, inputs: [[3, 10, 8]] },
  { type: 'PatchEmbed', params: { patchSize: 2, dim: 8, norm: true }, inputs: [[8, 12, 3]] },
  { type: 'PatchEmbed', params: { patchSize: 4, stride: 2, dim: 8 }, inputs: [[16, 3]] },
  {
    type: 'PatchEmbed',
    params: { patchSize: 4, stride: 2, dim: 8, mode: 'channel-independent' },
    inputs: [[16, 3]],
  },
  { type: 'ConvStem', params: { dim: 8, width: 4 }, inputs: [[16, 20, 3]] },
  { type: 'ConvStem', params: { stride: 2, dim: 8, width: 4 }, inputs: [[9, 12, 1]] },
  { type: 'ConvStem', params: { stride: 1, dim: 8, width: 4 }, inputs: [[5, 6, 2]] },
  { type: 'Downsample', params: { dim: 6 }, inputs: [IMG] },
  { type: 'Downsample', params: { dim: 6, preNorm: false }, inputs: [SEQ] },
  ...[IMG, SEQ, VEC].flatMap((s) => [
    { type: 'LayerNorm', inputs: [s] },
    { type: 'BatchNorm', params: { epsilon: 1e-3 }, inputs: [s] },
    { type: 'Dropout', params: { rate: 0.3 }, inputs: [s] },
    { type: 'DropPath', params: { rate: 0.3 }, inputs: [s] },
  ]),
  { type: 'RevIN', inputs: [SEQ] },
  { type: 'RevINDenorm', inputs: [[5, 8], SEQ] },
  { type: 'GlobalPool', inputs: [IMG] },
  { type: 'GlobalPool', params: { mode: 'max' }, inputs: [IMG] },
  { type: 'GlobalPool', inputs: [SEQ] },
  { type: 'GlobalPool', params: { mode: 'max' }, inputs: [SEQ] },
  { type: 'Flatten', inputs: [IMG] },
  { type: 'Flatten', inputs: [SEQ] },
  { type: 'Reshape', params: { targetShape: [-1, 2] }, inputs: [IMG] },
  { type: 'Add', inputs: [IMG, IMG] },
  { type: 'Add', inputs: [SEQ, SEQ, SEQ] },
  { type: 'Concat', inputs: [IMG, [4, 6, 2]] },
  { type: 'Dense', params: { units: 5 }, inputs: [IMG] },
  { type: 'Dense', params: { units: 3, bias: false, activation: 'gelu' }, inputs: [VEC] },
  ...['relu', 'swish', 'tanh', 'sigmoid'].map((activation) => ({
    type: 'Dense',
    params: { units: 4, activation },
    inputs: [SEQ],
  })),
  ...['relu', 'gelu', 'swish', 'tanh', 'sigmoid', 'softmax'].map((fn) => ({
    type: 'Activation',
    params: { fn },
    inputs: [IMG],
  })),
  { type: 'ClassifierHead', params: { classes: 3 }, inputs: [IMG] },
  { type: 'ClassifierHead', params: { classes: 3 }, inputs: [SEQ] },
  { type: 'ClassifierHead', params: { classes: 3, norm: false }, inputs: [VEC] },
  { type: 'ForecastHead', params: { horizon: 5 }, inputs: [[3, 4, 8]] },
  { type: 'ForecastHead', params: { horizon: 5, channels: 3 }, inputs: [SEQ] },
  { type: 'ForecastHead', params: { horizon: 5, channels: 3 }, inputs: [VEC] },
];

/** Input → PatchEmbed → HeraclesMixer → ClassAttention → ClassifierHead → Output, on 8×8×1 images. */
const smallDocument = () =>
  chain(
    [
      { id: 'input', type: 'Input', params: { shape: [8, 8, 1] } },
      { id: 'embed', type: 'PatchEmbed', params: { patchSize: 2, dim: 8 } },
      { id: 'mix', type: 'HeraclesMixer' },
      { id: 'pool', type: 'ClassAttention', params: { heads: 2 } },
      { id: 'head', type: 'ClassifierHead', params: { classes: 10 } },
      { id: 'output', type: 'Output' },
    ],
    { kind: 'classification', inputShape: [8, 8, 1], classes: 10 },
  );

const title = (c: Case) =>
  `${c.type}${c.params ? ` ${JSON.stringify(c.params)}` : ''} on ${c.inputs.map((s) => `[${s.join(',')}]`).join(' + ')}`;

beforeAll(async () => {
  await initNodeBackend('wasm');
});

afterAll(() => {
  tf.disposeVariables();
});

describe('ONNX export matches tfjs, block by block', () => {
  it.each(CASES.map((c) => [title(c), c] as const))('%s', async (_, c) => {
    const model = blockModel(c.type, c.params ?? {}, c.inputs);
    randomizeWeights(model, 11);
    // A first prediction builds the transform matrices tfjs caches for good; count after it.
    tf.tidy(() => model.predict(c.inputs.map((s) => tf.zeros([1, ...s]))));
    const before = tf.memory().numTensors;
    const { diff, scale } = await compare(model);
    expect(tf.memory().numTensors).toBe(before);
    expect(scale, 'outputs are not trivially zero').toBeGreaterThan(1e-3);
    expect(diff).toBeLessThanOrEqual(TOL);
  });

  // Every activation tfjs-layers knows (the blocks offer a subset), as an Activation layer on [4, 6, 8].
  it.each([
    'elu',
    'hardSigmoid',
    'linear',
    'relu6',
    'selu',
    'softplus',
    'softsign',
    'mish',
    'gelu_new',
    'logSoftmax',
  ])('activation %s', async (fn) => {
    const inp = tf.input({ shape: IMG });
    // logSoftmax is registered in tfjs-layers but missing from its ActivationIdentifier type.
    const act = tf.layers.activation({ activation: fn as 'elu', name: `act_${fn}` });
    const { diff } = await compare(tf.model({ inputs: inp, outputs: act.apply(inp) as tf.SymbolicTensor }));
    expect(diff).toBeLessThanOrEqual(TOL);
  });

  // tfjs conv options the blocks do not use today ('same' padding, dilation, an activation, no bias).
  it.each([
    [
      'conv2d same, stride 2, relu',
      [7, 9, 3],
      { kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' },
    ],
    ['conv2d same, dilation 2', [7, 9, 3], { kernelSize: [3, 2], padding: 'same', dilationRate: 2 }],
    ['conv1d valid, dilation 2', [11, 3], { kernelSize: 3, dilationRate: 2 }],
    [
      'conv1d same, stride 2, no bias',
      [11, 3],
      { kernelSize: 4, strides: 2, padding: 'same', useBias: false },
    ],
  ] as const)('%s', async (_, shape, args) => {
    const inp = tf.input({ shape: [...shape] });
    const layer =
      shape.length === 3
        ? tf.layers.conv2d({ filters: 4, ...(args as object) } as Parameters<typeof tf.layers.conv2d>[0])
        : tf.layers.conv1d({ filters: 4, ...(args as object) } as Parameters<typeof tf.layers.conv1d>[0]);
    const model = tf.model({ inputs: inp, outputs: layer.apply(inp) as tf.SymbolicTensor });
    randomizeWeights(model, 3);
    const { diff } = await compare(model);
    expect(diff).toBeLessThanOrEqual(TOL);
  });

  it('covers every buildable block and every layer class the exporter knows', () => {
    const buildable = blockList.filter((b) => b.build && b.type !== 'Input' && b.type !== 'Output');
    const tested = new Set(CASES.map((c) => c.type));
    expect(buildable.map((b) => b.type).filter((t) => !tested.has(t))).toEqual([]);
    // Every rule is exercised by some case (the activation layers' variants have their own tests).
    const seen = new Set(
      CASES.flatMap((c) =>
        modelGraph(blockModel(c.type, c.params ?? {}, c.inputs)).layers.map((l) => l.className),
      ),
    );
    expect(ONNX_LAYER_CLASSES.filter((c) => !seen.has(c))).toEqual([]);
  });
});

describe('templates', () => {
  it.each(['heracles-tiny', 'heracles-ts'])('%s: onnxruntime gives the tfjs outputs', async (name) => {
    const { model } = compileDocument(preset(name), { seed: 3 });
    randomizeWeights(model, 5);
    const { diff, scale } = await compare(model, 3);
    expect(scale).toBeGreaterThan(1e-2);
    expect(diff).toBeLessThanOrEqual(TOL);
  });
});

describe('the ONNX file', () => {
  it('has opset 17, IR version 8, a symbolic batch and runs batches of 1 and 5 in one session', async () => {
    const model = blockModel('HeraclesMixer', {}, [IMG]);
    randomizeWeights(model, 2);
    const bytes = exportOnnx(model, { docName: 'mixer test' });
    const proto = onnx.ModelProto.decode(bytes);
    const graph = proto.graph as InstanceType<typeof onnx.GraphProto>;
    expect(Number(proto.irVersion)).toBe(8);
    expect(proto.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(graph.name).toBe('mixer test');
    const input = graph.input[0];
    expect(input?.name).toBe(model.inputNames[0]);
    expect(input?.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue))).toEqual([
      'batch',
      ...IMG,
    ]);
    // The transforms are matmuls with constant matrices, never FFT/DFT ops.
    const ops = new Set(graph.node.map((n) => n.opType));
    expect(ops.has('DFT')).toBe(false);
    expect(ops.has('MatMul')).toBe(true);

    const session = await ort.InferenceSession.create(bytes);
    for (const batch of [1, 5]) {
      const shape = [batch, ...IMG];
      const data = randomArray(
        shape.reduce((a, b) => a * b, 1),
        batch,
      );
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, shape) });
      const got = out[session.outputNames[0]];
      expect(got.dims).toEqual(shape);
      const want = tf.tidy(() => (model.predict(tf.tensor(data, shape)) as tf.Tensor).dataSync());
      const g = got.data as Float32Array;
      expect(Math.max(...g.map((v, i) => Math.abs(v - want[i])))).toBeLessThanOrEqual(TOL);
    }
    await session.release();
  });

  // Opset 18 moved the axes of the Reduce ops from attributes to inputs; 13 is the oldest we write.
  it.each([13, 18, 21])('writes opset %i, which onnxruntime runs with the same results', async (opset) => {
    const { model } = compileDocument(smallDocument(), { seed: 1 });
    randomizeWeights(model, 4);
    const proto = onnx.ModelProto.decode(exportOnnx(model, { opset }));
    expect(proto.opsetImport.map((o) => Number(o.version))).toEqual([opset]);
    const { diff } = await compare(model, 2, 7, { opset });
    expect(diff).toBeLessThanOrEqual(TOL);
  });
});

describe('refusals', () => {
  /** A layer class the exporter has no rule for. */
  class Mystery extends HeraclesLayer {
    static className = 'TestMysteryLayer';
    override call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return tf.tidy(() => tf.neg(Array.isArray(x) ? x[0] : x));
    }
  }

  it('names the layer and class it cannot translate, before writing anything', () => {
    const inp = tf.input({ shape: [4] });
    const hidden = tf.layers.dense({ units: 4, name: 'stage1/fc' }).apply(inp) as tf.SymbolicTensor;
    const out = new Mystery({ name: 'stage1/odd' }).apply(hidden) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: out });
    expect(() => exportOnnx(model)).toThrow(ExportError);
    expect(() => exportOnnx(model)).toThrow(
      /^stage1\/odd: TestMysteryLayer layers cannot be exported to ONNX/,
    );
    try {
      exportOnnx(model);
    } catch (e) {
      expect((e as ExportError).node).toBe('stage1/odd');
    }
  });

  it('refuses a channels-first convolution, naming the layer', () => {
    const inp = tf.input({ shape: [3, 8, 8] });
    const conv = tf.layers.conv2d({
      filters: 2,
      kernelSize: 3,
      dataFormat: 'channelsFirst',
      name: 'stem/conv0',
    });
    const model = tf.model({ inputs: inp, outputs: conv.apply(inp) as tf.SymbolicTensor });
    expect(() => exportOnnx(model)).toThrow(/^stem\/conv0: Conv2D has dataFormat "channelsFirst"/);
  });

  it('refuses an opset outside 13–21', () => {
    const model = blockModel('LayerNorm', {}, [VEC]);
    expect(() => exportOnnx(model, { opset: 11 })).toThrow(/opset 11 is not supported/);
  });
});

// The chain helper builds documents; keep one end-to-end document case so compileDocument's naming
// (node paths as layer names, the Input node as the ONNX input) is covered too.
describe('a compiled document', () => {
  it('uses the Input node as the ONNX input name and the head as the output name', async () => {
    const { model } = compileDocument(smallDocument(), { seed: 1 });
    randomizeWeights(model, 9);
    const { diff } = await compare(model, 2);
    expect(diff).toBeLessThanOrEqual(TOL);
    const g = onnx.ModelProto.decode(exportOnnx(model)).graph as InstanceType<typeof onnx.GraphProto>;
    expect(g.input.map((i) => i.name)).toEqual(model.inputNames);
    expect(g.output.map((o) => o.name)).toEqual(['head/head']);
  });
});
