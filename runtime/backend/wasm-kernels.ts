/**
 * Training kernels the tfjs wasm backend (@tensorflow/tfjs-backend-wasm 4.22) lacks, registered by the
 * project so that gradients work on wasm, in Node and in the browser alike (no Node-only imports).
 *
 * Missing on wasm and needed by gradients (found by comparing `tf.getKernelsForBackend('wasm')` with
 * 'cpu' and by training a conv/depthwise/norm/dense/GELU model): Conv2DBackpropFilter (grad of Conv2D and
 * FusedConv2D), DepthwiseConv2dNativeBackpropInput/Filter (grad of DepthwiseConv2dNative and
 * FusedDepthwiseConv2D), UnsortedSegmentSum (grad of GatherV2, e.g. embeddings). Every other kernel that
 * the gradients of the ops we use need exists on wasm. (FFT/Complex are missing too but have no
 * gradients anywhere; the project computes Hartley/DCT as matmuls instead.)
 *
 * Matrix products and convolutions go to the project's GEMM first when the fused kernels are live
 * (`gemm.ts`, `conv-gemm.ts`, ADR 0008): BatchMatMul and _FusedMatMul always, Conv2DBackpropFilter always,
 * Conv2D/FusedConv2D and Conv2DBackpropInput with 32 or more output channels. The formulations described
 * below are what runs otherwise (fewer channels, or where the fused module cannot start).
 *
 * Each kernel is written with the backend's own kernels (Conv2D, DepthwiseConv2dNative, Transpose,
 * Reshape, PadV2, Slice, Reverse, Sum, BatchMatMul, ScatterNd, AvgPool, …), called as kernel functions,
 * never as `tf.*` ops, or with JS loops over the wasm heap; intermediates are released with
 * `backend.disposeData`. Some read through views: tensors registered on part of another tensor's heap
 * memory (`makeOutput` with a memory offset), unregistered without freeing when the kernel ends. Notation: x [B,H,W,C] (NHWC),
 * dy [B,OH,OW,·], filter [KH,KW,·,·], forward stride s, dilation d, padding top/left pt/pl (from
 * `backend_util.computeConv2DInfo`, so 'same', 'valid', numbers and explicit pads all work).
 *
 * - Conv2DBackpropFilter: dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s+kh−pt, ow·s+kw−pl, ci]·dy[b,oh,ow,co].
 *   That is a convolution of the transposed input x' = x^T[ci,h,w,b] (channels as batch, batch as
 *   channels) with the transposed gradient dy' = dy^T[oh,ow,b,co] as the filter, dilation = s, stride 1,
 *   top/left padding pt/pl and a bottom/right padding chosen so the output is exactly KH×KW (input rows
 *   that no tap reaches are sliced off first). The [ci,kh,kw,co] result is transposed to [kh,kw,ci,co].
 *   Cost: exactly the forward conv's multiply-adds, in XNNPACK. 1×1 stride-1 unpadded convs take a
 *   shortcut: dW = x_flat^T · dy_flat (Transpose + one BatchMatMul).
 * - DepthwiseConv2dNativeBackpropInput: dx is the depthwise "full" correlation of dy with the spatially
 *   flipped filter. For s > 1, dy is first dilated with s−1 zeros between samples (reshape to
 *   [B,OH,1,OW,1,·], PadV2 zeros, reshape back). The conv runs with stride 1, dilation d and padding
 *   top = (KH−1)·d − pt (bottom so the output is H rows; negative pads become slices). With a channel
 *   multiplier M, the filter [KH,KW,C,M] is used as [KH,KW,C·M,1] and the C·M outputs are summed over M.
 * - DepthwiseConv2dNativeBackpropFilter: dF[kh,kw,c,m] = Σ_{b,oh,ow} x[b, oh·s+kh·d−pt, …, c]·
 *   dy[b,oh,ow,c·M+m]. Folding the batch into the channels turns it into ONE depthwise conv with no wasted
 *   work: input x^T reshaped to [1,H,W,B·C], filter dy^T reshaped to [OH,OW,B·C,M] (channel multiplier M),
 *   dilation = s, stride = d, padding as for Conv2DBackpropFilter; the output [1,KH,KW,B·C·M] is summed
 *   over B. Any stride, dilation, padding and channel multiplier ≥ 1 is supported. XNNPACK's depthwise
 *   kernels are built for small filters, so for stride 1, M = 1 and a gradient map with more pixels than
 *   the kernel has taps, it goes per tap instead: x and dy padded to one grid, on which each tap is a
 *   constant shift of the flattened positions, i.e. an elementwise product of two heap views (no copies)
 *   and a column sum (AvgPool), over cache-sized chunks of positions ([64,14,14,256] k3: 88 → ~25 ms).
 *   Stride 1, no dilation, multiplier 1 and channels in fours (the local SSM's and the FFN's convs) go to
 *   the fused SIMD kernel instead (`fused-kernels.ts`: one pass over x and dy, the sums kept in cache).
 * - UnsortedSegmentSum: ScatterNd (which accumulates duplicate indices) of x reshaped to [N, rest] at
 *   indices segmentIds[N,1] into [numSegments, rest]. Ids outside [0, numSegments) are dropped, as on cpu
 *   (checked in JS first; if any are present the sum is done by a JS loop over the heap instead).
 *
 *
 * Replacements for kernels wasm has, slow in training or wrong (wrapped, so the original still handles
 * what the wrapper does not; `registerWasmTrainingKernels({ replaceNativeKernels: false })` undoes it).
 * Measured per call on Node 20 (one core, fresh inputs, as in training):
 * - Conv2DBackpropInput (dx of every Conv2D; wasm's is a plain C++ loop, 5–15× slower than XNNPACK):
 *   sub-pixel (phase) decomposition. Row h of dx, with h + pt = q·s + r (0 ≤ r < s), receives
 *   Σ_j dy[q−j]·W[j·s+r], so all s_h·s_w phases are ONE stride-1 Conv2D of dy with the filter
 *   [KH',KW',Co, s_h·s_w·Ci] (KH' = ⌈KH/s⌉; W zero-padded to KH'·s taps, split by phase, flipped,
 *   in/out channels swapped), top padding KH'−1 minus the phase rows not needed. Its phases are
 *   interleaved by Reshape/Transpose (a depth-to-space) and cropped to [B,H,W,Ci]. No zero-insertion,
 *   so the work equals the forward conv's. On small strided grids most phase rows are padding (dy
 *   [64,2,2,160] → dx [64,6,6,128]: 189M multiply-adds for 47M useful); there, by a cost estimate, col2im
 *   instead: one GEMM dy[B·OH·OW, Co]·Wᵀ[Co, KH·KW·Ci] and a JS scatter-add of the patches (53 → 5 ms).
 *   NCHW and non-float32 inputs go to wasm's kernel.
 * - BatchMatMul (matMul gradients ask for aᵀ·b and a·bᵀ): wasm only reaches XNNPACK for untransposed
 *   operands with a batch of 1, and runs a naive loop otherwise (10–40× slower). When b's batch is 1,
 *   transposed operands are materialised with Transpose and a's batch is folded into its rows
 *   ([1, batch·M, K]), then wasm's own kernel runs untransposed. XNNPACK packs b on every call (wasm
 *   caches the packed operator by b's tensor id; in training b is always new), at 3–6 ns per float,
 *   ~50× the cost of a multiply-add, so when a is the smaller operand the product is computed as
 *   (bᵀ·aᵀ)ᵀ, packing a (weight gradient of x [12544,32] → 256 units: 48 → 14 ms). A batched b
 *   (attention's [B,heads,N,d] products) goes to wasm's naive loop as is (the GEMM takes those when it
 *   runs: [64,4,16,16]·[64,4,16,32] 3.5 → ~0.5 ms).
 * - _FusedMatMul: wasm's is wrong for transposed operands and for a batch broadcast against a shared b
 *   (20–30% off cpu); those run as BatchMatMul (+ bias) (+ Relu). Other activations stay with wasm's.
 * - Conv2D, FusedConv2D: wrapped only to send the ones with 32 or more output channels to the GEMM.
 * - Sum, Mean over a contiguous block of axes that is not innermost (bias and broadcast gradients): wasm
 *   transposes the reduced axes to the end first; here x is viewed as [outer, R, inner] and summed down
 *   its columns by the fused module's col_sum (16 sums in registers per pass over a block of rows):
 *   [64,14,14,16] over [0,1,2] 0.074 → 0.027 ms alone, 3–9% off a heracles-tiny step in A/Bs of whole
 *   steps on a loaded machine. With the fused kernels off, an R×1 AvgPool of [outer, R, 1, inner]
 *   (XNNPACK, one pass; ×R for Sum): [12544,128] over rows 3.8 → 0.5 ms. (A ones-row GEMM is fast only
 *   when x is already packed: 0.36 ms cached, 11 ms fresh.)
 * - Identity, Cast to the same dtype: share the buffer (wasm's copy it), as cpu does.
 * - Slice, SplitV: wasm's copies the whole input out of the heap (`readSync`) for every slice; these
 *   copy only the slice, from heap views.
 * - Transpose: wasm's loop thrashes the cache when the output rows are a power of two ≥ 512 floats long
 *   ([1024,512]: 3.7 ms); a tiled JS loop over the heap takes those (1.4 ms).
 * - Exp: wasm's calls libm per element (~7 ns); (σ(z/2)/σ(−z/2))² with XNNPACK's vectorised Sigmoid is
 *   ~2× faster and within 7e-7 relative of expf (GELU's gradient exponentiates its whole input).
 * - MaxPoolGrad: wasm's gives wrong gradients for some strided pools (k2 s2 'valid' on 8×8: 86% off;
 *   k3 s2 'same' on 7×7: 28% off; checked by finite differences, cpu is right). Replaced by a JS loop over
 *   the wasm heap: each output's dy goes to the first maximum of its window, as on cpu.
 *
 * Only channels-last (NHWC) data is supported by the added kernels, like the wasm forward convs; other
 * settings throw an Error naming the attribute.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedColumnSum, fusedDepthwiseFilterGrad } from './fused-kernels';
import { gemmMatMul } from './gemm';
import { convFilterGrad, convForward, convGemmFits, convInputGrad } from './conv-gemm';
import { fusedKernelsActive } from './fused-ops';

const BACKEND = 'wasm';

type TensorInfo = tf.TensorInfo;
type DataId = tf.DataId;
type Attrs = tf.NamedAttrMap;
type Shape4 = [number, number, number, number];
type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];
type PadAttr = 'valid' | 'same' | number | ExplicitPad;
type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

/** The part of the wasm backend (BackendWasm) these kernels use. */
interface WasmBackendLike {
  disposeData(dataId: DataId, force?: boolean): boolean;
  readSync(dataId: DataId): unknown;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  /** Internals used for views (tensors that alias part of another tensor's heap memory). */
  dataIdMap: {
    get(dataId: DataId): { id: number; memoryOffset: number; refCount: number } | undefined;
    delete(dataId: DataId): boolean;
  };
  wasm: { tfjs: { disposeData(id: number): void } };
}

