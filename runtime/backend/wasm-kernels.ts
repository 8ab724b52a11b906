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
 * Each kernel is written with the backend's own kernels (Conv2D, DepthwiseConv2dNative, Transpose,
 * Reshape, PadV2, Slice, Reverse, Sum, BatchMatMul, ScatterNd), called as kernel functions, never as
 * `tf.*` ops; intermediates are released with `backend.disposeData`. Notation: x [B,H,W,C] (NHWC),
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
 *   over B. Any stride, dilation, padding and channel multiplier ≥ 1 is supported.
 * - UnsortedSegmentSum: ScatterNd (which accumulates duplicate indices) of x reshaped to [N, rest] at
 *   indices segmentIds[N,1] into [numSegments, rest]. Ids outside [0, numSegments) are dropped, as on cpu
 *   (checked in JS first; if any are present the sum is done by a JS loop over the heap instead).
 *
 *
 * Replacements for three kernels wasm has: two slow in training, one wrong (wrapped, so the original still
 * handles what the wrapper does not; `registerWasmTrainingKernels({ replaceNativeKernels: false })`
 * undoes it):
 * - Conv2DBackpropInput (dx of every Conv2D; wasm's is a plain C++ loop, 5–15× slower than XNNPACK):
 *   sub-pixel (phase) decomposition. Row h of dx, with h + pt = q·s + r (0 ≤ r < s), receives
 *   Σ_j dy[q−j]·W[j·s+r], so all s_h·s_w phases are ONE stride-1 Conv2D of dy with the filter
 *   [KH',KW',Co, s_h·s_w·Ci] (KH' = ⌈KH/s⌉; W zero-padded to KH'·s taps, split by phase, flipped,
 *   in/out channels swapped), top padding KH'−1 minus the phase rows not needed. Its phases are
 *   interleaved by Reshape/Transpose (a depth-to-space) and cropped to [B,H,W,Ci]. No zero-insertion,
 *   so the work equals the forward conv's. NCHW and non-float32 inputs go to wasm's kernel.
 * - BatchMatMul (matMul gradients ask for aᵀ·b and a·bᵀ): wasm only reaches XNNPACK for untransposed
 *   operands with a batch of 1, and runs a naive loop otherwise (10–40× slower). When b's batch is 1,
 *   transposed operands are materialised with Transpose and a's batch is folded into its rows
 *   ([1, batch·M, K]), then wasm's own kernel runs untransposed. A batched b goes to wasm's kernel as is.
 * - MaxPoolGrad: wasm's gives wrong gradients for some strided pools (k2 s2 'valid' on 8×8: 86% off;
 *   k3 s2 'same' on 7×7: 28% off; checked by finite differences, cpu is right). Replaced by a JS loop over
 *   the wasm heap: each output's dy goes to the first maximum of its window, as on cpu.
 *
 * Only channels-last (NHWC) data is supported by the added kernels, like the wasm forward convs; other
 * settings throw an Error naming the attribute.
 */
import * as tf from '@tensorflow/tfjs';

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
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** wasm's own kernel functions for the kernels this module replaces (so helpers never call a wrapper). */
const natives = new Map<string, tf.KernelFunc>();

/** Runs backend kernels and remembers their outputs so they can be released together. */
class Scratch {
  private readonly made: TensorInfo[] = [];
  constructor(readonly backend: WasmBackendLike) {}

  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: Attrs = {}): TensorInfo {
    const kernelFunc = natives.get(kernelName) ?? tf.getKernel(kernelName, BACKEND)?.kernelFunc;
    if (kernelFunc == null)
      throw new Error(`wasm training kernels: the wasm backend has no '${kernelName}' kernel.`);
    const out = kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out))
      throw new Error(`wasm training kernels: '${kernelName}' returned several outputs.`);
    return this.track(out);
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
  }
}

/** Runs `body` with a scratch area; intermediates are freed whether it returns or throws. */
function withScratch(backend: unknown, body: (s: Scratch) => TensorInfo): TensorInfo {
  const s = new Scratch(backend as WasmBackendLike);
  let result: TensorInfo | undefined;
  try {
    result = body(s);
    return result;
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
    const xT = s.run('Transpose', { x }, { perm: [3, 1, 2, 0] });
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

// ---------------------------------------------------------------------------------------------------
// BatchMatMul (wraps wasm's own: only the untransposed, batch-1 case reaches XNNPACK)
// ---------------------------------------------------------------------------------------------------

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
  const plain = !transposeA && !transposeB && batchA === 1;
  // A batched b has no fast path in wasm; mismatched inner sizes are left to the native kernel's error.
  const innerA = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const innerB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  if (plain || batchB !== 1 || aRank < 2 || bRank < 2 || innerA !== innerB || a.dtype !== 'float32') {
    return callNative(a, b, transposeA, transposeB, args.backend);
  }
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const k = innerA;
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  const outShape = [
    ...tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)),
    m,
    n,
  ];
  return withScratch(args.backend, (s) => {
    // a → [1, batchA·M, K] (all of a's batch shares b), b → [1, K, N], both materialised untransposed.
    let a3 = s.run('Reshape', { x: a }, { shape: transposeA ? [batchA, k, m] : [1, batchA * m, k] });
    if (transposeA) {
      const t = s.run('Transpose', { x: a3 }, { perm: [0, 2, 1] });
      a3 = s.run('Reshape', { x: t }, { shape: [1, batchA * m, k] });
    }
    let b3 = s.run('Reshape', { x: b }, { shape: transposeB ? [1, n, k] : [1, k, n] });
    if (transposeB) b3 = s.run('Transpose', { x: b3 }, { perm: [0, 2, 1] });
    const out = callNative(a3, b3, false, false, s.backend);
    s.track(out);
    return s.run('Reshape', { x: out }, { shape: outShape });
  });
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
  'BatchMatMul',
  'MaxPoolGrad',
];
const REPLACEMENTS: Record<string, (args: KernelArgs, native: tf.KernelFunc) => TensorInfo> = {
  Conv2DBackpropInput: conv2DBackpropInputFast,
  BatchMatMul: batchMatMulFast,
  MaxPoolGrad: maxPoolGradJs,
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
   * Also replace wasm's own Conv2DBackpropInput and BatchMatMul (slow in training) and MaxPoolGrad (wrong
   * for some strided windows) — default true. Needs '@tensorflow/tfjs-backend-wasm' imported first (its
   * kernels are what gets wrapped). `false` restores wasm's own kernels if an earlier call wrapped them.
   */
  replaceNativeKernels?: boolean;
}

/**
 * Registers the missing gradient kernels for the 'wasm' backend and, by default, replaces wasm's
 * Conv2DBackpropInput, BatchMatMul and MaxPoolGrad. Call it after importing '@tensorflow/tfjs-backend-wasm'
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
