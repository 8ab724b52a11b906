/**
 * Grids of kernel invocations for checking the project's wasm training kernels against the cpu backend.
 * Environment-neutral (only tfjs), so Node tests and browser tests can share it.
 *
 * A case runs one kernel through `tf.engine().runKernel` on whatever backend is active. `reference`
 * computes the expected values on the reference backend; it equals `run` except where the cpu kernel
 * cannot express the case (cpu ignores `dilations` in the depthwise backprop kernels, so dilated cases
 * are checked against the undilated kernel with a zero-expanded filter).
 */
import * as tf from '@tensorflow/tfjs';

export type Values = number[];

export interface KernelCase {
  kernel: string;
  name: string;
  run: () => Values;
  reference: () => Values;
}

type PadSpec = 'same' | 'valid' | number;

/** Deterministic pseudo-random values in [-1, 1) (Park–Miller). */
export function seededValues(n: number, seed: number): Float32Array {
  let s = (Math.abs(Math.floor(seed)) % 2147483646) + 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 16807) % 2147483647;
    out[i] = (s / 2147483647) * 2 - 1;
  }
  return out;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Runs a kernel on the active backend with fresh inputs; returns the output's values. */
export function runKernelOnce(
  kernel: string,
  inputs: Record<string, { shape: number[]; values: Float32Array | Int32Array; dtype?: 'float32' | 'int32' }>,
  attrs: tf.NamedAttrMap,
): Values {
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs))
    tensors[k] = tf.tensor(v.values, v.shape, v.dtype ?? 'float32');
  try {
    const out = tf.engine().runKernel(kernel, tensors, attrs) as tf.Tensor;
    const values = Array.from(out.dataSync());
    out.dispose();
    return values;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Largest |a−b| divided by the largest |b| (or 1e-12); Infinity when lengths differ. */
export function maxRelDiff(a: Values, b: Values): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= diff)) diff = d; // also catches NaN
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** Output size of a conv along one axis, as tfjs computes it ('same' = ceil(in/s)). */
function outSize(inSize: number, k: number, s: number, d: number, pad: PadSpec): number {
  const eff = (k - 1) * d + 1;
  if (pad === 'same') return Math.ceil(inSize / s);
  const p = pad === 'valid' ? 0 : pad;
  return Math.floor((inSize + 2 * p - eff) / s) + 1;
}

/** Inserts d−1 zeros between the taps of a [KH,KW,...] filter. */
function dilateFilter(
  values: Float32Array,
  shape: number[],
  d: number,
): { values: Float32Array; shape: number[] } {
  const [kh, kw, ...rest] = shape;
  const inner = size(rest);
  const eh = (kh - 1) * d + 1;
  const ew = (kw - 1) * d + 1;
  const out = new Float32Array(eh * ew * inner);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < inner; c++)
        out[(i * d * ew + j * d) * inner + c] = values[(i * kw + j) * inner + c];
  return { values: out, shape: [eh, ew, ...rest] };
}

/** Picks every d-th tap of a [EH,EW,...] filter gradient. */
function pickDilatedTaps(values: Values, shape: number[], d: number): Values {
  const [kh, kw, ...rest] = shape;
  const inner = size(rest);
  const ew = (kw - 1) * d + 1;
  const out: Values = [];
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < inner; c++) out.push(values[(i * d * ew + j * d) * inner + c]);
  return out;
}

