/**
 * Every block of the registry, built alone and checked against its own declarations:
 *   (a) the built model's output shape is what `inferShape` says,
 *   (b) its trainable parameter count is exactly `cost(...).params`,
 *   (c) a forward pass gives finite numbers of that shape,
 *   (d) it documents itself, its type id is unique and its defaults pass its own param spec.
 * Composites (Heracles Block, Stage) are compiled through a document and compared with the analysis.
 * Then numeric checks of the custom layers against plain-tf (or float64) references.
 * Run: npx vitest run blocks/blocks.test.ts
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../runtime/backend/node';
import { analyzeDocument } from '../runtime/graph/analyze';
import { compileDocument } from '../runtime/graph/compile';
import { resolveParams } from '../runtime/graph/params';
import { depthwise, spectralFilter } from '../runtime/layers/ops';
import { dht2dRef } from '../runtime/spectral/matrices';
import { chain, randomArray } from '../tests/unit/helpers';
import { blockList, getBlock } from './index';
import { BlockError, kindOfShape, product } from './types';
import type { BlockDef, ParamValues, Shape } from './types';

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

const randomTensor = (shape: number[], seed: number, scale = 1, offset = 0): tf.Tensor =>
  tf.tidy(() => tf.add(tf.mul(tf.tensor(randomArray(product(shape), seed), shape), scale), offset));

const trainableCount = (model: tf.LayersModel): number =>
  model.trainableWeights.reduce((n, w) => n + product(w.shape as number[]), 0);

function expectClose(actual: tf.Tensor, expected: tf.Tensor, tol: number, what = ''): void {
  expect(actual.shape, what).toEqual(expected.shape);
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]);
  expect(diff, what).toBeLessThan(tol);
}

/** A one-block model: tf.input(s) → block.build → output. */
function oneBlockModel(
  b: BlockDef,
  params: ParamValues,
  inputShapes: Shape[],
  name = `n_${b.type}`,
): tf.LayersModel {
  const inputs = inputShapes.map((s) => tf.input({ shape: s }));
  const fn = (b.build as NonNullable<BlockDef['build']>)(params, { name, inputShapes, seed: 1 });
  return tf.model({ inputs, outputs: fn(inputs) });
}

const block = (type: string): BlockDef => {
  const b = getBlock(type);
  if (!b) throw new Error(`no block ${type}`);
  return b;
};

// ------------------------------------------------------------------------------------------
// Cases: every buildable block × every candidate input shape it accepts (+ a few param variants)
// ------------------------------------------------------------------------------------------

const CANDIDATES: Shape[] = [[6, 6, 4], [8, 8, 8], [16, 4], [8]];
const NOT_BUILT = new Set(['Input', 'Output']);
const buildable = blockList.filter((b) => b.build && !NOT_BUILT.has(b.type));

interface Case {
  title: string;
  block: BlockDef;
  params: ParamValues;
  inputs: Shape[];
  outputs: Shape[];
}

/** Input shapes for a block from one candidate: variadic blocks get two edges, RevIN Denorm a reference. */
function inputsFor(b: BlockDef, s: Shape): Shape[] | null {
  if (b.variadicInput) return b.type === 'Concat' ? [s, [...s.slice(0, -1), 2]] : [s, s];
  if (b.type === 'RevINDenorm') return s.length === 2 ? [[8, s[1]], s] : null;
  return [s];
}

function accepted(b: BlockDef, params: ParamValues, inputs: Shape[]): Shape[] | null {
  // Port kinds, as the analysis checks them.
  for (const [i, port] of b.inputs.entries()) {
    const s = inputs[i];
    if (port.kind !== 'any' && port.kind !== 'same' && kindOfShape(s) !== port.kind) return null;
  }
  try {
    return b.inferShape(inputs, params);
  } catch (e) {
    if (e instanceof BlockError) return null;
    throw e;
  }
}

function casesFor(b: BlockDef, overrides: Record<string, unknown> = {}, label = ''): Case[] {
  const r = resolveParams(b, overrides);
  if (r.problems.length)
    throw new Error(`${b.type} ${label}: ${r.problems.map((p) => p.message).join('; ')}`);
  const out: Case[] = [];
  for (const s of CANDIDATES) {
    const inputs = inputsFor(b, s);
    if (!inputs) continue;
    const outputs = accepted(b, r.values, inputs);
    if (!outputs) continue;
    out.push({
      title: `${b.type}${label ? ` (${label})` : ''} on ${inputs.map((x) => `[${x.join(',')}]`).join(' + ')}`,
      block: b,
      params: r.values,
      inputs,
      outputs,
    });
  }
  return out;
}

