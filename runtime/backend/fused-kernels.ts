/**
 * Fused kernels for the tfjs wasm backend (ADR 0007). tfjs composes GELU from five kernels and its
 * gradient from about ten, LayerNorm and the Adam update from a dozen or more, each a pass over memory,
 * and wasm's Erf and Exp are scalar loops; here each is one SIMD pass (`fused-wat.ts`), run on the
 * backend's own memory, so no data is copied.
 *
 * `enableFusedKernels()` compiles the module (with wabt, from its text) once the wasm backend is ready
 * and registers its kernels (GELU and LayerNorm with gradients, Adam); the ops in `fused-ops.ts` use them
 * when they can and the composed ops everywhere else (other backends, tiny tensors, other shapes or
 * dtypes, or when the module could not start), so results agree across backends to float32 rounding.
 * `fusedDepthwiseFilterGrad` and the GEMM (`gemm.ts`, `conv-gemm.ts`) serve the project's wasm kernel
 * replacements.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedWat } from './fused-wat';
import {
  ADAM_KERNEL,
  GELU_GRAD_KERNEL,
  GELU_KERNEL,
  LAYER_NORM_KERNEL,
  LAYER_NORM_DGAMMA_KERNEL,
  LAYER_NORM_DX_KERNEL,
  fusedKernelsActive,
  markFusedKernels,
  wasmMemory,
} from './fused-ops';
import type { AdamCoefficients } from './fused-ops';

interface FusedModule {
  gelu(x: number, y: number, n: number): void;
  gelu_grad(dy: number, x: number, dx: number, n: number): void;
  adam(...offsetsSizeAndCoefficients: number[]): void;
  layer_norm(x: number, g: number, b: number, y: number, rows: number, c: number, eps: number): void;
  layer_norm_dx(dy: number, x: number, g: number, dx: number, rows: number, c: number, eps: number): void;
  layer_norm_dgamma(dy: number, x: number, dg: number, rows: number, c: number, eps: number): void;
  dw_dfilter(x: number, dy: number, df: number, ...dims: number[]): void;
  col_sum(x: number, y: number, outer: number, r: number, inner: number, scale: number): void;
}

/** The matrix product kernels (`gemm-wat.ts`); offsets and strides in bytes. */
export interface GemmModule {
  pack_b(b: number, sbk: number, sbn: number, dst: number, k: number, n: number): void;
  gemm(...offsetsStridesSizesBiasAcc: number[]): void;
  gemm_batched(...offsetsStridesSizesBias: number[]): void;
  im2col(x: number, cols: number, ...dims: number[]): void;
  col2im(dx: number, cols: number, ...dims: number[]): void;
}

/** The part of the wasm backend (BackendWasm) used here. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
}

let fused: (FusedModule & GemmModule) | null = null;
/** Whether the module's products use relaxed SIMD's fused multiply-add. */
let fusedFma = false;
let compiledFor: WebAssembly.Memory | null = null;

/** The byte offset of a float32 tensor's data in the wasm memory. */
export function heapOffset(backend: WasmBackendLike, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data == null || t.dtype !== 'float32')
    throw new Error('fused kernels: the tensor is not float32 data in wasm memory.');
  return data.memoryOffset;
}

/**
 * Registers a fused kernel for wasm: its outputs (float32, of `outputs(inputs)` shapes) are allocated,
 * then `call` runs the module with the byte offsets of the inputs (in `names` order) and of the outputs.
 */
function registerFused(
  kernelName: string,
  names: string[],
  outputs: (inputs: Record<string, tf.TensorInfo>) => number[][],
  call: (
    m: FusedModule,
    offsets: number[],
    inputs: Record<string, tf.TensorInfo>,
    attrs: tf.NamedAttrMap,
  ) => void,
): void {
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackendLike;
      const ins = inputs as Record<string, tf.TensorInfo>;
      const outs = outputs(ins).map((shape) => b.makeOutput(shape, 'float32'));
      const offsets = [...names.map((n) => ins[n]), ...outs].map((t) => heapOffset(b, t));
      call(fused as FusedModule, offsets, ins, attrs ?? {});
      return outs.length === 1 ? outs[0] : outs;
    },
  });
}