/** wasm's own kernel functions for the kernels this module replaces (so helpers never call a wrapper). */
const natives = new Map<string, tf.KernelFunc>();

/** Runs backend kernels and remembers their outputs so they can be released together. */
class Scratch {
  private readonly made: TensorInfo[] = [];
  private readonly views: TensorInfo[] = [];
  constructor(readonly backend: WasmBackendLike) {}

  /**
   * A float32 tensor of `shape` that aliases x's heap memory from element `offset` on (no copy). Only for
   * reading inside this kernel: it must not outlive x, be written to, or be (or alias) the result.
   */
  view(x: TensorInfo, offset: number, shape: number[]): TensorInfo {
    const data = this.backend.dataIdMap.get(x.dataId);
    if (data == null || x.dtype !== 'float32')
      throw new Error('wasm training kernels: view of a tensor that is not float32 data on the heap.');
    if (offset < 0 || offset + tf.util.sizeFromShape(shape) > tf.util.sizeFromShape(x.shape))
      throw new Error('wasm training kernels: view out of range.');
    const t = this.backend.makeOutput(shape, 'float32', data.memoryOffset + 4 * offset);
    this.views.push(t);
    return t;
  }

  /** True if t shares its buffer with one of the views. */
  isView(t: TensorInfo): boolean {
    return this.views.some((v) => v.dataId === t.dataId);
  }

  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: Attrs = {}): TensorInfo {
    const kernelFunc = natives.get(kernelName) ?? tf.getKernel(kernelName, BACKEND)?.kernelFunc;
    if (kernelFunc == null)
      throw new Error(`wasm training kernels: the wasm backend has no '${kernelName}' kernel.`);
    const out = kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out))
      throw new Error(`wasm training kernels: '${kernelName}' returned several outputs.`);
    return this.track(out);
  }

  /**
   * Runs the project's replacement of a wrapped kernel (e.g. the heap-view Slice) when replacements are
   * active, wasm's own kernel otherwise. Only for kernels whose replacement never calls back into the
   * caller's kernel.
   */
  fast(kernelName: string, inputs: Record<string, TensorInfo>, attrs: Attrs = {}): TensorInfo {
    const native = natives.get(kernelName);
    const replacement = REPLACEMENTS[kernelName];
    if (native == null || replacement == null) return this.run(kernelName, inputs, attrs);
    return this.track(replacement({ inputs, backend: this.backend, attrs }, native));
  }

  /** A float32 scalar intermediate. */
  scalar(value: number): TensorInfo {
    const t = this.track(this.backend.makeOutput([], 'float32'));
    this.backend.typedArrayFromHeap(t)[0] = value;
    return t;
  }

  /** Adds a TensorInfo made elsewhere to the intermediates. */
  track(t: TensorInfo): TensorInfo {
    this.made.push(t);
    return t;
  }

  /** Releases every intermediate except `keep`. */
  release(keep?: TensorInfo): void {
    for (const t of this.made) if (t !== keep) this.backend.disposeData(t.dataId);
    this.made.length = 0;
    // Views: unregister without freeing (the memory belongs to the viewed tensor).
    for (const v of this.views) {
      const data = this.backend.dataIdMap.get(v.dataId);
      if (data == null) continue;
      this.backend.wasm.tfjs.disposeData(data.id);
      this.backend.dataIdMap.delete(v.dataId);
    }
    this.views.length = 0;
  }
}

/** Runs `body` with a scratch area; intermediates are freed whether it returns or throws. */
function withScratch(backend: unknown, body: (s: Scratch) => TensorInfo): TensorInfo {
  const s = new Scratch(backend as WasmBackendLike);
  let result: TensorInfo | undefined;
  try {
    const r = body(s);
    if (s.isView(r)) throw new Error('wasm training kernels: a kernel result aliases a view.');
    result = r;
    return r;
  } finally {
    s.release(result);
  }
}

function unsupported(kernel: string, attr: string, value: unknown, supported: string): never {
  throw new Error(
    `wasm training kernels: ${kernel} does not support ${attr}=${JSON.stringify(value)} (supported: ${supported}).`,
  );
}

function pair(v: number | number[] | undefined, fallback = 1): [number, number] {
  if (v == null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  return [v[0], v.length > 1 ? v[1] : v[0]];
}

function shape4(t: TensorInfo, kernel: string, name: string): Shape4 {
  if (t.shape.length !== 4) unsupported(kernel, `rank of ${name}`, t.shape.length, '4');
  return t.shape as Shape4;
}

/**
 * Brings a 4-D NHWC tensor's spatial borders to the requested padding: negative entries are cut off with
 * Slice, and the non-negative rest is returned as an explicit pad for the conv kernel.
 */
function trimForPadding(
  s: Scratch,
  x: TensorInfo,
  top: number,
  bottom: number,
  left: number,
  right: number,
): { x: TensorInfo; pad: ExplicitPad } {
  const cutTop = Math.max(0, -top);
  const cutBottom = Math.max(0, -bottom);
  const cutLeft = Math.max(0, -left);
  const cutRight = Math.max(0, -right);
  let out = x;
  if (cutTop + cutBottom + cutLeft + cutRight > 0) {
    const [n, h, w, c] = x.shape;
    out = s.run(
      'Slice',
      { x },
      {
        begin: [0, cutTop, cutLeft, 0],
        size: [n, h - cutTop - cutBottom, w - cutLeft - cutRight, c],
      },
    );
  }
  const pad: ExplicitPad = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ];
  return { x: out, pad };
}

