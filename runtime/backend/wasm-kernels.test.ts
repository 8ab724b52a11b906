import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from './node';
import type { NodeBackend } from './node';
import {
  registerWasmTrainingKernels,
  WASM_REPLACED_KERNEL_NAMES,
  WASM_TRAINING_KERNELS,
} from './wasm-kernels';
import { allKernelCases, maxRelDiff, seededValues } from './kernel-grid';
import { fusedKernelsActive, markFusedKernels, wasmMemory } from './fused-ops';
import type { Values } from './kernel-grid';

const RTOL = 1e-4;

async function on<T>(backend: NodeBackend, f: () => T): Promise<T> {
  await initNodeBackend(backend);
  return f();
}

/** Backend-level buffers of the active backend (catches intermediates leaked inside kernels). */
const backendBuffers = (): number => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

beforeAll(async () => {
  await initNodeBackend('wasm');
});

afterAll(async () => {
  await initNodeBackend('wasm');
});

describe('registration', () => {
  it('registers the missing gradient kernels for wasm, idempotently', () => {
    registerWasmTrainingKernels();
    registerWasmTrainingKernels();
    const names = WASM_TRAINING_KERNELS.map((k) => k.kernelName);
    expect(names).toEqual(
      expect.arrayContaining([
        'Conv2DBackpropFilter',
        'DepthwiseConv2dNativeBackpropFilter',
        'DepthwiseConv2dNativeBackpropInput',
        'UnsortedSegmentSum',
      ]),
    );
    for (const name of names) expect(tf.getKernel(name, 'wasm')).toBeDefined();
  });

  it('leaves no kernel needed by gradients missing on wasm, apart from FFT/complex ones', () => {
    const wasm = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
    const missing = tf
      .getKernelsForBackend('cpu')
      .map((k) => k.kernelName)
      .filter((k) => !wasm.has(k));
    // None of these is used by a gradient of an op that runs on wasm (FFT & co. have no gradients).
    const notNeeded = [
      'Complex',
      'ComplexAbs',
      'Draw',
      'Einsum',
      'FFT',
      'IFFT',
      'Imag',
      'Real',
      'RaggedGather',
      'RaggedRange',
      'RaggedTensorToTensor',
      'StaticRegexReplace',
    ];
    expect(missing.filter((k) => !notNeeded.includes(k))).toEqual([]);
  });

  it('wraps the replaced wasm kernels once, and can restore the originals', () => {
    const current = () => WASM_REPLACED_KERNEL_NAMES.map((n) => tf.getKernel(n, 'wasm').kernelFunc);
    registerWasmTrainingKernels();
    const wrapped = current();
    registerWasmTrainingKernels();
    expect(current()).toEqual(wrapped); // not wrapped twice
    registerWasmTrainingKernels({ replaceNativeKernels: false });
    const originals = current();
    for (let i = 0; i < originals.length; i++) expect(originals[i]).not.toBe(wrapped[i]);
    registerWasmTrainingKernels({ replaceNativeKernels: false });
    expect(current()).toEqual(originals);
    registerWasmTrainingKernels();
    expect(current()).not.toEqual(originals);
  });

  it('names the unsupported attribute in its errors', () => {
    const x = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 4, 4, 3]);
    expect(() =>
      tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x, dy },
        {
          strides: 1,
          pad: 'same',
          dataFormat: 'NCHW',
          filterShape: [3, 3, 2, 3],
        },
      ),
    ).toThrow(/dataFormat/);
    tf.dispose([x, dy]);
  });
});

