/** The fused GELU kernels on wasm against a float64 reference, the composed ops and tfjs-layers. */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fusedKernelsActive, gelu, GELU_KERNEL, GELU_GRAD_KERNEL, layerNorm } from './fused-ops';
import { Optimizer } from '../train/optimizer';
import { initNodeBackend } from './node';
import { assembleFused, fusedKernelsFma, type GemmModule } from './fused-kernels';

/** erf in float64: its Taylor series below 3, 1 − erfc by erfc's continued fraction above. */
function erf64(x: number): number {
  const a = Math.abs(x);
  if (a >= 3) {
    let f = a;
    for (let k = 80; k >= 1; k--) f = a + k / 2 / f;
    return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f);
  }
  let sum = 0;
  let term = x;
  for (let n = 0; Math.abs(term) > 1e-17 && n < 200; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const gelu64 = (x: number) => 0.5 * x * (1 + erf64(x / Math.SQRT2));
const geluGrad64 = (x: number) =>
  0.5 * (1 + erf64(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);

/** n values spread over [−12, 12] (denser near 0), in a fixed order. */
const spread = (n: number) =>
  Float32Array.from({ length: n }, (_, i) => {
    const u = ((i * 7919) % n) / Math.max(1, n - 1) - 0.5;
    return 24 * u * Math.abs(u) * 2;
  });

beforeAll(async () => {
  await initNodeBackend('wasm');
});

afterAll(async () => {
  await initNodeBackend('wasm');
});

describe('fused GELU on wasm', () => {
  it('is active in Node on wasm', () => {
    expect(fusedKernelsActive()).toBe(true);
    expect(tf.getKernel(GELU_KERNEL, 'wasm')).toBeDefined();
    expect(tf.getKernel(GELU_GRAD_KERNEL, 'wasm')).toBeDefined();
  });

  it('matches float64 GELU and its derivative, on every lane and the tail (sizes 4 … 1031)', () => {
    for (const n of [4, 5, 6, 7, 8, 9, 64, 1031]) {
      const xs = spread(n);
      const x = tf.tensor1d(xs);
      const y = gelu(x).dataSync();
      const dx = tf
        .grad((v: tf.Tensor) => tf.sum(gelu(v)))(x)
        .dataSync();
      for (let i = 0; i < n; i++) {
        const tol = 2e-6 * Math.max(1, Math.abs(xs[i]));
        expect(Math.abs(y[i] - gelu64(xs[i])), `gelu(${xs[i]}), n = ${n}`).toBeLessThan(tol);
        expect(Math.abs(dx[i] - geluGrad64(xs[i])), `gelu'(${xs[i]}), n = ${n}`).toBeLessThan(4e-6);
      }
      x.dispose();
    }
  });

  it('agrees with the composed ops on NaN, infinities and huge values', () => {
    const special = [NaN, Infinity, -Infinity, 1e30, -1e30, 0, -0];
    const composed = (v: tf.Tensor) => tf.mul(tf.mul(v, 0.5), tf.add(1, tf.erf(tf.mul(v, Math.SQRT1_2))));
    const x = tf.tensor1d(special);
    const same = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      Array.from(a).map((v, i) => (Number.isNaN(v) && Number.isNaN(b[i])) || v === b[i]);
    expect(same(gelu(x).dataSync(), composed(x).dataSync())).toEqual(special.map(() => true));
    const grad = (f: (v: tf.Tensor) => tf.Tensor) =>
      tf
        .grad((v: tf.Tensor) => tf.sum(f(v)))(x)
        .dataSync();
    // The composed gradient of ±∞ is NaN (∞·0); the fused one gives the limits 1 and 0, which is no worse.
    expect(same(grad(gelu), grad(composed)).slice(3)).toEqual([true, true, true, true]);
    expect(Number.isNaN(grad(gelu)[0])).toBe(true);
    x.dispose();
  });

  it('runs one kernel each way and leaks no tensors', async () => {
    const x = tf.randomNormal([8, 5, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gelu(v), v)));
    tf.dispose(g(x));
    const before = tf.memory().numTensors;
    const info = await tf.profile(() => g(x));
    const kernels = info.kernels.map((k) => k.name);
    expect(kernels.filter((k) => k === GELU_KERNEL)).toHaveLength(1);
    expect(kernels.filter((k) => k === GELU_GRAD_KERNEL)).toHaveLength(1);
    expect(kernels).not.toContain('Erf');
    tf.dispose(info.result as tf.Tensor);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it("is tfjs-layers' 'gelu' activation too (Dense, Activation), and saved configs still say 'gelu'", async () => {
    const layer = tf.layers.activation({ activation: 'gelu' });
    const x = tf.randomNormal([4, 6], 0, 2, 'float32', 3);
    const info = await tf.profile(() => layer.apply(x) as tf.Tensor);
    expect(info.kernels.map((k) => k.name)).toEqual([GELU_KERNEL]);
    const expected = tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
    expect(tf.max(tf.abs(tf.sub(info.result as tf.Tensor, expected))).dataSync()[0]).toBeLessThan(1e-5);
    expect(layer.getConfig().activation).toBe('gelu');
    expect(tf.layers.dense({ units: 2, activation: 'gelu' }).getConfig().activation).toBe('gelu');
    tf.dispose([x, expected, info.result as tf.Tensor]);
  });

  it('falls back to the composed ops on cpu, with the same values', async () => {
    const xs = spread(103);
    const onWasm = gelu(tf.tensor1d(xs)).dataSync();
    await initNodeBackend('cpu');
    expect(fusedKernelsActive()).toBe(false);
    const onCpu = gelu(tf.tensor1d(xs)).dataSync();
    for (let i = 0; i < xs.length; i++)
      expect(Math.abs(onCpu[i] - onWasm[i])).toBeLessThan(2e-6 * Math.max(1, Math.abs(xs[i])));
    await initNodeBackend('wasm');
    expect(fusedKernelsActive()).toBe(true);
  });
});

describe('fused Adam(W) on wasm', () => {
  /** Three steps of `name` on weights of sizes 2 (composed: under 4 elements), 5 and 3×7, on one backend. */
  async function steps(backend: 'wasm' | 'cpu', name: 'adam' | 'adamw'): Promise<number[][]> {
    await initNodeBackend(backend);
    const opt = new Optimizer({ name, weightDecay: 0.05, momentum: 0 });
    const vars = [[2], [5], [3, 7]].map((shape, i) =>
      tf.variable(tf.randomNormal(shape, 0, 1, 'float32', i + 1)),
    );
    for (let k = 0; k < 3; k++) {
      const grads = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', 10 * k + i + 1));
      opt.apply(vars, grads, 1e-2);
      tf.dispose(grads);
    }
    const out = vars.map((v) => Array.from(v.dataSync()));
    tf.dispose(vars);
    opt.dispose();
    return out;
  }

  it.each(['adam', 'adamw'] as const)('%s: the same weights as the composed update on cpu', async (name) => {
    const cpu = await steps('cpu', name);
    const wasm = await steps('wasm', name);
    for (let i = 0; i < cpu.length; i++)
      for (let j = 0; j < cpu[i].length; j++)
        expect(Math.abs(wasm[i][j] - cpu[i][j])).toBeLessThan(1e-6 * Math.max(1, Math.abs(cpu[i][j])));
  });

  it('runs one kernel per weight and leaks nothing', async () => {
    const opt = new Optimizer({ name: 'adamw', weightDecay: 0.05, momentum: 0 });
    const vars = [tf.variable(tf.ones([4, 4])), tf.variable(tf.ones([6]))];
    const grads = vars.map((v) => tf.onesLike(v));
    opt.apply(vars, grads, 1e-3); // creates the moments
    const before = tf.memory().numTensors;
    const info = await tf.profile(() => opt.apply(vars, grads, 1e-3));
    expect(info.kernels.map((k) => k.name)).toEqual(['HeraclesAdam', 'HeraclesAdam']);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...vars, ...grads]);
    opt.dispose();
  });
});

describe('fused LayerNorm on wasm', () => {
  /** y, dx, dγ, dβ of Σ LN(x)·w for fixed seeded inputs, on one backend. */
  async function run(backend: 'wasm' | 'cpu', shape: number[], eps: number): Promise<number[][]> {
    await initNodeBackend(backend);
    const c = shape[shape.length - 1];
    const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 3), 0.5);
    const gamma = tf.randomNormal([c], 1, 0.3, 'float32', 2);
    const beta = tf.randomNormal([c], 0, 0.3, 'float32', 3);
    const w = tf.randomNormal(shape, 0, 1, 'float32', 4);
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, g, b, eps), w));
    const y = layerNorm(x, gamma, beta, eps);
    const grads = tf.grads(f)([x, gamma, beta]);
    const out = [y, ...grads].map((t) => Array.from(t.dataSync()));
    tf.dispose([x, gamma, beta, w, y, ...grads]);
    return out;
  }

  it.each([
    [[3, 8], 1e-5],
    [[2, 5, 12], 1e-6],
    [[64, 16, 128], 1e-5],
    [[4, 6], 1e-5], // 6 channels: not a multiple of 4, composed on both
  ])('%j (eps %s): the same output and gradients as the composed ops on cpu', async (shape, eps) => {
    const cpu = await run('cpu', shape as number[], eps as number);
    const wasm = await run('wasm', shape as number[], eps as number);
    ['y', 'dx', 'dgamma', 'dbeta'].forEach((name, k) => {
      const scale = cpu[k].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const worst = cpu[k].reduce((m, v, i) => Math.max(m, Math.abs(v - wasm[k][i])), 0);
      expect(worst / scale, name).toBeLessThan(2e-5);
    });
  });

  it('runs one kernel forward and two plus a sum backward, leaking nothing', async () => {
    const x = tf.randomNormal([5, 7, 16]);
    const g = tf.ones([16]);
    const b = tf.zeros([16]);
    const f = tf.grads((a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(layerNorm(a, gg, bb, 1e-5)));
    tf.dispose(f([x, g, b]));
    const before = tf.memory().numTensors;
    const info = await tf.profile(() => f([x, g, b]));
    const names = info.kernels.map((k) => k.name);
    expect(names.filter((n) => n.startsWith('HeraclesLayerNorm')).sort()).toEqual([
      'HeraclesLayerNorm',
      'HeraclesLayerNormDgamma',
      'HeraclesLayerNormDx',
    ]);
    expect(names).not.toContain('Rsqrt');
    tf.dispose(info.result as tf.Tensor[]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, g, b]);
  });
});