export function conv2DBackpropFilterCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  const inputs: number[][] = [
    [2, 7, 7, 3],
    [2, 8, 8, 2],
    [1, 5, 9, 2],
    [3, 28, 28, 1],
  ];
  const kernels: [number, number][] = [
    [1, 1],
    [2, 2],
    [3, 3],
    [5, 5],
    [7, 7],
    [1, 3],
  ];
  const strides: [number, number][] = [
    [1, 1],
    [2, 2],
    [3, 3],
    [1, 2],
  ];
  const pads: PadSpec[] = ['same', 'valid', 1];
  let seed = 1;
  for (const xs of inputs) {
    const [b, h, w, ci] = xs;
    for (const [kh, kw] of kernels) {
      for (const [sh, sw] of strides) {
        for (const pad of pads) {
          if (xs[1] === 28 && !(kh === 3 || kh === 7) && pad !== 'same') continue; // keep the big input cheap
          // Numeric padding: square strides and kernels ≥ 3 (cpu's kernel indexes out of range when the
          // padding exceeds what a 1×1/2×2 filter can reach).
          if (pad === 1 && (sh !== sw || kh < 3 || kw < 3)) continue;
          const oh = outSize(h, kh, sh, 1, pad);
          const ow = outSize(w, kw, sw, 1, pad);
          if (oh <= 0 || ow <= 0) continue;
          const co = 4;
          const filterShape = [kh, kw, ci, co];
          const x = seededValues(size(xs), seed++);
          const dy = seededValues(b * oh * ow * co, seed++);
          const run = () =>
            runKernelOnce(
              'Conv2DBackpropFilter',
              { x: { shape: xs, values: x }, dy: { shape: [b, oh, ow, co], values: dy } },
              { strides: [sh, sw], pad, dataFormat: 'NHWC', filterShape },
            );
          cases.push({
            kernel: 'Conv2DBackpropFilter',
            name: `x${xs.join('x')} k${kh}x${kw} s${sh}x${sw} ${pad}`,
            run,
            reference: run,
          });
        }
      }
    }
  }
  return cases;
}

export function conv2DBackpropInputCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  const inputs: number[][] = [
    [2, 7, 7, 3],
    [2, 8, 8, 2],
    [1, 5, 9, 2],
    [2, 28, 28, 3],
  ];
  const kernels = [1, 2, 3, 4, 5, 7];
  const strides: [number, number][] = [
    [1, 1],
    [2, 2],
    [3, 3],
    [1, 2], // unequal strides: wasm's own kernel
  ];
  const pads: PadSpec[] = ['same', 'valid', 1];
  let seed = 500;
  for (const xs of inputs) {
    const [b, h, w, ci] = xs;
    for (const k of kernels) {
      for (const [sh, sw] of strides) {
        for (const pad of pads) {
          if (xs[1] === 28 && !(k === 3 || k === 7) && pad !== 'same') continue;
          if (pad === 1 && (sh !== sw || k < 3)) continue;
          const oh = outSize(h, k, sh, 1, pad);
          const ow = outSize(w, k, sw, 1, pad);
          if (oh <= 0 || ow <= 0) continue;
          const co = 5;
          const filterShape = [k, k, ci, co];
          const filter = seededValues(size(filterShape), seed++);
          const dy = seededValues(b * oh * ow * co, seed++);
          const run = () =>
            runKernelOnce(
              'Conv2DBackpropInput',
              { dy: { shape: [b, oh, ow, co], values: dy }, filter: { shape: filterShape, values: filter } },
              { strides: [sh, sw], pad, dataFormat: 'NHWC', inputShape: xs },
            );
          cases.push({
            kernel: 'Conv2DBackpropInput',
            name: `x${xs.join('x')} k${k} s${sh}x${sw} ${pad}`,
            run,
            reference: run,
          });
        }
      }
    }
  }
  // Small strided grids with many channels (the model's downsample convs), and 32 or more output channels
  // at any stride: the col2im path.
  const col2im: [number[], number, number, PadSpec][] = [
    [[2, 7, 7, 5], 3, 1, 'same'],
    [[1, 6, 9, 3], 5, 1, 'valid'],
    [[2, 6, 6, 24], 3, 2, 'valid'],
    [[2, 9, 9, 16], 3, 2, 'valid'],
    [[2, 7, 7, 16], 3, 2, 'same'],
    [[2, 8, 8, 16], 2, 2, 'valid'],
    [[1, 9, 7, 16], 3, 3, 1],
  ];
  for (const [xs, k, st, pad] of col2im) {
    const [b, h, w, ci] = xs;
    const oh = outSize(h, k, st, 1, pad);
    const ow = outSize(w, k, st, 1, pad);
    const co = 40;
    const filterShape = [k, k, ci, co];
    const filter = seededValues(size(filterShape), seed++);
    const dy = seededValues(b * oh * ow * co, seed++);
    const run = () =>
      runKernelOnce(
        'Conv2DBackpropInput',
        { dy: { shape: [b, oh, ow, co], values: dy }, filter: { shape: filterShape, values: filter } },
        { strides: [st, st], pad, dataFormat: 'NHWC', inputShape: xs },
      );
    cases.push({
      kernel: 'Conv2DBackpropInput',
      name: `col2im x${xs.join('x')} k${k} s${st} ${pad}`,
      run,
      reference: run,
    });
  }
  return cases;
}