/** Rows and channels of a LayerNorm input [..., c]. */
function rowsOf(x: tf.TensorInfo): [number, number] {
  const c = x.shape[x.shape.length - 1];
  return [tf.util.sizeFromShape(x.shape) / c, c];
}

const size = (t: tf.TensorInfo) => tf.util.sizeFromShape(t.shape);

function registerOnce(): void {
  if (tf.getKernel(GELU_KERNEL, 'wasm') != null) return;
  registerFused(
    GELU_KERNEL,
    ['x'],
    ({ x }) => [x.shape],
    (m, [x, y], { x: t }) => m.gelu(x, y, size(t)),
  );
  registerFused(
    GELU_GRAD_KERNEL,
    ['dy', 'x'],
    ({ x }) => [x.shape],
    (m, [dy, x, dx], { x: t }) => m.gelu_grad(dy, x, dx, size(t)),
  );
  registerFused(
    ADAM_KERNEL,
    ['w', 'g', 'm', 's'],
    ({ w, m, s }) => [w.shape, m.shape, s.shape],
    (mod, offsets, { w }, attrs) => {
      const c = attrs as unknown as AdamCoefficients;
      mod.adam(...offsets, size(w), c.b1, 1 - c.b1, c.b2, 1 - c.b2, c.c1, c.c2, c.eps, c.lr, c.decay, c.l2);
    },
  );
  registerFused(
    LAYER_NORM_KERNEL,
    ['x', 'gamma', 'beta'],
    ({ x }) => [x.shape],
    (m, [x, g, b, y], { x: t }, attrs) => m.layer_norm(x, g, b, y, ...rowsOf(t), Number(attrs.epsilon)),
  );
  registerFused(
    LAYER_NORM_DX_KERNEL,
    ['dy', 'x', 'gamma'],
    ({ x }) => [x.shape],
    (m, [dy, x, g, dx], { x: t }, attrs) =>
      m.layer_norm_dx(dy, x, g, dx, ...rowsOf(t), Number(attrs.epsilon)),
  );
  registerFused(
    LAYER_NORM_DGAMMA_KERNEL,
    ['dy', 'x'],
    ({ x }) => [[rowsOf(x)[1]]],
    (m, [dy, x, dg], { x: t }, attrs) => m.layer_norm_dgamma(dy, x, dg, ...rowsOf(t), Number(attrs.epsilon)),
  );
  tf.registerGradient({
    kernelName: LAYER_NORM_KERNEL,
    inputsToSave: ['x', 'gamma'],
    gradFunc: (dy, [x, gamma], attrs) => {
      const d = dy as tf.Tensor;
      const run = (name: string, inputs: tf.NamedTensorMap) =>
        tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
      return {
        x: () => run(LAYER_NORM_DX_KERNEL, { dy: d, x, gamma }),
        gamma: () => run(LAYER_NORM_DGAMMA_KERNEL, { dy: d, x }),
        beta: () => tf.reshape(tf.sum(d, [...Array(d.rank - 1).keys()]), gamma.shape),
      };
    },
  });
  tf.registerGradient({
    kernelName: GELU_KERNEL,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({
      x: () => tf.engine().runKernel(GELU_GRAD_KERNEL, { dy: dy as tf.Tensor, x: saved[0] }) as tf.Tensor,
    }),
  });
}

/** The WebAssembly text assembler, loaded once (both builds and every backend share it). */
let assembler: ReturnType<typeof loadAssembler> | null = null;
async function loadAssembler() {
  const { default: initWabt } = await import('wabt');
  return initWabt();
}

/** The fused kernels' module binary, with fused multiply-adds (relaxed SIMD) or without. */
export async function assembleFused(fma: boolean): Promise<Uint8Array<ArrayBuffer>> {
  assembler ??= loadAssembler().catch((e: unknown) => {
    assembler = null; // a later call tries again
    throw e;
  });
  const wabt = await assembler;
  const parsed = wabt.parseWat('fused.wat', fusedWat(fma), {
    simd: true,
    sat_float_to_int: true,
    bulk_memory: true,
    relaxed_simd: fma,
  });
  const bytes = new Uint8Array(parsed.toBinary({}).buffer);
  parsed.destroy();
  return bytes;
}