describe('the GEMM kernels (module text, both builds)', () => {
  /** Runs pack_b + gemm of one build on its own memory: A [m,k] (or Aᵀ), B [k,n] (or Bᵀ), optional bias,
   * k split into two blocks (the second adds into C), C stored row-major or transposed. */
  async function gemmOnce(
    fma: boolean,
    m: number,
    k: number,
    n: number,
    o: { ta?: boolean; tb?: boolean; tc?: boolean; bias?: boolean; gaps?: boolean },
  ) {
    const bytes = await assembleFused(fma);
    const memory = new WebAssembly.Memory({ initial: 64 });
    const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
    const g = instance.exports as unknown as GemmModule;
    const f = new Float32Array(memory.buffer);
    const A = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37));
    const B = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11));
    const bias = Float32Array.from({ length: n }, (_, i) => i / 7);
    const [aAt, bAt, biasAt, packAt, cAt] = [0, 65536, 131072, 196608, 524288];
    // gaps: A's floats two apart (neither its rows nor its columns contiguous)
    A.forEach((v, i) => (f[aAt / 4 + (o.gaps ? 2 * i : i)] = v));
    f.set(B, bAt / 4);
    f.set(bias, biasAt / 4);
    const apart = o.gaps ? 2 : 1;
    const a = o.ta ? { si: 4 * apart, sk: 4 * apart * m } : { si: 4 * apart * k, sk: 4 * apart }; // of the stored [m,k] or [k,m]
    const b = o.tb ? { sk: 4, sn: 4 * k } : { sk: 4 * n, sn: 4 };
    const c = o.tc ? { si: 4, sj: 4 * m } : { si: 4 * n, sj: 4 };
    g.pack_b(bAt, b.sk, b.sn, packAt, k, n);
    const k1 = Math.ceil(k / 2);
    for (const [k0, kc] of [
      [0, k1],
      [k1, k - k1],
    ]) {
      if (kc === 0) continue;
      g.gemm(
        aAt + k0 * a.sk,
        a.si,
        a.sk,
        packAt + 32 * k0,
        32 * k,
        cAt,
        c.si,
        c.sj,
        m,
        kc,
        n,
        k0 === 0 && o.bias ? biasAt : 0,
        k0 === 0 ? 0 : 1,
      );
    }
    let worst = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let ref = o.bias ? bias[j] : 0;
        for (let q = 0; q < k; q++) ref += A[o.ta ? q * m + i : i * k + q] * B[o.tb ? j * k + q : q * n + j];
        const got = f[(cAt + i * c.si + j * c.sj) / 4];
        worst = Math.max(worst, Math.abs(got - ref) / Math.max(1, Math.abs(ref)));
      }
    return worst;
  }

  it('is built with fused multiply-adds in Node (relaxed SIMD)', () => {
    expect(fusedKernelsFma()).toBe(true);
  });

  const shapes: [number, number, number, Parameters<typeof gemmOnce>[4]][] = [
    [4, 8, 8, {}],
    [7, 5, 13, { bias: true }], // row and column tails
    [1, 1, 1, {}],
    [9, 33, 17, { ta: true }],
    [6, 21, 19, { tb: true, bias: true }],
    [13, 40, 9, { ta: true, tb: true, tc: true }], // a transposed result: strided stores
    [33, 70, 64, { tc: true, bias: true }],
    [10, 23, 12, { gaps: true }],
    [9, 11, 12, { gaps: true, ta: true }],
  ];
  it.each([true, false])('fma = %s: equals a float64 product on every lane, tail and stride', async (fma) => {
    for (const [m, k, n, o] of shapes) expect(await gemmOnce(fma, m, k, n, o)).toBeLessThan(1e-5);
  });
});