export function batchMatMulCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  // [aShape, bShape, transposeA, transposeB]
  const setups: [number[], number[], boolean, boolean][] = [];
  for (const ta of [false, true])
    for (const tb of [false, true]) {
      const a2 = ta ? [7, 5] : [5, 7];
      const b2 = tb ? [3, 7] : [7, 3];
      setups.push([a2, b2, ta, tb]);
      setups.push([[1, ...a2], [1, ...b2], ta, tb]);
      setups.push([[4, ...a2], [1, ...b2], ta, tb]); // a batched, b shared
      setups.push([[2, 3, ...a2], b2, ta, tb]);
      setups.push([[4, ...a2], [4, ...b2], ta, tb]); // both batched: wasm's own kernel
      setups.push([a2, [2, ...b2], ta, tb]); // only b batched
    }
  // Products where packing a (the smaller operand) wins: computed as (bᵀ·aᵀ)ᵀ.
  setups.push([[300, 8], [300, 64], true, false]); // a widening layer's weight gradient
  setups.push([[4, 300, 8], [300, 64], true, false]); // … with a batched a
  setups.push([[3, 8, 64], [64, 1000], false, false]); // plain, wide b
  setups.push([[8, 64], [1000, 64], false, true]);
  setups.push([[300, 1], [300, 64], true, false]); // a single row
  setups.push([[64, 300], [64, 200], true, false]); // a dense layer's weight gradient
  setups.push([[64, 200], [300, 200], false, true]); // …and its input gradient
  // The fused GEMM's blocks: k over its 256-step blocks, n over its 128-column blocks, row and column tails.
  setups.push([[9, 600], [600, 300], false, false]);
  setups.push([[600, 13], [300, 600], true, true]);
  setups.push([[2, 130, 37], [2, 37, 131], false, false]); // both batched
  setups.push([[37, 6], [3, 37, 20], true, false]); // a shared, b batched
  setups.push([[2, 3, 300], [2, 300, 5], false, false]); // batched, k over one block: product by product
  setups.push([[3, 4, 40], [3, 5, 40], false, true]); // batched, one call for all (attention's q·kᵀ)
  let seed = 700;
  for (const [as, bs, transposeA, transposeB] of setups) {
    const a = seededValues(size(as), seed++);
    const b = seededValues(size(bs), seed++);
    const run = () =>
      runKernelOnce(
        'BatchMatMul',
        { a: { shape: as, values: a }, b: { shape: bs, values: b } },
        { transposeA, transposeB },
      );
    cases.push({
      kernel: 'BatchMatMul',
      name: `[${as}]${transposeA ? 'ᵀ' : ''} · [${bs}]${transposeB ? 'ᵀ' : ''}`,
      run,
      reference: run,
    });
  }
  return cases;
}

/** Conv2D and FusedConv2D: ≥ 32 output channels run as one GEMM of the patch matrix, fewer in XNNPACK. */
export function conv2DCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  // [x, kernel, stride, dilation, pad, out channels]
  const setups: [number[], number, number, number, PadSpec, number][] = [
    [[2, 7, 7, 3], 3, 1, 1, 'same', 32],
    [[2, 9, 9, 16], 3, 2, 1, 'valid', 40],
    [[1, 8, 7, 5], 2, 2, 1, 'same', 33],
    [[2, 8, 8, 4], 1, 1, 1, 'valid', 36], // pointwise: no patch matrix
    [[1, 9, 9, 4], 3, 1, 2, 'same', 32], // dilated
    [[1, 9, 9, 6], 3, 2, 1, 1, 48],
    [[2, 7, 7, 3], 3, 1, 1, 'same', 8], // few channels: XNNPACK
  ];
  let seed = 1300;
  for (const [xs, k, st, d, pad, co] of setups) {
    const filterShape = [k, k, xs[3], co];
    const x = seededValues(size(xs), seed++);
    const filter = seededValues(size(filterShape), seed++);
    const bias = seededValues(co, seed++);
    const attrs = { strides: st, pad, dataFormat: 'NHWC', dilations: d };
    const inputs = { x: { shape: xs, values: x }, filter: { shape: filterShape, values: filter } };
    const name = `x${xs.join('x')} k${k} s${st} d${d} ${pad} co${co}`;
    const plain = () => runKernelOnce('Conv2D', inputs, attrs);
    cases.push({ kernel: 'Conv2D', name, run: plain, reference: plain });
    for (const activation of ['linear', 'relu']) {
      const fused = () =>
        runKernelOnce(
          'FusedConv2D',
          { ...inputs, bias: { shape: [co], values: bias } },
          { ...attrs, activation },
        );
      cases.push({
        kernel: 'FusedConv2D',
        name: `${name} + bias, ${activation}`,
        run: fused,
        reference: fused,
      });
    }
  }
  return cases;
}