// ---------------------------------------------------------------------------------------------------
// Conv2DBackpropFilter
// ---------------------------------------------------------------------------------------------------

function conv2DBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: Attrs;
}): TensorInfo {
  const kernel = 'Conv2DBackpropFilter';
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = (args.attrs ?? {}) as {
    strides: number | [number, number];
    pad: PadAttr;
    dataFormat?: 'NHWC' | 'NCHW';
    dimRoundingMode?: RoundingMode;
    filterShape: Shape4;
  };
  if (attrs.dataFormat != null && attrs.dataFormat !== 'NHWC') {
    unsupported(kernel, 'dataFormat', attrs.dataFormat, "'NHWC'");
  }
  const xShape = shape4(x, kernel, 'x');
  const dyShape = shape4(dy, kernel, 'dy');
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const [batch, inH, inW, inC] = xShape;
  const [, outH, outW, outC] = dyShape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  if (fusedKernelsActive() && convGemmFits(info, x, dy)) {
    const dw = convFilterGrad(args.backend, x, dy, info); // Pᵀ·dy in the fused GEMM
    if (dw) return dw;
  }

  return withScratch(args.backend, (s) => {
    // 1×1, stride 1, no padding: a plain matmul over all pixels.
    if (
      kh === 1 &&
      kw === 1 &&
      sh === 1 &&
      sw === 1 &&
      pt === 0 &&
      pl === 0 &&
      outH === inH &&
      outW === inW
    ) {
      // (The transpose is explicit: wasm's BatchMatMul is ~10× slower with transposeA.)
      const n = batch * inH * inW;
      const a = s.run('Reshape', { x }, { shape: [n, inC] });
      const aT = s.run('Transpose', { x: a }, { perm: [1, 0] });
      const a3 = s.run('Reshape', { x: aT }, { shape: [1, inC, n] });
      const b = s.run('Reshape', { x: dy }, { shape: [1, n, outC] });
      const prod = s.run('BatchMatMul', { a: a3, b }, { transposeA: false, transposeB: false });
      return s.run('Reshape', { x: prod }, { shape: [1, 1, inC, outC] });
    }
    // x' = [ci, h, w, b], dy' = [oh, ow, b, co]; conv(x', dy', dilation = stride) = [ci, kh, kw, co].
    // x^T in two transposes ([B, H·W·C] → [H·W, C, B] → [C, H·W, B]): wasm's 4-D permutation loop is
    // 2–3× slower than both together (e.g. [64,16,16,32]: 2.0 vs 0.8 ms).
    let xT: TensorInfo;
    if (inC === 1 || inH * inW === 1) {
      xT = s.fast('Transpose', { x }, { perm: [3, 1, 2, 0] }); // a 2-D transpose already
    } else {
      const x2 = s.run('Reshape', { x }, { shape: [batch, inH * inW * inC] });
      const t1 = s.fast('Transpose', { x: x2 }, { perm: [1, 0] });
      const t1r = s.run('Reshape', { x: t1 }, { shape: [inH * inW, inC, batch] });
      const t2 = s.fast('Transpose', { x: t1r }, { perm: [1, 0, 2] });
      xT = s.run('Reshape', { x: t2 }, { shape: [inC, inH, inW, batch] });
    }
    const dyT = s.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const pb = (outH - 1) * sh + kh - inH - pt;
    const pr = (outW - 1) * sw + kw - inW - pl;
    const { x: xIn, pad } = trimForPadding(s, xT, pt, pb, pl, pr);
    const conv = s.run(
      'Conv2D',
      { x: xIn, filter: dyT },
      {
        strides: [1, 1],
        dilations: [sh, sw],
        pad,
        dataFormat: 'NHWC',
      },
    );
    return s.run('Transpose', { x: conv }, { perm: [1, 2, 0, 3] });
  });
}

// ---------------------------------------------------------------------------------------------------
// DepthwiseConv2dNativeBackpropInput
// ---------------------------------------------------------------------------------------------------

function depthwiseConv2dNativeBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: Attrs;
}): TensorInfo {
  const kernel = 'DepthwiseConv2dNativeBackpropInput';
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = (args.attrs ?? {}) as {
    strides: number | [number, number];
    dilations?: number | [number, number];
    pad: PadAttr;
    dimRoundingMode?: RoundingMode;
    inputShape: Shape4;
  };
  const filterShape = shape4(filter, kernel, 'filter');
  const dyShape = shape4(dy, kernel, 'dy');
  const dilations = pair(attrs.dilations);
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filterShape,
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const [batch, inH, inW, inC] = attrs.inputShape;
  const [, outH, outW, outCM] = dyShape;
  const [kh, kw, , mult] = filterShape;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;

  return withScratch(args.backend, (s) => {
    // Zero-insert dy for strided convs: [B,OH,OW,CM] → [B, OH·sh, OW·sw, CM] with dy at multiples of s.
    let dyD = dy;
    if (sh > 1 || sw > 1) {
      const r = s.run('Reshape', { x: dy }, { shape: [batch, outH, 1, outW, 1, outCM] });
      const p = s.run(
        'PadV2',
        { x: r },
        {
          paddings: [
            [0, 0],
            [0, 0],
            [0, sh - 1],
            [0, 0],
            [0, sw - 1],
            [0, 0],
          ],
          constantValue: 0,
        },
      );
      dyD = s.run('Reshape', { x: p }, { shape: [batch, outH * sh, outW * sw, outCM] });
    }
    // Full correlation with the flipped filter; dyD already carries s−1 trailing zero rows/cols.
    const top = (kh - 1) * dh - pt;
    const left = (kw - 1) * dw - pl;
    const bottom = inH - ((outH - 1) * sh + 1) + pt - (sh - 1);
    const right = inW - ((outW - 1) * sw + 1) + pl - (sw - 1);
    const { x: dyIn, pad } = trimForPadding(s, dyD, top, bottom, left, right);
    const flipped = s.run('Reverse', { x: filter }, { dims: [0, 1] });
    const f = s.run('Reshape', { x: flipped }, { shape: [kh, kw, inC * mult, 1] });
    const conv = s.run(
      'DepthwiseConv2dNative',
      { x: dyIn, filter: f },
      {
        strides: [1, 1],
        dilations: [dh, dw],
        pad,
      },
    );
    if (mult === 1) return conv;
    const r = s.run('Reshape', { x: conv }, { shape: [batch, inH, inW, inC, mult] });
    return s.run('Sum', { x: r }, { axis: [4], keepDims: false });
  });
}

// ---------------------------------------------------------------------------------------------------
// DepthwiseConv2dNativeBackpropFilter
// ---------------------------------------------------------------------------------------------------

function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: Attrs;
}): TensorInfo {
  const kernel = 'DepthwiseConv2dNativeBackpropFilter';
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = (args.attrs ?? {}) as {
    strides: number | [number, number];
    dilations?: number | [number, number];
    pad: PadAttr;
    dimRoundingMode?: RoundingMode;
    filterShape: Shape4;
  };
  const xShape = shape4(x, kernel, 'x');
  const dyShape = shape4(dy, kernel, 'dy');
  const dilations = pair(attrs.dilations);
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    attrs.filterShape,
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const [batch, inH, inW, inC] = xShape;
  const [, outH, outW] = dyShape;
  const [kh, kw, , mult] = attrs.filterShape;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;

  const plainConv = sh === 1 && sw === 1 && dh === 1 && dw === 1 && mult === 1;
  if (plainConv && inC % 4 === 0 && x.dtype === 'float32' && dy.dtype === 'float32' && fusedKernelsActive())
    return fusedDepthwiseFilterGrad(args.backend, x, dy, [kh, kw, pt, pl]);
  // Per tap when the gradient map has more taps than the kernel (on a 2×2 map the single depthwise conv
  // with a 4-tap filter is cheaper: 1.1 vs 3.0 ms for [64,2,2,640]).
  const byTaps = outH * outW > kh * kw;
  if (byTaps && sh === 1 && sw === 1 && mult === 1 && x.dtype === 'float32' && dy.dtype === 'float32') {
    return withScratch(args.backend, (s) => depthwiseFilterByTaps(s, x, dy, kh, kw, dh, dw, pt, pl));
  }
  return withScratch(args.backend, (s) => {
    // Batch folded into channels: input [1, H, W, B·C], filter [OH, OW, B·C, M].
    const xT = s.run('Transpose', { x }, { perm: [1, 2, 0, 3] });
    const xR = s.run('Reshape', { x: xT }, { shape: [1, inH, inW, batch * inC] });
    const dyT = s.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const f = s.run('Reshape', { x: dyT }, { shape: [outH, outW, batch * inC, mult] });
    // Output must be exactly KH×KW with stride d: last tap (KH−1)·d + (OH−1)·s reaches the padded bottom.
    const pb = (kh - 1) * dh + (outH - 1) * sh + 1 - inH - pt;
    const pr = (kw - 1) * dw + (outW - 1) * sw + 1 - inW - pl;
    const { x: xIn, pad } = trimForPadding(s, xR, pt, pb, pl, pr);
    const conv = s.run(
      'DepthwiseConv2dNative',
      { x: xIn, filter: f },
      {
        strides: [dh, dw],
        dilations: [sh, sw],
        pad,
      },
    );
    const r = s.run('Reshape', { x: conv }, { shape: [kh * kw, batch, inC * mult] });
    const summed = s.run('Sum', { x: r }, { axis: [1], keepDims: false });
    return s.run('Reshape', { x: summed }, { shape: [kh, kw, inC, mult] });
  });
}