const DEFAULT_CASES = buildable.flatMap((b) => casesFor(b));

/** Non-default params that take other code paths in `build`. */
const VARIANT_CASES: Case[] = [
  casesFor(block('ConvStem'), { stride: 1, dim: 8, width: 4 }, 'stride 1'),
  casesFor(block('ConvStem'), { stride: 2, dim: 8, width: 4 }, 'stride 2'),
  casesFor(
    block('ConvStem'),
    { stride: 2, dim: 8, width: 4, downsampleAt: 'last' },
    'stride 2 at the last conv',
  ),
  casesFor(block('PatchEmbed'), { patchSize: 2, dim: 8, norm: true }, 'p2 norm'),
  casesFor(block('PatchEmbed'), { patchSize: 3, stride: 2, dim: 8 }, 'p3 s2'),
  casesFor(
    block('PatchEmbed'),
    { patchSize: 4, stride: 2, dim: 8, mode: 'channel-independent' },
    'channel-independent',
  ),
  casesFor(block('Downsample'), { dim: 6, preNorm: false }, 'no pre-norm'),
  casesFor(block('HartleySSM'), { transform: 'dct' }, 'dct'),
  casesFor(block('HartleySSM'), { transform: 'dht1d' }, 'dht1d'),
  casesFor(block('LocalConvSSM'), { kernelSize: 5 }, 'k5'),
  casesFor(block('LocalConvSSM'), { kernelSize: 2 }, 'k2'),
  casesFor(block('HeraclesMixer'), { transform: 'dct', kernelSize: 1 }, 'dct k1'),
  casesFor(block('HeraclesMixer'), { transform: 'dht1d', kernelSize: 5 }, 'dht1d k5'),
  casesFor(block('MultiHeadAttention'), { heads: 1 }, '1 head'),
  casesFor(block('ClassAttention'), { heads: 2, mlpRatio: 0.5 }, '2 heads, ratio 0.5'),
  casesFor(block('FFN'), { mlpRatio: 1.5, depthwise: false }, 'no dwconv'),
  casesFor(block('FFN'), { mlpRatio: 0.25, kernelSize: 5 }, 'ratio 0.25 k5'),
  casesFor(block('Dense'), { units: 3, bias: false, activation: 'gelu' }, 'no bias'),
  ...['relu', 'swish', 'tanh', 'sigmoid', 'softmax'].map((fn) => casesFor(block('Activation'), { fn }, fn)),
  casesFor(block('GlobalPool'), { mode: 'max' }, 'max'),
  casesFor(block('Reshape'), { targetShape: [-1, 2] }, '[-1, 2]'),
  casesFor(block('ClassifierHead'), { classes: 3, norm: false }, 'no norm'),
  casesFor(block('ForecastHead'), { horizon: 5, channels: 3 }, 'h5 c3'),
  casesFor(block('BatchNorm'), { momentum: 0.5, epsilon: 1e-3 }, 'momentum 0.5'),
].flat();

// ------------------------------------------------------------------------------------------

beforeAll(async () => {
  await initNodeBackend('cpu');
});

afterAll(() => {
  tf.disposeVariables();
});

describe('block registry metadata', () => {
  it('has unique type ids', () => {
    const types = blockList.map((b) => b.type);
    expect(new Set(types).size).toBe(types.length);
  });

  it.each(blockList.map((b) => [b.type, b] as const))(
    '%s: docs and defaults that pass its own spec',
    (_, b) => {
      expect(b.displayName.trim()).not.toBe('');
      expect(b.summary.trim()).not.toBe('');
      expect(b.docs.trim()).not.toBe('');
      const { values, problems } = resolveParams(b, {});
      expect(problems).toEqual([]);
      expect(Object.keys(values).sort()).toEqual(Object.keys(b.params).sort());
      // Every non-composite, non-io block can be built; composites expand instead.
      if (b.category === 'composite') expect(b.build).toBeUndefined();
      else if (!NOT_BUILT.has(b.type)) expect(b.build, `${b.type} has no build`).toBeTypeOf('function');
    },
  );

  it('finds at least one accepted test shape for every buildable block', () => {
    const covered = new Set(DEFAULT_CASES.map((c) => c.block.type));
    expect(buildable.map((b) => b.type).filter((t) => !covered.has(t))).toEqual([]);
    // And image, sequence and vector inputs are all exercised somewhere.
    const ranks = new Set(DEFAULT_CASES.map((c) => c.inputs[0].length));
    expect([...ranks].sort()).toEqual([1, 2, 3]);
  });
});