/** _FusedMatMul (a Dense layer's product): bias and no activation in the fused GEMM, the rest in wasm's. */
export function fusedMatMulCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  // Rank 3, as tf.fused.matMul always calls it.
  const setups: [number[], number[], boolean, boolean, string][] = [
    [[1, 5, 7], [1, 7, 9], false, false, 'linear'],
    [[1, 70, 50], [1, 50, 300], false, false, 'linear'],
    [[1, 50, 70], [1, 300, 50], true, true, 'linear'],
    [[3, 9, 16], [1, 16, 10], false, false, 'linear'],
    [[1, 5, 7], [1, 7, 9], false, false, 'relu'],
    [[1, 7, 5], [1, 7, 9], true, false, 'relu'],
  ];
  let seed = 1400;
  for (const [as, bs, transposeA, transposeB, activation] of setups) {
    const n = transposeB ? bs[bs.length - 2] : bs[bs.length - 1];
    const inputs = {
      a: { shape: as, values: seededValues(size(as), seed++) },
      b: { shape: bs, values: seededValues(size(bs), seed++) },
      bias: { shape: [n], values: seededValues(n, seed++) },
    };
    const run = () => runKernelOnce('_FusedMatMul', inputs, { transposeA, transposeB, activation });
    cases.push({
      kernel: '_FusedMatMul',
      name: `[${as}]${transposeA ? 'ᵀ' : ''} · [${bs}]${transposeB ? 'ᵀ' : ''} + bias, ${activation}`,
      run,
      reference: run,
    });
  }
  return cases;
}

export function maxPoolGradCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  const inputs: number[][] = [
    [2, 7, 7, 3],
    [1, 8, 8, 2],
    [2, 9, 6, 4],
  ];
  let seed = 900;
  for (const xs of inputs) {
    for (const k of [2, 3]) {
      for (const s of [1, 2, 3]) {
        for (const pad of ['same', 'valid'] as PadSpec[]) {
          const [b, h, w, c] = xs;
          const oh = outSize(h, k, s, 1, pad);
          const ow = outSize(w, k, s, 1, pad);
          // Distinct values (no ties), so the argmax is the same on every backend.
          const x = Float32Array.from(seededValues(size(xs), seed++), (v, i) => v + i * 1e-3);
          const dy = seededValues(b * oh * ow * c, seed++);
          const run = () =>
            runKernelOnce(
              'MaxPoolGrad',
              {
                dy: { shape: [b, oh, ow, c], values: dy },
                input: { shape: xs, values: x },
                output: { shape: [b, oh, ow, c], values: new Float32Array(b * oh * ow * c) },
              },
              { filterSize: k, strides: s, pad },
            );
          cases.push({
            kernel: 'MaxPoolGrad',
            name: `x${xs.join('x')} k${k} s${s} ${pad}`,
            run,
            reference: run,
          });
        }
      }
    }
  }
  return cases;
}

interface DepthwiseSetup {
  xs: number[];
  k: [number, number];
  s: [number, number];
  d: number;
  pad: PadSpec;
  mult: number;
}