describe('matrix products on wasm through the fused GEMM (attention-sized and batched)', () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[3, 2, 5, 7], [3, 2, 7, 8], false, false],
    [[3, 2, 7, 5], [3, 2, 7, 8], true, false],
    [[3, 2, 5, 7], [3, 2, 4, 7], false, true],
    [[2, 7, 5], [2, 12, 7], true, true],
    [[2, 5, 7], [2, 7, 6], false, false], // n = 6: a partial panel
  ];
  it.each(cases)('%j · %j (transposeA %s, transposeB %s) equals cpu', async (sa, sb, ta, tb) => {
    const product = async (backend: 'wasm' | 'cpu') => {
      await initNodeBackend(backend);
      const a = tf.randomNormal(sa, 0, 1, 'float32', 5);
      const b = tf.randomNormal(sb, 0, 1, 'float32', 6);
      const c = tf.matMul(a, b, ta, tb);
      const out = { shape: c.shape, data: Array.from(c.dataSync()) };
      tf.dispose([a, b, c]);
      return out;
    };
    const cpu = await product('cpu');
    const before = tf.memory().numTensors;
    const wasm = await product('wasm');
    expect(tf.memory().numTensors).toBe(before);
    expect(wasm.shape).toEqual(cpu.shape);
    cpu.data.forEach((v, i) =>
      expect(Math.abs(wasm.data[i] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))),
    );
  });
});