describe('each block built alone matches inferShape and cost', () => {
  it.each([...DEFAULT_CASES, ...VARIANT_CASES].map((c) => [c.title, c] as const))('%s', (_, c) => {
    const model = oneBlockModel(c.block, c.params, c.inputs);
    try {
      // (a) symbolic output shapes
      expect(model.outputs.length).toBe(c.outputs.length);
      model.outputs.forEach((o, i) => expect(o.shape.slice(1), `output ${i}`).toEqual(c.outputs[i]));
      // (b) trainable parameters, exactly
      expect(trainableCount(model)).toBe(c.block.cost(c.inputs, c.params).params);
      // (c) a forward pass on random input
      const xs = c.inputs.map((s, i) => randomTensor([2, ...s], 100 + i));
      const ys = ([] as tf.Tensor[]).concat(model.predict(xs) as tf.Tensor | tf.Tensor[]);
      ys.forEach((y, i) => {
        expect(y.shape).toEqual([2, ...c.outputs[i]]);
        const data = y.dataSync();
        expect(
          data.every((v) => Number.isFinite(v)),
          `finite output ${i}`,
        ).toBe(true);
      });
      tf.dispose([...xs, ...ys]);
    } finally {
      model.dispose();
    }
  });
});

describe('Conv Stem: where stride 2 downsamples', () => {
  it.each(['first', 'last'] as const)('at the %s conv: that conv strides, the cost counts it', (at) => {
    const stem = block('ConvStem');
    const params = resolveParams(stem, { stride: 2, dim: 8, width: 4, downsampleAt: at }).values;
    const model = oneBlockModel(stem, params, [[12, 12, 1]]);
    try {
      const strides = model.layers
        .filter((l) => l.getClassName() === 'Conv2D')
        .map((l) => (l.getConfig().strides as number[])[0]);
      expect(strides).toEqual(at === 'first' ? [2, 1, 1, 1] : [1, 1, 1, 2]);
      expect(model.outputs[0].shape.slice(1)).toEqual([6, 6, 8]);
    } finally {
      model.dispose();
    }
    // The inner convs at full resolution cost 4× as much; the parameters are the same.
    const first = stem.cost([[12, 12, 1]], { ...params, downsampleAt: 'first' });
    const last = stem.cost([[12, 12, 1]], { ...params, downsampleAt: 'last' });
    expect(last.params).toBe(first.params);
    expect(last.macs).toBeGreaterThan(2 * first.macs);
  });
});