/**
 * Floats per position chunk of the per-tap depthwise filter gradient, so that the chunk of x, dy and the
 * product stay in cache over the taps. On [64,14,14,256] k3: unchunked 40 ms, 64K floats 36 ms (call
 * overhead), 128K–512K floats 23–25 ms.
 */
const DW_CHUNK = 1 << 18;

/**
 * Stride 1, multiplier 1: dF[i,j,c] = Σ_{b,oh,ow} xp[b, oh + i·dh, ow + j·dw, c]·dy[b,oh,ow,c] with xp the
 * padded x on a grid [B, Hp, Wp, C] (Hp = OH + (KH−1)·dh, Wp likewise) and dy zero-padded to the same
 * grid. On the flattened grid every tap is a constant shift, so each tap is one elementwise product of
 * two views (no copies) followed by a column sum (AvgPool over the positions). Terms that a shift carries
 * into the next row or image meet dy's zero padding.
 */
function depthwiseFilterByTaps(
  s: Scratch,
  x: TensorInfo,
  dy: TensorInfo,
  kh: number,
  kw: number,
  dh: number,
  dw: number,
  pt: number,
  pl: number,
): TensorInfo {
  const [batch, inH, inW, ch] = x.shape;
  const [, outH, outW] = dy.shape;
  const hp = outH + (kh - 1) * dh;
  const wp = outW + (kw - 1) * dw;
  const fit = (t: TensorInfo, top: number, bottom: number, left: number, right: number): TensorInfo => {
    const { x: cut, pad } = trimForPadding(s, t, top, bottom, left, right);
    if (pad[1][0] + pad[1][1] + pad[2][0] + pad[2][1] === 0) return cut;
    return s.run('PadV2', { x: cut }, { paddings: pad, constantValue: 0 });
  };
  const xp = fit(x, pt, hp - inH - pt, pl, wp - inW - pl);
  const dyp = fit(dy, 0, hp - outH, 0, wp - outW);
  // Positions up to dy's last real one; every tap's shifted range stays inside xp.
  const positions = ((batch - 1) * hp + outH - 1) * wp + outW;
  // Positions in chunks of ~DW_CHUNK floats, so that x, dy and the product stay in cache for all taps.
  const chunks = Math.max(1, Math.round((positions * ch) / DW_CHUNK));
  const len = Math.ceil(positions / chunks);
  const means: TensorInfo[] = [];
  for (let p0 = 0; p0 < positions; p0 += len) {
    const n = Math.min(len, positions - p0);
    const dyv = s.view(dyp, p0 * ch, [n, ch]);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const off = (p0 + i * dh * wp + j * dw) * ch;
        const prod = s.run('Multiply', { a: s.view(xp, off, [n, ch]), b: dyv });
        let m =
          n === 1
            ? prod
            : s.run(
                'AvgPool',
                { x: s.run('Reshape', { x: prod }, { shape: [1, n, 1, ch] }) },
                { filterSize: [n, 1], strides: [1, 1], pad: 'valid' },
              );
        if (n !== len) m = s.run('Multiply', { a: m, b: s.scalar(n / len) });
        means.push(s.run('Reshape', { x: m }, { shape: [1, ch] }));
      }
    }
  }
  // means: [chunks · taps, C] of per-chunk means (each chunk counted as `len` positions).
  const all =
    means.length === 1
      ? means[0]
      : s.run('Concat', means as unknown as Record<string, TensorInfo>, { axis: 0 });
  const taps = kh * kw;
  const nChunks = means.length / taps;
  const per =
    nChunks === 1
      ? all
      : s.fast('Sum', { x: s.run('Reshape', { x: all }, { shape: [nChunks, taps * ch] }) }, { axis: [0] });
  const total = len === 1 ? per : s.run('Multiply', { a: per, b: s.scalar(len) });
  return s.run('Reshape', { x: total }, { shape: [kh, kw, ch, 1] });
}

// ---------------------------------------------------------------------------------------------------
// UnsortedSegmentSum
// ---------------------------------------------------------------------------------------------------

function unsortedSegmentSum(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: Attrs;
}): TensorInfo {
  const kernel = 'UnsortedSegmentSum';
  const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = (args.attrs ?? {}).numSegments as number;
  if (x.dtype !== 'float32' && x.dtype !== 'int32')
    unsupported(kernel, 'dtype', x.dtype, "'float32', 'int32'");
  if (segmentIds.dtype !== 'int32') unsupported(kernel, 'segmentIds dtype', segmentIds.dtype, "'int32'");
  const idRank = segmentIds.shape.length;
  for (let i = 0; i < idRank; i++) {
    if (segmentIds.shape[i] !== x.shape[i]) {
      unsupported(
        kernel,
        'segmentIds shape',
        segmentIds.shape,
        `a prefix of x's shape ${JSON.stringify(x.shape)}`,
      );
    }
  }
  const n = tf.util.sizeFromShape(segmentIds.shape);
  const innerShape = x.shape.slice(idRank);
  const inner = tf.util.sizeFromShape(innerShape);
  const outShape = [numSegments, ...innerShape];
  const backend = args.backend as WasmBackendLike;

  const ids = backend.readSync(segmentIds.dataId) as Int32Array;
  let allValid = true;
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (id < 0 || id >= numSegments) {
      allValid = false;
      break;
    }
  }

  if (!allValid || n === 0 || inner === 0) {
    // Rare path (dropped ids, empty tensors): sum in JS straight on the wasm heap.
    const out = backend.makeOutput(outShape, x.dtype);
    const o = backend.typedArrayFromHeap(out);
    o.fill(0);
    if (n > 0 && inner > 0) {
      const v = backend.typedArrayFromHeap(x);
      for (let i = 0; i < n; i++) {
        const id = ids[i];
        if (id < 0 || id >= numSegments) continue;
        const src = i * inner;
        const dst = id * inner;
        for (let j = 0; j < inner; j++) o[dst + j] += v[src + j];
      }
    }
    return out;
  }

  return withScratch(args.backend, (s) => {
    const indices = s.run('Reshape', { x: segmentIds }, { shape: [n, 1] });
    const updates = s.run('Reshape', { x }, { shape: [n, inner] });
    const scattered = s.run('ScatterNd', { indices, updates }, { shape: [numSegments, inner] });
    return s.run('Reshape', { x: scattered }, { shape: outShape });
  });
}

// ---------------------------------------------------------------------------------------------------
// Conv2DBackpropInput (replaces wasm's own, a plain C++ loop ~10× slower than XNNPACK's Conv2D)
// ---------------------------------------------------------------------------------------------------

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs };

function conv2DBackpropInputFast(args: KernelArgs, native: tf.KernelFunc): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = (args.attrs ?? {}) as {
    strides: number | [number, number];
    pad: PadAttr;
    dataFormat?: 'NHWC' | 'NCHW';
    dimRoundingMode?: RoundingMode;
    inputShape: Shape4;
  };
  const nhwc = attrs.dataFormat == null || attrs.dataFormat === 'NHWC';
  if (!nhwc || dy.shape.length !== 4 || filter.shape.length !== 4 || dy.dtype !== 'float32') {
    return native(args as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  }
  const filterShape = filter.shape as Shape4;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { strideHeight: sh, strideWidth: sw } = info;
  const [batch, inH, inW, inC] = attrs.inputShape;
  const [, outH, outW, outC] = dy.shape;
  const [kh, kw] = filterShape;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  // Phase decomposition: row h of dx, with h + pt = q·sh + r, gets Σ_j dy[q − j]·W[j·sh + r] (same for
  // columns). Only the phase rows q0…q0+rows−1 that hold dx's rows are computed.
  const kh2 = Math.ceil(kh / sh);
  const kw2 = Math.ceil(kw / sw);
  const q0 = Math.floor(pt / sh);
  const p0 = Math.floor(pl / sw);
  const rows = Math.floor((inH - 1 + pt) / sh) - q0 + 1;
  const cols = Math.floor((inW - 1 + pl) / sw) - p0 + 1;
  const phases = sh * sw;
  // The phase conv computes kh2·kw2 taps for every phase of every (padded) phase row; col2im computes the
  // KH·KW taps of each dy pixel once but scatters them in JS. Measured on the model's downsample convs:
  // dy [64,2,2,160] → dx [64,6,6,128]: 53 → 7 ms; dy [64,7,7,64] → [64,16,16,32]: 13 → 7 ms; stride-1
  // convs stay with the phase conv (e.g. [64,14,14,16] k3: 2.9 vs 11 ms).
  // With the fused GEMM, col2im(dy·Wᵀ) beats both once there are 32 or more output channels to sum
  // over (fewer, and XNNPACK's conv, which needs no patch matrix, is faster).
  if (outC >= 32 && fusedKernelsActive() && convGemmFits(info, dy, filter)) {
    const dx = convInputGrad(args.backend, dy, filter, info);
    if (dx) return dx;
  }
  const phaseMacs = batch * rows * cols * kh2 * kw2 * outC * phases * inC;
  const col2imCost = batch * outH * outW * kh * kw * inC * (outC + SCATTER_COST);
  if (col2imCost < phaseMacs) {
    return withScratch(args.backend, (s) =>
      conv2DBackpropInputCol2Im(s, dy, filter, attrs.inputShape, sh, sw, pt, pl),
    );
  }

  return withScratch(args.backend, (s) => {
    // Filter [KH,KW,Ci,Co] → [KH',KW',Co, sh·sw·Ci]: taps split by phase, flipped, in/out swapped.
    let w = filter;
    if (kh2 * sh !== kh || kw2 * sw !== kw) {
      const paddings = [
        [0, kh2 * sh - kh],
        [0, kw2 * sw - kw],
        [0, 0],
        [0, 0],
      ];
      w = s.run('PadV2', { x: filter }, { paddings, constantValue: 0 });
    }
    let f: TensorInfo;
    if (phases === 1) {
      const flipped = s.run('Reverse', { x: w }, { dims: [0, 1] });
      f = s.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
    } else {
      const w6 = s.run('Reshape', { x: w }, { shape: [kh2, sh, kw2, sw, inC, outC] });
      const flipped = s.run('Reverse', { x: w6 }, { dims: [0, 2] });
      const t = s.run('Transpose', { x: flipped }, { perm: [0, 2, 5, 1, 3, 4] });
      f = s.run('Reshape', { x: t }, { shape: [kh2, kw2, outC, phases * inC] });
    }
    const top = kh2 - 1 - q0;
    const left = kw2 - 1 - p0;
    const bottom = rows - outH + q0;
    const right = cols - outW + p0;
    const { x: dyIn, pad } = trimForPadding(s, dy, top, bottom, left, right);
    const conv = s.run(
      'Conv2D',
      { x: dyIn, filter: f },
      { strides: [1, 1], dilations: [1, 1], pad, dataFormat: 'NHWC' },
    );
    // Interleave the phases (a depth-to-space; wasm's DepthToSpace kernel is ~30× slower than this).
    let full = conv;
    if (phases > 1) {
      const r6 = s.run('Reshape', { x: conv }, { shape: [batch, rows, cols, sh, sw, inC] });
      const t6 = s.run('Transpose', { x: r6 }, { perm: [0, 1, 3, 2, 4, 5] });
      full = s.run('Reshape', { x: t6 }, { shape: [batch, rows * sh, cols * sw, inC] });
    }
    const r0 = pt - q0 * sh;
    const c0 = pl - p0 * sw;
    if (r0 === 0 && c0 === 0 && rows * sh === inH && cols * sw === inW) return full;
    return s.run('Slice', { x: full }, { begin: [0, r0, c0, 0], size: [batch, inH, inW, inC] });
  });
}

/** Cost of one JS scatter-add of col2im relative to one XNNPACK multiply-add (measured ~1 ns vs ~0.07 ns). */
const SCATTER_COST = 15;

/**
 * col2im: the patch gradients cols[B·OH·OW, KH·KW·Ci] = dy[B·OH·OW, Co]·W[KH·KW·Ci, Co]ᵀ (one GEMM), then
 * each patch row is added into dx where its tap lands (a JS loop over the heap). Does only the useful
 * multiply-adds, which matters on small strided grids where the phase conv computes mostly padding.
 */