describe('kernels equal cpu over a grid of shapes, strides, paddings and kernel sizes', () => {
  const cases = allKernelCases();
  const wasm: (Values | string)[] = [];
  const cpu: (Values | string)[] = [];
  const leaks: number[] = [];
  const attempt = (f: () => Values): Values | string => {
    try {
      return f();
    } catch (e) {
      return String(e);
    }
  };

  // The same cases with the fused kernels off, as where they cannot start (XNNPACK and the project's
  // other formulations then run every product and conv).
  const plainWasm: (Values | string)[] = [];

  beforeAll(async () => {
    await on('wasm', () => {
      for (const c of cases) {
        const before = backendBuffers();
        wasm.push(attempt(c.run));
        leaks.push(backendBuffers() - before);
      }
      expect(fusedKernelsActive()).toBe(true);
      markFusedKernels(null);
      try {
        for (const c of cases) plainWasm.push(attempt(c.run));
      } finally {
        markFusedKernels(wasmMemory() ?? null);
      }
    });
    await on('cpu', () => {
      for (const c of cases) cpu.push(attempt(c.reference));
    });
    await initNodeBackend('wasm');
  });

  it('covers every registered kernel', () => {
    const covered = new Set(cases.map((c) => c.kernel));
    for (const k of WASM_TRAINING_KERNELS) expect(covered.has(k.kernelName)).toBe(true);
    for (const k of WASM_REPLACED_KERNEL_NAMES) expect(covered.has(k)).toBe(true);
    expect(cases.length).toBeGreaterThan(150);
  });

  it.each(cases.map((c, i) => [c.kernel, c.name, i] as const))('%s %s', (_kernel, _name, i) => {
    const [w, c] = [wasm[i], cpu[i]];
    if (typeof w === 'string') throw new Error(`wasm: ${w}`);
    if (typeof c === 'string') throw new Error(`cpu (reference): ${c}`);
    expect(w.length).toBe(c.length);
    expect(maxRelDiff(w, c)).toBeLessThan(RTOL);
    expect(leaks[i]).toBe(0);
    const p = plainWasm[i];
    if (typeof p === 'string') throw new Error(`wasm without the fused kernels: ${p}`);
    expect(maxRelDiff(p, c)).toBeLessThan(RTOL);
  });
});

describe('Exp on wasm (sigmoid formulation) matches expf element by element', () => {
  it('is within 1e-6 relative wherever expf is normal, and maps ±∞, NaN, overflow and underflow alike', async () => {
    const n = 1 << 16;
    const z = new Float32Array(n);
    for (let i = 0; i < n; i++) z[i] = -200 + (300 * i) / n;
    z.set([Infinity, -Infinity, NaN, 88.7, 88.8, -103, -87.5, 0, -0, 1e-30, -1e-30], 0);
    const exp = () => {
      const x = tf.tensor1d(z);
      const y = tf.exp(x);
      const v = y.dataSync().slice();
      tf.dispose([x, y]);
      return v;
    };
    const w = await on('wasm', exp);
    const c = await on('cpu', exp);
    await initNodeBackend('wasm');
    let worst = 0;
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(c[i])) expect(Number.isNaN(w[i])).toBe(true);
      else if (!Number.isFinite(c[i]) || !Number.isFinite(w[i])) expect(w[i]).toBe(c[i]);
      else if (c[i] >= 1.1754944e-38) worst = Math.max(worst, Math.abs(w[i] - c[i]) / c[i]);
      else expect(Math.abs(w[i] - c[i])).toBeLessThan(1e-40); // subnormal results
    }
    expect(worst).toBeLessThan(1e-6);
  });
});