describe('composites compiled through a document match the analysis', () => {
  const image = { kind: 'classification', inputShape: [8, 8, 16], classes: 10 } as const;
  const sequence = { kind: 'classification', inputShape: [12, 8], classes: 4 } as const;
  type Task = typeof image | typeof sequence;

  const docFor = (type: string, params: Record<string, unknown>, task: Task) =>
    chain(
      [
        { id: 'in', type: 'Input', params: { shape: [...task.inputShape] } },
        { id: 'c', type, params },
        { id: 'head', type: 'ClassifierHead', params: { classes: task.classes } },
        { id: 'out', type: 'Output' },
      ],
      { ...task, inputShape: [...task.inputShape] },
    );

  const CASES: [string, string, Record<string, unknown>, Task][] = [
    ['HeraclesBlock ssm (defaults)', 'HeraclesBlock', {}, image],
    ['HeraclesBlock attention', 'HeraclesBlock', { mixer: 'attention', heads: 2, mlpRatio: 2 }, image],
    [
      'HeraclesBlock hartley dct',
      'HeraclesBlock',
      { mixer: 'hartley', transform: 'dct', mlpRatio: 1 },
      image,
    ],
    [
      'HeraclesBlock local k5 + drop path',
      'HeraclesBlock',
      { mixer: 'local', kernelSize: 5, dropPath: 0.2 },
      image,
    ],
    [
      'HeraclesBlock ssm on a sequence',
      'HeraclesBlock',
      { mixer: 'ssm', transform: 'dht1d', mlpRatio: 2 },
      sequence,
    ],
    ['Stage (defaults, dim 16)', 'Stage', { dim: 16 }, image],
    [
      'Stage downsample + attention',
      'Stage',
      { depth: 2, dim: 32, downsample: true, mixer: 'attention', heads: 4, mlpRatio: 2 },
      image,
    ],
    [
      'Stage ssm ×3 with drop path',
      'Stage',
      { depth: 3, dim: 16, mlpRatio: 1, dropPathStart: 0, dropPathEnd: 0.2 },
      image,
    ],
    [
      'Stage downsample on a sequence',
      'Stage',
      { depth: 1, dim: 8, downsample: true, mixer: 'hartley', transform: 'dht1d' },
      sequence,
    ],
  ];

  it.each(CASES)('%s', (_, type, params, task) => {
    const doc = docFor(type, params, task);
    const analysis = analyzeDocument(doc);
    expect(analysis.issues).toEqual([]);
    const { model } = compileDocument(doc);
    try {
      expect(trainableCount(model)).toBe(analysis.totals.params);
      // The composite's own share, too: everything but the head.
      const head = analysis.nodes.head.cost?.params ?? 0;
      expect(analysis.nodes.c.cost?.params).toBe(analysis.totals.params - head);
      // The composite's own inferShape agrees with the expanded graph's analysis.
      const c = analysis.nodes.c;
      expect(block(type).inferShape(c.inputShapes ?? [], c.params ?? {})).toEqual(c.outputShapes);
      expect(model.outputs[0].shape.slice(1)).toEqual([task.classes]);
      const x = randomTensor([2, ...task.inputShape], 7);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, task.classes]);
      expect(y.dataSync().every((v) => Number.isFinite(v))).toBe(true);
      tf.dispose([x, y]);
    } finally {
      model.dispose();
    }
  });
});

// ------------------------------------------------------------------------------------------
// Numeric checks of the custom layers
// ------------------------------------------------------------------------------------------

/** Sets a model's trainable weights by name suffix (`/q_kernel` …) to the given tensors. */
function weightsBySuffix(model: tf.LayersModel): Map<string, tf.LayerVariable> {
  const m = new Map<string, tf.LayerVariable>();
  for (const w of model.weights) m.set(w.originalName.split('/').pop() as string, w);
  return m;
}

function setWeight(model: tf.LayersModel, suffix: string, value: tf.Tensor): void {
  const w = weightsBySuffix(model).get(suffix);
  if (!w) throw new Error(`no weight ${suffix} in ${model.weights.map((x) => x.originalName).join(', ')}`);
  expect(w.shape).toEqual(value.shape);
  w.write(value);
}

/** Channels `start, start + step, …` of the last axis. */
const everyOther = (x: tf.Tensor, start: number): tf.Tensor =>
  tf.tidy(() => {
    const c = x.shape[x.rank - 1];
    const idx = tf.tensor1d(
      Array.from({ length: c / 2 }, (_, i) => 2 * i + start),
      'int32',
    );
    return tf.gather(x, idx, x.rank - 1);
  });