function depthwiseSetups(): DepthwiseSetup[] {
  const out: DepthwiseSetup[] = [];
  const images: number[][] = [
    [2, 7, 7, 4],
    [2, 8, 8, 3],
    [1, 14, 14, 6],
  ];
  for (const xs of images) {
    for (const k of [1, 3, 5, 7]) {
      for (const s of [1, 2]) {
        for (const pad of ['same', 'valid'] as PadSpec[]) {
          for (const mult of [1, 2]) {
            if (outSize(xs[1], k, s, 1, pad) <= 0) continue;
            out.push({ xs, k: [k, k], s: [s, s], d: 1, pad, mult });
          }
        }
      }
    }
    // Dilated (stride 1) and numeric padding.
    for (const d of [2, 3]) out.push({ xs, k: [3, 3], s: [1, 1], d, pad: 'same', mult: 1 });
    out.push({ xs, k: [3, 3], s: [1, 1], d: 2, pad: 'valid', mult: 2 });
    out.push({ xs, k: [3, 3], s: [2, 2], d: 1, pad: 1, mult: 1 });
    out.push({ xs, k: [3, 3], s: [1, 2], d: 1, pad: 'same', mult: 1 });
  }
  // The model's shapes, scaled down; the last spans several position chunks of the per-tap filter gradient.
  out.push({ xs: [2, 14, 14, 24], k: [3, 3], s: [1, 1], d: 1, pad: 'same', mult: 1 });
  out.push({ xs: [2, 4, 4, 40], k: [3, 3], s: [1, 1], d: 1, pad: 'same', mult: 1 });
  out.push({ xs: [2, 2, 2, 40], k: [3, 3], s: [1, 1], d: 1, pad: 'same', mult: 1 });
  out.push({ xs: [9, 14, 14, 320], k: [3, 3], s: [1, 1], d: 1, pad: 'same', mult: 1 }); // 3 chunks, the last shorter
  // Sequences as [B, 1, L, C] with [1, k] kernels (the project's 1-D depthwise conv).
  for (const k of [3, 7]) {
    for (const s of [1, 2]) {
      out.push({ xs: [2, 1, 9, 4], k: [1, k], s: [1, s], d: 1, pad: 'same', mult: 1 });
      out.push({ xs: [2, 1, 9, 4], k: [1, k], s: [1, s], d: 1, pad: 'valid', mult: 1 });
    }
  }
  return out;
}

function depthwiseName(c: DepthwiseSetup): string {
  return `x${c.xs.join('x')} k${c.k.join('x')} s${c.s.join('x')} d${c.d} ${c.pad} m${c.mult}`;
}

export function depthwiseBackpropInputCases(): KernelCase[] {
  let seed = 1000;
  return depthwiseSetups().map((c) => {
    const [b, h, w, ch] = c.xs;
    const oh = outSize(h, c.k[0], c.s[0], c.d, c.pad);
    const ow = outSize(w, c.k[1], c.s[1], c.d, c.pad);
    const filterShape = [c.k[0], c.k[1], ch, c.mult];
    const filter = seededValues(size(filterShape), seed++);
    const dy = seededValues(b * oh * ow * ch * c.mult, seed++);
    const dyIn = { shape: [b, oh, ow, ch * c.mult], values: dy };
    const attrs = { strides: c.s, dilations: [c.d, c.d], pad: c.pad, inputShape: c.xs };
    const run = () =>
      runKernelOnce(
        'DepthwiseConv2dNativeBackpropInput',
        { dy: dyIn, filter: { shape: filterShape, values: filter } },
        attrs,
      );
    const reference =
      c.d === 1
        ? run
        : () => {
            const e = dilateFilter(filter, filterShape, c.d);
            return runKernelOnce(
              'DepthwiseConv2dNativeBackpropInput',
              { dy: dyIn, filter: e },
              { ...attrs, dilations: [1, 1] },
            );
          };
    return { kernel: 'DepthwiseConv2dNativeBackpropInput', name: depthwiseName(c), run, reference };
  });
}