function conv2DBackpropInputCol2Im(
  s: Scratch,
  dy: TensorInfo,
  filter: TensorInfo,
  inputShape: Shape4,
  sh: number,
  sw: number,
  pt: number,
  pl: number,
): TensorInfo {
  const [batch, inH, inW, inC] = inputShape;
  const [, outH, outW, outC] = dy.shape;
  const [kh, kw] = filter.shape;
  const taps = kh * kw;
  const n = batch * outH * outW;
  const a = s.run('Reshape', { x: dy }, { shape: [1, n, outC] });
  const b = s.run('Reshape', { x: filter }, { shape: [1, taps * inC, outC] });
  const patches = s.fast('BatchMatMul', { a, b }, { transposeA: false, transposeB: true });
  const out = s.backend.makeOutput([batch, inH, inW, inC], 'float32'); // before the views
  const dx = s.backend.typedArrayFromHeap(out) as Float32Array;
  const col = s.backend.typedArrayFromHeap(patches) as Float32Array;
  dx.fill(0);
  let src = 0;
  for (let bi = 0; bi < batch; bi++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        for (let i = 0; i < kh; i++) {
          const h = oh * sh + i - pt;
          if (h < 0 || h >= inH) {
            src += kw * inC;
            continue;
          }
          for (let j = 0; j < kw; j++, src += inC) {
            const w = ow * sw + j - pl;
            if (w < 0 || w >= inW) continue;
            const dst = ((bi * inH + h) * inW + w) * inC;
            for (let c = 0; c < inC; c++) dx[dst + c] += col[src + c];
          }
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// BatchMatMul (wraps wasm's own: only the untransposed, batch-1 case reaches XNNPACK)
// ---------------------------------------------------------------------------------------------------

/**
 * Relative cost of XNNPACK packing one float of the "weights" operand (b) against transposing one float
 * (measured on wasm SIMD: packing [K,N] costs 3–6 ns per float, a Transpose 1–1.7 ns; the GEMM itself
 * ~0.07 ns per multiply-add). Each call packs b afresh: wasm caches the packed operator on b's id, and
 * in training b is a new tensor every time.
 */
const PACK_COST = 2.5;

function batchMatMulFast(args: KernelArgs, native: tf.KernelFunc): TensorInfo {
  const callNative = (
    a: TensorInfo,
    b: TensorInfo,
    transposeA: boolean,
    transposeB: boolean,
    backend: unknown,
  ) =>
    native({ inputs: { a, b }, backend: backend as object, attrs: { transposeA, transposeB } }) as TensorInfo;
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const transposeA = Boolean(args.attrs?.transposeA);
  const transposeB = Boolean(args.attrs?.transposeB);
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  // A batched b has no fast path in wasm; mismatched inner sizes are left to the native kernel's error.
  const innerA = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const innerB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const k = innerA;
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  if (fusedKernelsActive()) {
    const c = gemmMatMul(args.backend, a, b, transposeA, transposeB);
    if (c) return c;
  }
  if (batchB !== 1 || aRank < 2 || bRank < 2 || innerA !== innerB || a.dtype !== 'float32') {
    return callNative(a, b, transposeA, transposeB, args.backend);
  }
  const rows = batchA * m; // all of a's batch shares b: one product [rows, K]·[K, N]
  // (1) C = A·B: A materialised as [rows, K], B as [K, N] and packed.
  const cost1 = (transposeA ? rows * k : 0) + (transposeB ? k * n : 0) + PACK_COST * k * n;
  // (2) Cᵀ = Bᵀ·Aᵀ: Bᵀ as [N, K] (free when transposeB), Aᵀ as [K, rows] packed (free when transposeA and
  // a has no batch), then Cᵀ transposed back. Pays off when A is the smaller operand, e.g. the weight
  // gradient xᵀ·dy of a layer that widens (x [12544,32], dy [12544,256]: 48 → 17 ms).
  const cost2 =
    (transposeB ? 0 : k * n) +
    (transposeA && batchA === 1 ? 0 : rows * k) +
    PACK_COST * k * rows +
    (rows > 1 && n > 1 ? rows * n : 0);
  const plain = !transposeA && !transposeB && batchA === 1;
  if (plain && cost1 <= cost2) return callNative(a, b, false, false, args.backend);
  const outShape = [
    ...tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)),
    m,
    n,
  ];
  return withScratch(args.backend, (s) => {
    if (cost1 <= cost2) {
      // a → [1, batchA·M, K], b → [1, K, N], both materialised untransposed.
      let a3 = s.run('Reshape', { x: a }, { shape: transposeA ? [batchA, k, m] : [1, rows, k] });
      if (transposeA) {
        const t = s.fast('Transpose', { x: a3 }, { perm: [0, 2, 1] });
        a3 = s.run('Reshape', { x: t }, { shape: [1, rows, k] });
      }
      let b3 = s.run('Reshape', { x: b }, { shape: transposeB ? [1, n, k] : [1, k, n] });
      if (transposeB) b3 = s.fast('Transpose', { x: b3 }, { perm: [0, 2, 1] });
      const out = s.track(callNative(a3, b3, false, false, s.backend));
      return s.run('Reshape', { x: out }, { shape: outShape });
    }
    let bT = s.run('Reshape', { x: b }, { shape: transposeB ? [1, n, k] : [1, k, n] });
    if (!transposeB) bT = s.fast('Transpose', { x: bT }, { perm: [0, 2, 1] });
    let aT: TensorInfo;
    if (transposeA) {
      // a [batchA, K, M] → [K, batchA, M]
      aT = s.run('Reshape', { x: a }, { shape: [batchA, k, m] });
      if (batchA > 1) aT = s.fast('Transpose', { x: aT }, { perm: [1, 0, 2] });
    } else {
      aT = s.fast('Transpose', { x: s.run('Reshape', { x: a }, { shape: [rows, k] }) }, { perm: [1, 0] });
    }
    aT = s.run('Reshape', { x: aT }, { shape: [1, k, rows] });
    const outT = s.track(callNative(bT, aT, false, false, s.backend)); // [1, N, rows]
    const out =
      rows > 1 && n > 1
        ? s.fast('Transpose', { x: s.run('Reshape', { x: outT }, { shape: [n, rows] }) }, { perm: [1, 0] })
        : outT;
    return s.run('Reshape', { x: out }, { shape: outShape });
  });
}

/**
 * Conv2D and FusedConv2D (bias, no activation) with 32 or more output channels as one GEMM of the patch
 * matrix (`conv-gemm.ts`); fewer channels, and anything else, in wasm's (XNNPACK) kernel, which needs
 * no patch matrix: with 16 channels the patch copy costs more than the faster GEMM saves.
 */
function conv2DFast(args: KernelArgs, native: tf.KernelFunc): TensorInfo {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const attrs = (args.attrs ?? {}) as {
    strides: number | [number, number];
    pad: PadAttr;
    dataFormat?: 'NHWC' | 'NCHW';
    dilations?: number | [number, number];
    dimRoundingMode?: RoundingMode;
    activation?: string;
  };
  const plain = (attrs.activation ?? 'linear') === 'linear' && preluActivationWeights == null;
  const nhwc = attrs.dataFormat == null || attrs.dataFormat === 'NHWC';
  if (
    x &&
    filter &&
    plain &&
    nhwc &&
    x.shape.length === 4 &&
    filter.shape.length === 4 &&
    fusedKernelsActive()
  ) {
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as Shape4,
      filter.shape as Shape4,
      attrs.strides,
      attrs.dilations ?? 1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    if (info.outChannels >= 32 && convGemmFits(info, x, filter)) {
      const y = convForward(args.backend, x, filter, info, bias);
      if (y) return y;
    }
  }
  return native(args as unknown as Parameters<tf.KernelFunc>[0]) as TensorInfo;
}

/**
 * _FusedMatMul: with a bias and no activation (a Dense layer) in the fused GEMM. wasm's own kernel is
 * wrong for transposed operands and for a batch broadcast against a shared b (off by 20–30% against cpu,
 * `kernel-grid.ts`); those run as BatchMatMul (+ bias) (+ Relu) instead, the rest in wasm's.
 */
function fusedMatMulFast(args: KernelArgs, native: tf.KernelFunc): TensorInfo {
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const activation = args.attrs?.activation ?? 'linear';
  const transposeA = Boolean(args.attrs?.transposeA);
  const transposeB = Boolean(args.attrs?.transposeB);
  if (a && b && preluActivationWeights == null && activation === 'linear' && fusedKernelsActive()) {
    const c = gemmMatMul(args.backend, a, b, transposeA, transposeB, bias);
    if (c) return c;
  }
  const broadcast = a && b && a.shape.slice(0, -2).join() !== b.shape.slice(0, -2).join();
  if (a && b && (transposeA || transposeB || broadcast) && (activation === 'linear' || activation === 'relu'))
    return withScratch(args.backend, (s) => {
      let y = s.fast('BatchMatMul', { a, b }, { transposeA, transposeB });
      if (bias) y = s.run('Add', { a: y, b: bias });
      return activation === 'relu' ? s.run('Relu', { x: y }) : y;
    });
  return native(args as unknown as Parameters<tf.KernelFunc>[0]) as TensorInfo;
}

// ---------------------------------------------------------------------------------------------------
// MaxPoolGrad (replaces wasm's own, which is wrong for some strided windows, e.g. k2 s2 'valid')
// ---------------------------------------------------------------------------------------------------

function maxPoolGradJs(args: KernelArgs, native: tf.KernelFunc): TensorInfo {
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const attrs = (args.attrs ?? {}) as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: PadAttr;
    dimRoundingMode?: RoundingMode;
  };
  if (input.shape.length !== 4 || input.dtype !== 'float32' || dy.dtype !== 'float32') {
    return native(args as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  }
  const info = tf.backend_util.computePool2DInfo(
    input.shape as Shape4,
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight: inH, inWidth: inW, inChannels: ch, outHeight: outH, outWidth: outW } = info;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const backend = args.backend as WasmBackendLike;
  // Allocate first: a heap growth would detach views taken earlier.
  const out = backend.makeOutput(input.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out);
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy);
  dx.fill(0);
  // Each output's gradient goes to its window's first maximum (as on cpu); windows of only −∞/NaN get none.
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outH; oh++) {
      const h0 = Math.max(0, oh * sh - pt);
      const h1 = Math.min(inH, oh * sh - pt + fh);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = Math.max(0, ow * sw - pl);
        const w1 = Math.min(inW, ow * sw - pl + fw);
        const dyBase = ((b * outH + oh) * outW + ow) * ch;
        for (let c = 0; c < ch; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const i = ((b * inH + h) * inW + w) * ch + c;
              if (x[i] > best) {
                best = x[i];
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] += g[dyBase + c];
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Identity, Slice, SplitV (wasm's copy the data: Identity the whole tensor, Slice/SplitV the whole INPUT
// once per slice, through `readSync`, before picking the slice)
// ---------------------------------------------------------------------------------------------------

interface WasmBackendRefs extends WasmBackendLike {
  incRef(dataId: DataId): void;
}

const HEAP_DTYPES = new Set<tf.DataType>(['float32', 'int32', 'bool']);

/** Identity shares the buffer (as on cpu; tensors are immutable and the backend counts references). */
function identityAlias(args: KernelArgs, native: tf.KernelFunc): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  if (!HEAP_DTYPES.has(x.dtype)) return native(args as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  (args.backend as WasmBackendRefs).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/** Cast to the same dtype shares the buffer too (wasm's copies it; layers cast float32 to float32 a lot). */
function castAlias(args: KernelArgs, native: tf.KernelFunc): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  if (args.attrs?.dtype !== x.dtype) return native(args as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  return identityAlias(args, native);
}

/** Contiguous runs at least this long are copied with `TypedArray.set` (a plain loop below). */
const SUBARRAY_MIN_RUN = 32;

type HeapArray = Float32Array | Int32Array | Uint8Array;

/** dst[o, o+run) = src[at, at+run): `TypedArray.set` for long runs, a plain loop for short ones. */
function copyRun(dst: HeapArray, o: number, src: HeapArray, at: number, run: number): void {
  if (run >= SUBARRAY_MIN_RUN) dst.set(src.subarray(at, at + run), o);
  else for (let j = 0; j < run; j++) dst[o + j] = src[at + j];
}

/** Copies the box `begin`/`size` of `x` into a new tensor, reading straight from the wasm heap. */
function sliceFromHeap(backend: WasmBackendLike, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = backend.makeOutput(size, x.dtype); // before taking views: a heap growth detaches them
  const total = tf.util.sizeFromShape(size);
  if (total === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const shape = x.shape;
  const rank = shape.length;
  // Innermost axes taken whole form contiguous runs; `k` is the outermost axis of a run.
  let k = rank - 1;
  let run = size[k];
  while (k > 0 && size[k] === shape[k]) {
    k--;
    run *= size[k];
  }
  const strides = tf.util.computeStrides(shape);
  let base = 0;
  for (let i = 0; i < rank; i++) base += begin[i] * (i < rank - 1 ? strides[i] : 1);
  if (k === 0) {
    dst.set(src.subarray(base, base + run));
    return out;
  }
  // Odometer over the axes before k.
  const idx = new Array<number>(k).fill(0);
  let o = 0;
  let off = base;
  for (;;) {
    copyRun(dst, o, src, off, run);
    o += run;
    if (o >= total) break;
    let a = k - 1;
    for (;;) {
      idx[a]++;
      off += strides[a];
      if (idx[a] < size[a]) break;
      off -= idx[a] * strides[a];
      idx[a] = 0;
      a--;
    }
  }
  return out;
}

function sliceFast(args: KernelArgs, native: tf.KernelFunc): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  if (!HEAP_DTYPES.has(x.dtype) || x.shape.length === 0)
    return native(args as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  const attrs = (args.attrs ?? {}) as { begin: number | number[]; size?: number | number[] };
  const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size);
  return sliceFromHeap(args.backend as WasmBackendLike, x, begin, size);
}

function splitVFast(args: KernelArgs, native: tf.KernelFunc): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  if (!HEAP_DTYPES.has(x.dtype) || x.shape.length === 0)
    return native(args as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  const attrs = (args.attrs ?? {}) as { numOrSizeSplits: number | number[]; axis: number | number[] };
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  const outs = sizes.map((n) => {
    const size = [...x.shape];
    size[axis] = n;
    const out = sliceFromHeap(args.backend as WasmBackendLike, x, [...begin], size);
    begin[axis] += n;
    return out;
  });
  return outs as unknown as TensorInfo; // a multi-output kernel returns TensorInfo[]
}

/**
 * Concat along an inner axis: wasm's kernel copies each row of each input with `subarray` + `set`, a
 * JS allocation per row ([64,14,14,16] × 2 on the last axis: 25,088 rows, ~4 ms); here short rows are a
 * plain loop (~0.5 ms).
 */
function concatFast(args: KernelArgs, native: tf.KernelFunc): TensorInfo {
  const inputs = args.inputs as unknown as TensorInfo[];
  const first = inputs[0];
  if (
    !HEAP_DTYPES.has(first.dtype) ||
    first.shape.length === 0 ||
    inputs.some((t) => t.dtype !== first.dtype)
  )
    return native(args as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  const axis = tf.util.parseAxisParam((args.attrs as { axis: number | number[] }).axis, first.shape)[0];
  const shapes = inputs.map((t) => t.shape);
  tf.backend_util.assertParamsConsistent(shapes, axis);
  const present = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  if (present.length < 2) return native(args as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  const be = args.backend as WasmBackendLike;
  const out = be.makeOutput(tf.backend_util.computeOutShape(shapes, axis), first.dtype); // before the views
  const rows = tf.util.sizeFromShape(first.shape.slice(0, axis));
  const runs = present.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
  const width = runs.reduce((a, b) => a + b, 0);
  const dst = be.typedArrayFromHeap(out);
  let column = 0;
  present.forEach((t, i) => {
    const src = be.typedArrayFromHeap(t);
    const run = runs[i];
    for (let r = 0, o = column, at = 0; r < rows; r++, o += width, at += run) {
      copyRun(dst, o, src, at, run);
    }
    column += run;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Transpose (wasm's C++ loop thrashes the cache when the output rows are a power of two ≥ 512 floats
// long: [1024,512] → [512,1024] takes 3.7 ms, a tiled JS loop over the heap 1.4 ms)
// ---------------------------------------------------------------------------------------------------

/** x's shape and perm with size-1 axes dropped and axes that stay adjacent merged. */
function canonicalPerm(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  const keep = shape.map((d, i) => (d === 1 ? -1 : i)).filter((i) => i >= 0);
  const rank = new Map(keep.map((a, i) => [a, i]));
  const p = perm.filter((a) => shape[a] !== 1).map((a) => rank.get(a) as number);
  const dims = keep.map((a) => shape[a]);
  // Merge input axes a, a+1 that are also adjacent (in order) in the output.
  const groups: number[][] = [];
  for (const a of p) {
    const last = groups[groups.length - 1];
    if (last != null && last[last.length - 1] + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const order = [...groups].sort((g, h) => g[0] - h[0]);
  const mergedShape = order.map((g) => g.reduce((acc, a) => acc * dims[a], 1));
  const mergedPerm = groups.map((g) => order.indexOf(g));
  return { shape: mergedShape, perm: mergedPerm };
}

function transposeFast(args: KernelArgs, native: tf.KernelFunc): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const perm = (args.attrs?.perm ?? []) as number[];
  const callNative = () => native(args as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  if (x.dtype !== 'float32' || perm.length !== x.shape.length) return callNative();
  const c = canonicalPerm(x.shape, perm);
  // Only (P, R, C) → (P, C, R) with R a power of two ≥ 512 (where wasm's loop is slow).
  let p = 1;
  let r: number;
  let cols: number;
  if (c.perm.length === 2 && c.perm[0] === 1) [r, cols] = c.shape;
  else if (c.perm.length === 3 && c.perm[0] === 0 && c.perm[1] === 2) [p, r, cols] = c.shape;
  else return callNative();
  if (r < 512 || (r & (r - 1)) !== 0 || r * cols < 1 << 16) return callNative();
  const backend = args.backend as WasmBackendLike;
  const outShape = perm.map((a) => x.shape[a]);
  const out = backend.makeOutput(outShape, 'float32'); // before the views
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const T = 8;
  for (let q = 0; q < p; q++) {
    const base = q * r * cols;
    for (let r0 = 0; r0 < r; r0 += T) {
      const r1 = Math.min(r, r0 + T);
      for (let c0 = 0; c0 < cols; c0 += T) {
        const c1 = Math.min(cols, c0 + T);
        for (let i = r0; i < r1; i++) {
          let si = base + i * cols + c0;
          let di = base + c0 * r + i;
          for (let j = c0; j < c1; j++, si++, di += r) dst[di] = src[si];
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Sum, Mean over a block of axes that is not innermost (wasm's transpose the reduced axes to the end
// first, a generic C++ loop: ~2.5 ns per element)
// ---------------------------------------------------------------------------------------------------

/** Below this many elements Sum/Mean stay with wasm's kernel. */
const REDUCE_MIN_SIZE = 4096;

/**
 * x viewed as [outer, R, inner] with the R axes reduced. For inner > 1 this is an average pooling of
 * [outer, R, 1, inner] with an R×1 window (XNNPACK, one streaming pass: ~8× faster than wasm's Sum for
 * [12544,128]), times R for a sum. Innermost reductions (inner = 1) need no transpose in wasm's own
 * kernel and stay there, as do other dtypes and non-contiguous axes.
 */
function reduceFast(args: KernelArgs, native: tf.KernelFunc, kind: 'sum' | 'mean'): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const attrs = (args.attrs ?? {}) as { axis: number | number[]; keepDims?: boolean };
  const callNative = () => native(args as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  if (x.dtype !== 'float32' || x.shape.length === 0) return callNative();
  const axes = [...new Set(tf.util.parseAxisParam(attrs.axis, x.shape))].sort((a, b) => a - b);
  if (axes.length === 0) return callNative();
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[0] + i) return callNative();
  const p = axes[0];
  const q = axes[axes.length - 1] + 1;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, p));
  const r = tf.util.sizeFromShape(x.shape.slice(p, q));
  const inner = tf.util.sizeFromShape(x.shape.slice(q));
  // Small reductions: one native call beats the AvgPool path's four.
  if (inner === 1 || r <= 1 || outer * r * inner < REDUCE_MIN_SIZE) return callNative();
  const outShape = attrs.keepDims
    ? x.shape.map((d, i) => (i >= p && i < q ? 1 : d))
    : [...x.shape.slice(0, p), ...x.shape.slice(q)];
  if (fusedKernelsActive())
    return fusedColumnSum(args.backend, x, [outer, r, inner], kind === 'mean' ? 1 / r : 1, outShape);
  return withScratch(args.backend, (s) => {
    const x4 = s.run('Reshape', { x }, { shape: [outer, r, 1, inner] });
    let y = s.run('AvgPool', { x: x4 }, { filterSize: [r, 1], strides: [1, 1], pad: 'valid' });
    if (kind === 'sum') y = s.run('Multiply', { a: y, b: s.scalar(r) });
    return s.run('Reshape', { x: y }, { shape: outShape });
  });
}

const sumFast = (args: KernelArgs, native: tf.KernelFunc) => reduceFast(args, native, 'sum');
const meanFast = (args: KernelArgs, native: tf.KernelFunc) => reduceFast(args, native, 'mean');

// ---------------------------------------------------------------------------------------------------
// Exp (wasm's calls libm's expf per element, ~7 ns; its Sigmoid is XNNPACK's vectorised one, ~1 ns)
// ---------------------------------------------------------------------------------------------------

/** Below this many elements the six kernel calls cost more than the scalar loop saves. */
const EXP_MIN_SIZE = 1 << 14;

/**
 * exp(z) = (σ(u)/σ(−u))² with u = z/2 (σ(u)/σ(−u) = e^u). Halving keeps |u| inside the range where
 * XNNPACK's sigmoid is exact to a few ulp (|u| < 87), so the result is within 7e-7 relative of expf for
 * every z with a finite, normal result; it underflows to 0 below z ≈ −174 and overflows to +∞ above
 * z ≈ 88.7 as expf does; ±∞ and NaN map as in expf. For e^{−x²} in GELU's gradient: 22 → 11 ms on
 * [64,14,14,256].
 */
function expFast(args: KernelArgs, native: tf.KernelFunc): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) < EXP_MIN_SIZE)
    return native(args as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  return withScratch(args.backend, (s) => {
    const u = s.run('Multiply', { a: x, b: s.scalar(0.5) });
    const v = s.run('Multiply', { a: x, b: s.scalar(-0.5) });
    const ratio = s.run('RealDiv', { a: s.run('Sigmoid', { x: u }), b: s.run('Sigmoid', { x: v }) });
    return s.run('Square', { x: ratio });
  });
}

// ---------------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------------

/** The kernels this module adds to wasm (which lacks them). */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    backendName: BACKEND,
    kernelFunc: conv2DBackpropFilter as tf.KernelFunc,
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: BACKEND,
    kernelFunc: depthwiseConv2dNativeBackpropInput as tf.KernelFunc,
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName: BACKEND,
    kernelFunc: depthwiseConv2dNativeBackpropFilter as tf.KernelFunc,
  },
  {
    kernelName: 'UnsortedSegmentSum',
    backendName: BACKEND,
    kernelFunc: unsortedSegmentSum as tf.KernelFunc,
  },
];

/**
 * wasm kernels this module wraps: slow ones with faster formulations, a wrong one with a correct one
 * (each falls back to wasm's original for inputs it does not handle).
 */
export const WASM_REPLACED_KERNEL_NAMES: readonly string[] = [
  'Conv2DBackpropInput',
  'Conv2D',
  'FusedConv2D',
  'BatchMatMul',
  '_FusedMatMul',
  'MaxPoolGrad',
  'Identity',
  'Slice',
  'SplitV',
  'Concat',
  'Cast',
  'Sum',
  'Mean',
  'Transpose',
  'Exp',
];
const REPLACEMENTS: Record<string, (args: KernelArgs, native: tf.KernelFunc) => TensorInfo> = {
  Conv2DBackpropInput: conv2DBackpropInputFast,
  Conv2D: conv2DFast,
  FusedConv2D: conv2DFast,
  BatchMatMul: batchMatMulFast,
  _FusedMatMul: fusedMatMulFast,
  MaxPoolGrad: maxPoolGradJs,
  Identity: identityAlias,
  Slice: sliceFast,
  SplitV: splitVFast,
  Concat: concatFast,
  Cast: castAlias,
  Sum: sumFast,
  Mean: meanFast,
  Transpose: transposeFast,
  Exp: expFast,
};

/** Marks our wrappers, across copies of this module, so that nothing is wrapped twice. */
const WRAPPED = Symbol.for('heracles-studio.wasm-training-kernels.wrapped');
type MarkedKernelFunc = tf.KernelFunc & { [WRAPPED]?: tf.KernelFunc };

function wrapNative(kernelName: string): void {
  const current = tf.getKernel(kernelName, BACKEND);
  if (current == null) return; // wasm's kernels are not loaded: nothing to speed up
  const existing = (current.kernelFunc as MarkedKernelFunc)[WRAPPED];
  if (existing != null) {
    natives.set(kernelName, existing);
    return;
  }
  const native = current.kernelFunc;
  const replacement = REPLACEMENTS[kernelName];
  const kernelFunc: MarkedKernelFunc = (args) => replacement(args as KernelArgs, native);
  kernelFunc[WRAPPED] = native;
  natives.set(kernelName, native);
  tf.unregisterKernel(kernelName, BACKEND);
  tf.registerKernel({ ...current, kernelFunc }); // keeps wasm's setupFunc/disposeFunc
}

function unwrapNative(kernelName: string): void {
  const current = tf.getKernel(kernelName, BACKEND);
  const native = current == null ? undefined : (current.kernelFunc as MarkedKernelFunc)[WRAPPED];
  natives.delete(kernelName);
  if (current == null || native == null) return;
  tf.unregisterKernel(kernelName, BACKEND);
  tf.registerKernel({ ...current, kernelFunc: native });
}

export interface WasmTrainingKernelOptions {
  /**
   * Also replace wasm's own kernels listed in `WASM_REPLACED_KERNEL_NAMES` (slow in training, or, for
   * MaxPoolGrad, wrong for some strided windows) — default true. Needs '@tensorflow/tfjs-backend-wasm'
   * imported first (its kernels are what gets wrapped). `false` restores wasm's own kernels if an earlier call wrapped them.
   */
  replaceNativeKernels?: boolean;
}

/**
 * Registers the missing gradient kernels for the 'wasm' backend and, by default, replaces the wasm
 * kernels in `WASM_REPLACED_KERNEL_NAMES`. Call it after importing '@tensorflow/tfjs-backend-wasm'
 * (as `initNodeBackend` does). Idempotent: a missing kernel that is already registered (by an earlier call,
 * or natively by a newer wasm backend) is left alone, and nothing is wrapped twice. Works before or after
 * the wasm backend is initialised; the kernels look up the backend's own kernels when they run.
 */
export function registerWasmTrainingKernels(options: WasmTrainingKernelOptions = {}): void {
  for (const config of WASM_TRAINING_KERNELS) {
    if (tf.getKernel(config.kernelName, BACKEND) == null) tf.registerKernel(config);
  }
  for (const name of WASM_REPLACED_KERNEL_NAMES) {
    if (options.replaceNativeKernels ?? true) wrapNative(name);
    else unwrapNative(name);
  }
}