describe('Heracles Mixer: channel 2i is the local branch, 2i+1 the spectral branch', () => {
  const CASES: [string, Shape, string, number][] = [
    ['image dht2d k3', [6, 6, 8], 'dht2d', 3],
    ['image dct k5', [5, 7, 4], 'dct', 5],
    ['sequence dht1d k3', [16, 4], 'dht1d', 3],
  ];
  it.each(CASES)('%s', (_, shape, transform, kernelSize) => {
    const c = shape[shape.length - 1];
    const half = c / 2;
    const halfShape = [...shape.slice(0, -1), half];
    const mixer = oneBlockModel(block('HeraclesMixer'), { transform, kernelSize }, [shape], 'mix');
    const local = oneBlockModel(block('LocalConvSSM'), { kernelSize }, [halfShape], 'loc');
    const spectral = oneBlockModel(block('HartleySSM'), { transform }, [halfShape], 'spec');
    const kh = shape.length === 3 ? kernelSize : 1;
    const kernel = randomTensor([kh, kernelSize, half, 1], 11, 0.5);
    const bias = randomTensor([half], 12, 0.3);
    const weight = randomTensor([...shape.slice(0, -1), half], 13);
    setWeight(mixer, 'local_kernel', kernel);
    setWeight(mixer, 'local_bias', bias);
    setWeight(mixer, 'spectral_weight', weight);
    setWeight(local, 'kernel', kernel);
    setWeight(local, 'bias', bias);
    setWeight(spectral, 'weight', weight);

    const x = randomTensor([2, ...shape], 14);
    const [first, second] = tf.split(x, 2, -1);
    const y = mixer.predict(x) as tf.Tensor;
    const yLocal = local.predict(first) as tf.Tensor;
    const ySpectral = spectral.predict(second) as tf.Tensor;
    expectClose(everyOther(y, 0), yLocal, 1e-5, 'even channels = Local Conv SSM');
    expectClose(everyOther(y, 1), ySpectral, 1e-5, 'odd channels = Hartley SSM');
    // And against the shared ops directly.
    const opsLocal = tf.tidy(() => depthwise(first, kernel, bias));
    const opsSpectral = tf.tidy(() => spectralFilter(second, weight, transform as 'dht2d'));
    expectClose(yLocal, opsLocal, 1e-5, 'local = ops.depthwise');
    expectClose(ySpectral, opsSpectral, 1e-5, 'spectral = ops.spectralFilter');
    tf.dispose([kernel, bias, weight, x, first, second, y, yLocal, ySpectral, opsLocal, opsSpectral]);
    [mixer, local, spectral].forEach((m) => m.dispose());
  });

  it('the spectral branch is the true 2-D Hartley filter (float64 reference)', () => {
    const [H, W, C] = [5, 6, 4];
    const half = C / 2;
    const mixer = oneBlockModel(
      block('HeraclesMixer'),
      { transform: 'dht2d', kernelSize: 3 },
      [[H, W, C]],
      'mixref',
    );
    const weight = randomTensor([H, W, half], 21);
    setWeight(mixer, 'spectral_weight', weight);
    const x = randomTensor([1, H, W, C], 22);
    const y = mixer.predict(x) as tf.Tensor;
    const got = everyOther(y, 1).arraySync() as number[][][][];
    const xs = x.arraySync() as number[][][][];
    const ws = weight.arraySync() as number[][][];
    let maxDiff = 0;
    for (let ch = 0; ch < half; ch++) {
      // Input channel half + ch feeds output channel 2ch + 1.
      const sig = new Float64Array(H * W);
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) sig[h * W + w] = xs[0][h][w][half + ch];
      const f = dht2dRef(sig, H, W);
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) f[h * W + w] *= ws[h][w][ch];
      const back = dht2dRef(f, H, W);
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) maxDiff = Math.max(maxDiff, Math.abs(back[h * W + w] - got[0][h][w][ch]));
    }
    expect(maxDiff).toBeLessThan(1e-5);
    tf.dispose([weight, x, y]);
    mixer.dispose();
  });
});