export function depthwiseBackpropFilterCases(): KernelCase[] {
  let seed = 2000;
  return depthwiseSetups().map((c) => {
    const [b, h, w, ch] = c.xs;
    const oh = outSize(h, c.k[0], c.s[0], c.d, c.pad);
    const ow = outSize(w, c.k[1], c.s[1], c.d, c.pad);
    const filterShape = [c.k[0], c.k[1], ch, c.mult];
    const x = seededValues(size(c.xs), seed++);
    const dy = seededValues(b * oh * ow * ch * c.mult, seed++);
    const ins = { x: { shape: c.xs, values: x }, dy: { shape: [b, oh, ow, ch * c.mult], values: dy } };
    const attrs = { strides: c.s, dilations: [c.d, c.d], pad: c.pad, filterShape };
    const run = () => runKernelOnce('DepthwiseConv2dNativeBackpropFilter', ins, attrs);
    const reference =
      c.d === 1
        ? run
        : () => {
            const eShape = [(c.k[0] - 1) * c.d + 1, (c.k[1] - 1) * c.d + 1, ch, c.mult];
            const full = runKernelOnce('DepthwiseConv2dNativeBackpropFilter', ins, {
              ...attrs,
              dilations: [1, 1],
              filterShape: eShape,
            });
            return pickDilatedTaps(full, filterShape, c.d);
          };
    return { kernel: 'DepthwiseConv2dNativeBackpropFilter', name: depthwiseName(c), run, reference };
  });
}

export function unsortedSegmentSumCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  const make = (
    name: string,
    xShape: number[],
    ids: number[],
    idShape: number[],
    numSegments: number,
    dtype: 'float32' | 'int32',
  ) => {
    const raw = seededValues(size(xShape), cases.length + 3000);
    const values = dtype === 'int32' ? Int32Array.from(raw, (v) => Math.round(v * 50)) : raw;
    const call = (xs: number[], is: number[]) => () =>
      runKernelOnce(
        'UnsortedSegmentSum',
        {
          x: { shape: xs, values, dtype },
          segmentIds: { shape: is, values: Int32Array.from(ids), dtype: 'int32' },
        },
        { numSegments },
      );
    // cpu's kernel mis-broadcasts ids of rank > 1: its reference uses the flattened equivalent.
    const flatX = [size(idShape), ...xShape.slice(idShape.length)];
    const reference = idShape.length > 1 ? call(flatX, [size(idShape)]) : call(xShape, idShape);
    cases.push({ kernel: 'UnsortedSegmentSum', name, run: call(xShape, idShape), reference });
  };
  make('1-D ids, duplicates', [6, 5], [0, 3, 3, 1, 0, 3], [6], 5, 'float32');
  make('vector x', [7], [2, 2, 0, 1, 2, 0, 4], [7], 5, 'float32');
  make('rank-3 x', [5, 3, 4], [4, 0, 4, 2, 2], [5], 6, 'float32');
  make('2-D ids', [2, 3, 4], [0, 1, 1, 2, 0, 2], [2, 3], 3, 'float32');
  make('int32 x', [6, 3], [1, 1, 0, 2, 2, 2], [6], 3, 'int32');
  make('out-of-range ids dropped', [5, 2], [0, -1, 7, 1, 1], [5], 3, 'float32');
  make('id = numSegments dropped', [4, 3], [0, 3, 2, 1], [4], 3, 'float32');
  make(
    'large',
    [512, 64],
    Array.from({ length: 512 }, (_, i) => (i * 37) % 100),
    [512],
    100,
    'float32',
  );
  return cases;
}