describe('op gradients on wasm equal cpu', () => {
  type GradCase = [string, number[][], (...xs: tf.Tensor[]) => tf.Tensor];
  const t4 = (t: tf.Tensor) => t as tf.Tensor4D;
  const cases: GradCase[] = [
    [
      'conv2d 7x7 k3 s2 same',
      [
        [2, 7, 7, 3],
        [3, 3, 3, 5],
      ],
      (x, f) => tf.conv2d(t4(x), t4(f), 2, 'same'),
    ],
    [
      'conv2d 8x8 k3 s1 valid',
      [
        [2, 8, 8, 3],
        [3, 3, 3, 5],
      ],
      (x, f) => tf.conv2d(t4(x), t4(f), 1, 'valid'),
    ],
    [
      'conv2d 28x28 k7 s2 same',
      [
        [2, 28, 28, 3],
        [7, 7, 3, 4],
      ],
      (x, f) => tf.conv2d(t4(x), t4(f), 2, 'same'),
    ],
    [
      'conv2d 1x1',
      [
        [2, 5, 5, 6],
        [1, 1, 6, 4],
      ],
      (x, f) => tf.conv2d(t4(x), t4(f), 1, 'same'),
    ],
    [
      'fused conv2d + bias + relu',
      [[2, 7, 7, 3], [3, 3, 3, 4], [4]],
      (x, f, b) =>
        tf.fused.conv2d({ x: t4(x), filter: t4(f), strides: 2, pad: 'same', bias: b, activation: 'relu' }),
    ],
    [
      'depthwise k3 s1 same',
      [
        [2, 7, 7, 4],
        [3, 3, 4, 1],
      ],
      (x, f) => tf.depthwiseConv2d(t4(x), t4(f), 1, 'same'),
    ],
    [
      'depthwise k7 s1 same',
      [
        [2, 9, 9, 4],
        [7, 7, 4, 1],
      ],
      (x, f) => tf.depthwiseConv2d(t4(x), t4(f), 1, 'same'),
    ],
    [
      'depthwise k3 s2 valid m2',
      [
        [2, 7, 7, 3],
        [3, 3, 3, 2],
      ],
      (x, f) => tf.depthwiseConv2d(t4(x), t4(f), 2, 'valid'),
    ],
    [
      'fused depthwise + bias',
      [[2, 7, 7, 3], [3, 3, 3, 1], [3]],
      (x, f, b) => tf.fused.depthwiseConv2d({ x: t4(x), filter: t4(f), strides: 1, pad: 'same', bias: b }),
    ],
    [
      'separable conv',
      [
        [2, 7, 7, 3],
        [3, 3, 3, 2],
        [1, 1, 6, 4],
      ],
      (x, d, p) => tf.separableConv2d(t4(x), t4(d), t4(p), 1, 'same'),
    ],
    [
      'conv2dTranspose 7x7 k3 s2 same',
      [
        [2, 4, 4, 5],
        [3, 3, 3, 5],
      ],
      (x, f) => tf.conv2dTranspose(t4(x), t4(f), [2, 7, 7, 3], 2, 'same'),
    ],
    [
      'matMul aᵀ·bᵀ',
      [
        [6, 4],
        [5, 6],
      ],
      (a, b) => tf.matMul(a, b, true, true),
    ],
    ['gather axis 0', [[6, 3]], (a) => tf.gather(a, tf.tensor1d([0, 2, 2, 5], 'int32'))],
    ['gather axis 1', [[3, 6, 2]], (a) => tf.gather(a, tf.tensor2d([0, 2, 2, 5], [2, 2], 'int32'), 1)],
    [
      'unsortedSegmentSum',
      [[5, 3]],
      (a) => tf.unsortedSegmentSum(a, tf.tensor1d([0, 2, 0, 1, 2], 'int32'), 4),
    ],
    [
      'matMul + softmax',
      [
        [4, 6],
        [6, 5],
      ],
      (a, b) => tf.softmax(tf.matMul(a, b)),
    ],
    [
      'gelu(erf) of layer norm',
      [[4, 6]],
      (a) => {
        const { mean, variance } = tf.moments(a, -1, true);
        const n = tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, 1e-5)));
        return tf.mul(n, tf.mul(0.5, tf.add(1, tf.erf(tf.div(n, Math.SQRT2)))));
      },
    ],
  ];

  const inputs = cases.map(([, shapes], i) =>
    shapes.map((s, j) =>
      seededValues(
        s.reduce((p, q) => p * q, 1),
        100 * i + j,
      ),
    ),
  );
  const grads = (): Values[][] =>
    cases.map(([, shapes, f], i) => {
      const gs = tf.tidy(() => {
        const xs = shapes.map((s, j) => tf.tensor(inputs[i][j], s));
        const y = f(...xs);
        const dy = tf.tensor(seededValues(y.size, 7 + i), y.shape);
        return tf.grads((...a: tf.Tensor[]) => f(...a))(xs, dy);
      });
      const out = gs.map((g) => Array.from(g.dataSync()));
      tf.dispose(gs);
      return out;
    });

  let wasm: Values[][] = [];
  let cpu: Values[][] = [];
  beforeAll(async () => {
    wasm = await on('wasm', grads);
    cpu = await on('cpu', grads);
    await initNodeBackend('wasm');
  });

  it.each(cases.map(([name], i) => [name, i] as const))('%s', (_name, i) => {
    for (let j = 0; j < cpu[i].length; j++) expect(maxRelDiff(wasm[i][j], cpu[i][j])).toBeLessThan(RTOL);
  });
});

// ---------------------------------------------------------------------------------------------------
// Whole models
// ---------------------------------------------------------------------------------------------------