describe('Multi-Head Attention equals a plain-tf reference', () => {
  /** softmax(Q_h K_hᵀ / √d) V_h per head, concatenated, then proj — one sample at a time. */
  function reference(x: tf.Tensor, heads: number, w: Record<string, tf.Tensor>): tf.Tensor {
    return tf.tidy(() => {
      const [b] = x.shape;
      const c = x.shape[x.rank - 1];
      const d = c / heads;
      const samples: tf.Tensor[] = [];
      for (let i = 0; i < b; i++) {
        const t = tf.reshape(tf.slice(x, [i], [1]), [-1, c]) as tf.Tensor2D; // [N, C]
        const q = tf.add(tf.matMul(t, w.q_kernel as tf.Tensor2D), w.q_bias);
        const kv = tf.add(tf.matMul(t, w.kv_kernel as tf.Tensor2D), w.kv_bias);
        const k = tf.slice(kv, [0, 0], [-1, c]);
        const v = tf.slice(kv, [0, c], [-1, c]);
        const outs: tf.Tensor[] = [];
        for (let h = 0; h < heads; h++) {
          const qh = tf.slice(q, [0, h * d], [-1, d]) as tf.Tensor2D;
          const kh = tf.slice(k, [0, h * d], [-1, d]) as tf.Tensor2D;
          const vh = tf.slice(v, [0, h * d], [-1, d]) as tf.Tensor2D;
          const scores = tf.div(tf.matMul(qh, kh, false, true), Math.sqrt(d));
          outs.push(tf.matMul(tf.softmax(scores) as tf.Tensor2D, vh));
        }
        const o = tf.add(
          tf.matMul(tf.concat(outs, 1) as tf.Tensor2D, w.proj_kernel as tf.Tensor2D),
          w.proj_bias,
        );
        samples.push(tf.reshape(o, x.shape.slice(1)));
      }
      return tf.stack(samples);
    });
  }

  it.each([
    ['image [4,4,8], 2 heads', [4, 4, 8], 2],
    ['sequence [10,8], 4 heads', [10, 8], 4],
    ['sequence [6,6], 1 head', [6, 6], 1],
  ] as [string, Shape, number][])('%s', (_, shape, heads) => {
    const c = shape[shape.length - 1];
    const model = oneBlockModel(block('MultiHeadAttention'), { heads }, [shape], 'mha');
    // Larger weights than the init so the softmax is far from uniform.
    const w: Record<string, tf.Tensor> = {
      q_kernel: randomTensor([c, c], 31, 0.8),
      q_bias: randomTensor([c], 32, 0.3),
      kv_kernel: randomTensor([c, 2 * c], 33, 0.8),
      kv_bias: randomTensor([2 * c], 34, 0.3),
      proj_kernel: randomTensor([c, c], 35, 0.8),
      proj_bias: randomTensor([c], 36, 0.3),
    };
    for (const [name, value] of Object.entries(w)) setWeight(model, name, value);
    const x = randomTensor([3, ...shape], 37, 1.5);
    const y = model.predict(x) as tf.Tensor;
    const ref = reference(x, heads, w);
    expectClose(y, ref, 1e-4);
    // The reference is not trivially constant: tokens get different outputs.
    const spread = tf.tidy(
      () =>
        tf
          .moments(tf.reshape(ref, [3, -1, c]), 1)
          .variance.max()
          .dataSync()[0],
    );
    expect(spread).toBeGreaterThan(1e-4);
    tf.dispose([...Object.values(w), x, y, ref]);
    model.dispose();
  });
});

describe('Class Attention', () => {
  it.each([
    ['image', [6, 6, 8]],
    ['sequence', [16, 4]],
  ] as [string, Shape][])('pools %s tokens to [B, C]', (_, shape) => {
    const c = shape[shape.length - 1];
    const model = oneBlockModel(
      block('ClassAttention'),
      { heads: 2, mlpRatio: 2, epsilon: 1e-6 },
      [shape],
      'ca',
    );
    expect(model.outputs[0].shape).toEqual([null, c]);
    const x = randomTensor([3, ...shape], 41);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([3, c]);
    expect(y.dataSync().every((v) => Number.isFinite(v))).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('RevIN then RevIN Denorm with the same reference returns the input', () => {
  it.each([
    [[16, 4], 1e-5],
    [[32, 3], 1e-8],
  ] as [Shape, number][])('on [%s]', (shape, epsilon) => {
    const x = tf.input({ shape });
    const normed = (block('RevIN').build as NonNullable<BlockDef['build']>)(
      { epsilon },
      { name: 'rin', inputShapes: [shape], seed: 1 },
    )([x]);
    const back = (block('RevINDenorm').build as NonNullable<BlockDef['build']>)(
      { epsilon },
      { name: 'rden', inputShapes: [shape, shape], seed: 1 },
    )([normed[0], x]);
    const model = tf.model({ inputs: x, outputs: [normed[0], back[0]] });
    expect(trainableCount(model)).toBe(0);
    // Series with very different levels and spreads.
    const data = tf.tidy(() =>
      tf.add(
        tf.mul(randomTensor([2, ...shape], 51), tf.linspace(0.5, 20, shape[1])),
        tf.linspace(-100, 300, shape[1]),
      ),
    );
    const [n, y] = model.predict(data) as tf.Tensor[];
    // The normalised series have mean 0 and standard deviation ~1 over time.
    const { mean, variance } = tf.moments(n, 1);
    expect(tf.max(tf.abs(mean)).dataSync()[0]).toBeLessThan(1e-4);
    expect(tf.max(tf.abs(tf.sub(variance, 1))).dataSync()[0]).toBeLessThan(1e-3);
    expectClose(y, data, 2e-3);
    tf.dispose([data, n, y, mean, variance]);
    model.dispose();
  });
});
