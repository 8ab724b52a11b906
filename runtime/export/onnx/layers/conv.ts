/**
 * Convolutions: tfjs Conv2D / Conv1D and our depthwise conv. ONNX `Conv` is channels-first, our tensors
 * are channels-last, so each conv sits between a Transpose to channels-first and one back, and kernels
 * are re-laid out once, at export:
 *   Conv2D     [kh, kw, in, out] → [out, in, kh, kw]
 *   Conv1D     [k, in, out]      → [out, in, k]
 *   depthwise  [kh, kw, C, 1]    → [C, 1, kh, kw]  (group = C; sequences: [C, 1, k])
 */
import type { LayerContext, LayerRule } from '../context';
import { activation } from './activations';

/** Transposes a row-major weight: axis d of the result is axis perm[d] of the input. */
function relayout(values: Float32Array, shape: number[], perm: number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(values.length);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < idx.length; d++) src += idx[d] * strides[perm[d]];
    out[o] = values[src];
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Begin/end padding of one spatial axis for tfjs `valid` / `same` (TF's rule: the odd one at the end). */
function padsFor(
  ctx: LayerContext,
  size: number,
  k: number,
  stride: number,
  dilation: number,
): [number, number] {
  const padding = ctx.config.padding ?? 'valid';
  const span = (k - 1) * dilation + 1;
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') {
    const total = Math.max((Math.ceil(size / stride) - 1) * stride + span - size, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  return ctx.fail(`has padding "${String(padding)}"`);
}

/** Channels-last x → Transpose → Conv → Transpose back (+ the layer's activation). */
function convNd(
  ctx: LayerContext,
  spatial: number,
  weight: string,
  bias: string | undefined,
  attrs: { kernel: number[]; strides: number[]; dilations: number[]; group?: number },
): string {
  const { b } = ctx;
  const inShape = ctx.inShape();
  const toFirst = [0, spatial + 1, ...Array.from({ length: spatial }, (_, i) => i + 1)];
  const toLast = [0, ...Array.from({ length: spatial }, (_, i) => i + 2), 1];
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < spatial; i++) {
    const [p0, p1] = padsFor(ctx, inShape[i], attrs.kernel[i], attrs.strides[i], attrs.dilations[i]);
    begin.push(p0);
    end.push(p1);
  }
  const y = b.op1('Conv', [b.transpose(ctx.inputs[0], toFirst), weight, ...(bias ? [bias] : [])], {
    kernel_shape: attrs.kernel,
    strides: attrs.strides,
    dilations: attrs.dilations,
    pads: [...begin, ...end],
    group: attrs.group ?? 1,
  });
  return activation(ctx, ctx.config.activation)(b, b.transpose(y, toLast));
}

const asList = (v: unknown, n: number): number[] =>
  Array.isArray(v) ? (v as number[]) : Array(n).fill(v ?? 1);

function tfConv(spatial: 1 | 2): LayerRule {
  return (ctx) => {
    if (ctx.config.dataFormat !== undefined && ctx.config.dataFormat !== 'channelsLast')
      ctx.fail(
        `has dataFormat "${String(ctx.config.dataFormat)}"`,
        'the exporter expects channels-last tensors',
      );
    const k = ctx.w('kernel');
    const perm = spatial === 2 ? [3, 2, 0, 1] : [2, 1, 0];
    const weight = ctx.init(
      'kernel',
      perm.map((p) => k.shape[p]),
      relayout(k.values, k.shape, perm),
    );
    const bias = ctx.config.useBias === false ? undefined : ctx.init('bias');
    return convNd(ctx, spatial, weight, bias, {
      kernel: k.shape.slice(0, spatial),
      strides: asList(ctx.config.strides, spatial),
      dilations: asList(ctx.config.dilationRate, spatial),
    });
  };
}

/**
 * Our depthwise conv ('same' padding, stride 1, bias) on images `[B,H,W,C]` or sequences `[B,L,C]`, from
 * the layer's weights `kernelName` / `biasName` (HeraclesDepthwiseConv, and HeraclesMixer's local branch).
 * tfjs pads 'same' with the odd one at the end: floor((k − 1)/2) before.
 */
export function depthwiseFrom(
  ctx: LayerContext,
  x: string,
  inShape: number[],
  kernelName: string,
  biasName: string,
): string {
  const { b } = ctx;
  const k = ctx.w(kernelName);
  const [kh, kw, c] = k.shape;
  const seq = inShape.length === 2;
  const weight = ctx.init(
    kernelName,
    seq ? [c, 1, kw] : [c, 1, kh, kw],
    relayout(k.values, k.shape, [2, 3, 0, 1]),
  );
  const kernel = seq ? [kw] : [kh, kw];
  const pads = kernel.map((n) => Math.floor((n - 1) / 2));
  const ends = kernel.map((n, i) => n - 1 - pads[i]);
  const toFirst = seq ? [0, 2, 1] : [0, 3, 1, 2];
  const toLast = seq ? [0, 2, 1] : [0, 2, 3, 1];
  const y = b.op1('Conv', [b.transpose(x, toFirst), weight, ctx.init(biasName)], {
    kernel_shape: kernel,
    strides: kernel.map(() => 1),
    dilations: kernel.map(() => 1),
    pads: [...pads, ...ends],
    group: c,
  });
  return b.transpose(y, toLast);
}

export const CONV_RULES: Record<string, LayerRule> = {
  Conv2D: tfConv(2),
  Conv1D: tfConv(1),
  HeraclesDepthwiseConv: (ctx) => depthwiseFrom(ctx, ctx.inputs[0], ctx.inShape(), 'kernel', 'bias'),
};