/**
 * Compiles the fused kernels for the active wasm backend (call after `tf.ready()`); false when the backend
 * is not wasm or the module cannot start (no SIMD, say), in which case the composed ops keep working.
 * `HERACLES_FUSED=0` in the environment turns them off (for comparisons).
 */
export async function enableFusedKernels(): Promise<boolean> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (tf.getBackend() !== 'wasm' || env?.HERACLES_FUSED === '0') return false;
  const memory = wasmMemory();
  if (!memory) return false;
  if (fused && compiledFor === memory) return true;
  try {
    fused = null;
    // With relaxed SIMD's fused multiply-add where the engine has it (Chromium ≥ 114; Node 20 with the
    // flag the Node adapter sets), else the same products with a multiply and an add.
    for (const fma of [true, false]) {
      const bytes = await assembleFused(fma);
      if (!WebAssembly.validate(bytes)) continue;
      const module = await WebAssembly.compile(bytes);
      const instance = await WebAssembly.instantiate(module, { env: { memory } });
      fused = instance.exports as unknown as FusedModule & GemmModule;
      fusedFma = fma;
      break;
    }
    if (!fused) throw new Error('fused kernels: the engine rejected the module.');
    compiledFor = memory;
  } catch {
    fused = null;
    markFusedKernels(null);
    return false;
  }
  registerOnce();
  markFusedKernels(memory);
  return true;
}

/** The GEMM kernels (check `fusedKernelsActive()` first). */
export function fusedGemm(): GemmModule {
  if (!fused || !fusedKernelsActive()) throw new Error('fused kernels: the GEMM cannot run here.');
  return fused;
}

/** Whether the matrix products use fused multiply-adds (relaxed SIMD); false when the kernels are off. */
export function fusedKernelsFma(): boolean {
  return fusedKernelsActive() && fusedFma;
}

/**
 * The filter gradient [kh, kw, c, 1] of a stride-1, undilated depthwise conv with multiplier 1, from
 * x [B, H, W, c] and dy [B, OH, OW, c] (float32 in wasm memory, c a multiple of 4) and the top/left
 * padding: a new tensor of `backend`. Check `fusedKernelsActive()` first.
 */
export function fusedDepthwiseFilterGrad(
  backend: unknown,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  [kh, kw, pt, pl]: [number, number, number, number],
): tf.TensorInfo {
  const [batch, h, w, c] = x.shape;
  const [, oh, ow] = dy.shape;
  if (!fusedKernelsActive() || c % 4 !== 0)
    throw new Error('fused kernels: depthwise gradient cannot run here.');
  const be = backend as WasmBackendLike;
  const df = be.makeOutput([kh, kw, c, 1], 'float32');
  (fused as FusedModule).dw_dfilter(
    heapOffset(be, x),
    heapOffset(be, dy),
    heapOffset(be, df),
    ...[batch, h, w, c, kh, kw, pt, pl, oh, ow],
  );
  return df;
}

/**
 * y[o, j] = scale · Σ_i x[o, i, j] for float32 x viewed as [outer, r, inner] (wasm memory), into a new
 * float32 tensor of `shape` (outer·inner floats) of `backend`. Check `fusedKernelsActive()` first.
 */
export function fusedColumnSum(
  backend: unknown,
  x: tf.TensorInfo,
  [outer, r, inner]: [number, number, number],
  scale: number,
  shape: number[],
): tf.TensorInfo {
  if (!fusedKernelsActive()) throw new Error('fused kernels: the column sum cannot run here.');
  const be = backend as WasmBackendLike;
  const y = be.makeOutput(shape, 'float32');
  (fused as FusedModule).col_sum(heapOffset(be, x), heapOffset(be, y), outer, r, inner, scale);
  return y;
}