/** Runs a kernel with several outputs; returns their values concatenated, each prefixed by its shape. */
function runKernelMulti(
  kernel: string,
  inputs: Record<string, { shape: number[]; values: Float32Array | Int32Array; dtype?: 'float32' | 'int32' }>,
  attrs: tf.NamedAttrMap,
): Values {
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs))
    tensors[k] = tf.tensor(v.values, v.shape, v.dtype ?? 'float32');
  try {
    const outs = tf.engine().runKernel(kernel, tensors, attrs) as tf.Tensor[];
    const values: Values = [];
    for (const o of outs) values.push(...o.shape, ...Array.from(o.dataSync()));
    tf.dispose(outs);
    return values;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Identity, Cast, Slice, SplitV, Concat: the buffer-sharing and heap-view replacements. */
export function copyKernelCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  const add = (kernel: string, name: string, run: () => Values) =>
    cases.push({ kernel, name, run, reference: run });
  let seed = 4000;
  for (const dtype of ['float32', 'int32'] as const) {
    const x = seededValues(60, seed++);
    const values = dtype === 'int32' ? Int32Array.from(x, (v) => Math.round(v * 100)) : x;
    add('Identity', `${dtype} [3,4,5]`, () =>
      runKernelOnce('Identity', { x: { shape: [3, 4, 5], values, dtype } }, {}),
    );
    add('Cast', `${dtype} → float32`, () =>
      runKernelOnce('Cast', { x: { shape: [3, 4, 5], values, dtype } }, { dtype: 'float32' }),
    );
    add('Cast', `${dtype} → int32`, () =>
      runKernelOnce('Cast', { x: { shape: [3, 4, 5], values, dtype } }, { dtype: 'int32' }),
    );
  }
  const slices: [number[], number[], number[]][] = [
    [[7], [2], [4]],
    [
      [5, 6],
      [1, 2],
      [3, 3],
    ],
    [
      [5, 6],
      [2, 0],
      [2, 6],
    ],
    [
      [5, 6],
      [0, 0],
      [5, 6],
    ],
    [
      [4, 5, 6],
      [1, 1, 2],
      [2, 3, 3],
    ],
    [
      [4, 5, 6],
      [1, 0, 0],
      [2, 5, 6],
    ],
    [
      [4, 5, 40],
      [0, 1, 3],
      [4, 3, 30],
    ], // runs ≥ 16: subarray copies
    [
      [3, 4, 5, 6],
      [1, 0, 2, 1],
      [2, 4, 2, 4],
    ],
    [
      [3, 4, 5, 6],
      [0, 1, 0, 0],
      [3, 2, 5, 6],
    ],
    [
      [2, 3, 4, 5, 6],
      [1, 1, 1, 1, 1],
      [1, 2, 3, 4, 5],
    ],
    [
      [4, 5],
      [1, 1],
      [0, 3],
    ], // empty
  ];
  for (const [shape, begin, size] of slices) {
    for (const dtype of ['float32', 'int32'] as const) {
      const x = seededValues(size0(shape), seed++);
      const values = dtype === 'int32' ? Int32Array.from(x, (v) => Math.round(v * 100)) : x;
      add('Slice', `${dtype} [${shape}] begin [${begin}] size [${size}]`, () =>
        runKernelOnce('Slice', { x: { shape, values, dtype } }, { begin, size }),
      );
    }
  }
  const splits: [number[], number[] | number, number][] = [
    [[4, 6, 32], [16, 16], 2],
    [[4, 6, 10], [3, 7], 2],
    [[4, 6, 10], [1, 2, 3], 1],
    [[6, 5], 3, 0],
    [[2, 3, 4, 5], [2, -1], 3],
  ];
  for (const [shape, numOrSizeSplits, axis] of splits) {
    const x = seededValues(size0(shape), seed++);
    add('SplitV', `[${shape}] into ${JSON.stringify(numOrSizeSplits)} on axis ${axis}`, () =>
      runKernelMulti('SplitV', { x: { shape, values: x } }, { numOrSizeSplits, axis }),
    );
  }
  // Short rows (a plain loop), long rows (TypedArray.set), an empty input, int32.
  const concats: [number[][], number, 'float32' | 'int32'][] = [
    [
      [
        [4, 3, 3, 16],
        [4, 3, 3, 16],
      ],
      3,
      'float32',
    ],
    [
      [
        [2, 5, 40],
        [2, 7, 40],
        [2, 1, 40],
      ],
      1,
      'float32',
    ],
    [
      [
        [3, 4],
        [0, 4],
        [2, 4],
      ],
      0,
      'float32',
    ],
    [
      [
        [6, 5],
        [6, 0],
        [6, 3],
      ],
      1,
      'int32',
    ],
  ];
  for (const [shapes, axis, dtype] of concats) {
    const parts = shapes.map((shape) => {
      const x = seededValues(size0(shape), seed++);
      return { shape, values: dtype === 'int32' ? Int32Array.from(x, (v) => Math.round(v * 100)) : x };
    });
    add('Concat', `${dtype} ${shapes.map((sh) => `[${sh}]`).join(' + ')} on axis ${axis}`, () => {
      const ts = parts.map((p) => tf.tensor(p.values, p.shape, dtype));
      try {
        const out = tf
          .engine()
          .runKernel('Concat', ts as unknown as tf.NamedTensorMap, { axis }) as tf.Tensor;
        const values = Array.from(out.dataSync());
        out.dispose();
        return values;
      } finally {
        tf.dispose(ts);
      }
    });
  }
  return cases;
}