/**
 * conv s2 (no bias, as before any BN: its bias gradient would be pure rounding noise) → BN → ReLU →
 * dwconv k7 → LN → conv s1 'valid' (bias) → GELU → dwconv k3 s2 ×2 → dense 10.
 */
function convNet(): tf.LayersModel {
  let seed = 11;
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  const input = tf.input({ shape: [11, 11, 3] });
  const layers: tf.layers.Layer[] = [
    tf.layers.conv2d({
      filters: 8,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      kernelInitializer: init(),
    }),
    tf.layers.batchNormalization(),
    tf.layers.activation({ activation: 'relu' }),
    tf.layers.depthwiseConv2d({ kernelSize: 7, padding: 'same', depthwiseInitializer: init() }),
    tf.layers.layerNormalization(),
    tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 1, padding: 'valid', kernelInitializer: init() }),
    tf.layers.activation({ activation: 'gelu' }),
    tf.layers.depthwiseConv2d({
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      depthMultiplier: 2,
      depthwiseInitializer: init(),
    }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 10, kernelInitializer: init() }),
  ];
  let h: tf.SymbolicTensor = input;
  for (const l of layers) h = l.apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: h });
}

/** embedding (gather) → layer norm → dense. */
function tokenNet(): tf.LayersModel {
  const input = tf.input({ shape: [6], dtype: 'int32' });
  let h = tf.layers
    .embedding({
      inputDim: 20,
      outputDim: 8,
      embeddingsInitializer: tf.initializers.randomNormal({ seed: 5 }),
    })
    .apply(input) as tf.SymbolicTensor;
  h = tf.layers.layerNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  h = tf.layers
    .dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: h });
}

function imageBatch(n: number): { x: tf.Tensor; y: tf.Tensor } {
  const x = tf.tensor(seededValues(n * 11 * 11 * 3, 42), [n, 11, 11, 3]);
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: n }, (_, i) => (i * 3) % 10),
      'int32',
    ),
    10,
  );
  return { x, y };
}

function modelGrads(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Record<string, Values> {
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
  );
  const out: Record<string, Values> = { loss: Array.from(value.dataSync()) };
  for (const [k, g] of Object.entries(grads)) out[k] = Array.from(g.dataSync());
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

describe('whole models', () => {
  it('a conv net’s variableGrads are equal on wasm and cpu', async () => {
    const model = convNet();
    const { x, y } = imageBatch(4);
    const wasm = await on('wasm', () => modelGrads(model, x, y));
    const cpu = await on('cpu', () => modelGrads(model, x, y));
    await initNodeBackend('wasm');
    expect(Object.keys(wasm).sort()).toEqual(Object.keys(cpu).sort());
    expect(Object.keys(wasm).length).toBeGreaterThan(12);
    for (const k of Object.keys(cpu)) expect(maxRelDiff(wasm[k], cpu[k]), k).toBeLessThan(RTOL);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('an embedding model’s variableGrads are equal on wasm and cpu', async () => {
    const model = tokenNet();
    const x = tf.tensor2d(
      Array.from({ length: 18 }, (_, i) => (i * 7) % 20),
      [3, 6],
      'int32',
    );
    const y = tf.oneHot(tf.tensor1d([0, 3, 1], 'int32'), 4);
    const wasm = await on('wasm', () => modelGrads(model, x, y));
    const cpu = await on('cpu', () => modelGrads(model, x, y));
    await initNodeBackend('wasm');
    for (const k of Object.keys(cpu)) expect(maxRelDiff(wasm[k], cpu[k]), k).toBeLessThan(RTOL);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('100 training steps on wasm keep the tensor count flat and lower the loss', async () => {
    await initNodeBackend('wasm');
    const model = convNet();
    const { x, y } = imageBatch(8);
    const optimizer = tf.train.adam(3e-3);
    const lossFn = () =>
      tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
    const step = (): number =>
      tf.tidy(() => {
        const loss = optimizer.minimize(lossFn, true) as tf.Scalar;
        return loss.dataSync()[0];
      });

    const first = step(); // creates the optimizer's slots
    const tensors = tf.memory().numTensors;
    const buffers = backendBuffers();
    let last = first;
    for (let i = 0; i < 100; i++) last = step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backendBuffers()).toBe(buffers);
    expect(last).toBeLessThan(first);

    optimizer.dispose();
    tf.dispose([x, y]);
    model.dispose();
  });
});