const size0 = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Sum and Mean over leading, middle, trailing and scattered axes (the column sum, or AvgPool with the
 * fused kernels off; wasm's own for small or innermost ones).
 */
export function reductionCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  const setups: [number[], number[], boolean][] = [
    [[64, 7, 7, 12], [0, 1, 2], false], // bias-gradient shape: AvgPool
    [[1, 3000, 20], [0, 1], true],
    [[3, 700, 37], [1], false], // blocks of 256 rows, 16-, 4- and 1-float column chunks, three outer rows
    [[40, 30, 7], [1], false], // middle axis: AvgPool
    [[30, 200], [0], true],
    [[2, 30, 40, 5], [1, 2], true],
    [[40, 30, 7], [0, 2], false], // not contiguous: wasm's own
    [[5, 6, 7], [0], false],
    [[5, 6, 7], [1], true],
    [[5, 6, 7], [2], false], // innermost: wasm's own
    [[5, 6, 7], [0, 2], false], // not contiguous: wasm's own
    [[5, 6, 7], [0, 1, 2], false],
    [[3, 1, 4], [1], false], // reduces a size-1 axis
    [[2, 3, 4, 5], [1, 2], true],
    [[9, 11], [0], false],
    [[7], [0], false],
  ];
  let seed = 4500;
  for (const kernel of ['Sum', 'Mean']) {
    for (const [shape, axis, keepDims] of setups) {
      const x = seededValues(size0(shape), seed++);
      const run = () => runKernelOnce(kernel, { x: { shape, values: x } }, { axis, keepDims });
      cases.push({
        kernel,
        name: `[${shape}] axis [${axis}]${keepDims ? ' keepDims' : ''}`,
        run,
        reference: run,
      });
    }
  }
  return cases;
}

/** Transposes, incl. the tiled path (rows a power of two ≥ 512) and wasm's own. */
export function transposeCases(): KernelCase[] {
  const setups: [number[], number[]][] = [
    [
      [512, 130],
      [1, 0],
    ], // tiled
    [
      [2, 1024, 40],
      [0, 2, 1],
    ], // tiled, batched
    [
      [1, 512, 1, 160],
      [3, 1, 2, 0],
    ], // tiled after dropping size-1 axes
    [
      [1024, 4, 20],
      [1, 2, 0],
    ], // merged to [1024, 80]: tiled
    [
      [300, 200],
      [1, 0],
    ],
    [
      [3, 4, 5, 6],
      [0, 3, 1, 2],
    ],
    [
      [3, 4, 5],
      [2, 0, 1],
    ],
  ];
  let seed = 4800;
  return setups.map(([shape, perm]) => {
    const x = seededValues(size0(shape), seed++);
    const run = () => runKernelOnce('Transpose', { x: { shape, values: x } }, { perm });
    return { kernel: 'Transpose', name: `[${shape}] perm [${perm}]`, run, reference: run };
  });
}

/** Exp below and above the size where the sigmoid formulation takes over. */
export function expCases(): KernelCase[] {
  const ranges: [string, number, number, number][] = [
    ['small tensor', 300, -5, 5],
    ['GELU gradient: −x², |x| ≤ 4', 20000, -16, 0],
    ['[−3, 3]', 20000, -3, 3],
    ['[−100, 85]', 40000, -100, 85],
  ];
  return ranges.map(([name, n, lo, hi], k) => {
    const r = seededValues(n, 5000 + k);
    const values = Float32Array.from(r, (v) => lo + ((v + 1) / 2) * (hi - lo));
    const run = () => runKernelOnce('Exp', { x: { shape: [n], values } }, {});
    return { kernel: 'Exp', name, run, reference: run };
  });
}

export function allKernelCases(): KernelCase[] {
  return [
    ...conv2DBackpropFilterCases(),
    ...conv2DBackpropInputCases(),
    ...batchMatMulCases(),
    ...conv2DCases(),
    ...fusedMatMulCases(),
    ...maxPoolGradCases(),
    ...depthwiseBackpropInputCases(),
    ...depthwiseBackpropFilterCases(),
    ...unsortedSegmentSumCases(),
    ...copyKernelCases(),
    ...reductionCases(),
    ...transposeCases(),
    ...expCases(),
  ];
}
