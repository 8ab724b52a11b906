/**
 * The global SSM `T⁻¹(W ⊙ T(x))` (HeraclesSpectralFilter) and the Heracles mixer (local depthwise conv on
 * one channel half, global SSM on the other, interleaved). As in runtime/spectral/transform.ts, every
 * transform is a MatMul with a constant matrix from runtime/spectral/matrices.ts (orthonormal scaling) —
 * never an FFT op — so the file runs on any ONNX runtime and matches tfjs to float32 round-off.
 *
 * Channels-last tensors: a matrix M [N', N] multiplies axis W of x [B,H,W,C] as `MatMul(M, x)` (MatMul
 * contracts the last-but-one axis and broadcasts M over B and H); axis H is reached by viewing x as
 * [B, H, W·C]. Sequences [B,L,C] are 1-row images: only the L step remains.
 *
 *   dht2d  Y = CAS_H·X·C_W + (C_H − S_H)·X·S_W   (true 2-D DHT, self-inverse; H = 1: Y = X·CAS_L)
 *   dct    Y = D_H·X·D_Wᵀ, inverse X = D_Hᵀ·Y·D_W
 *   dht1d  Y = X·CAS_W (each row alone), self-inverse
 */
import type { SpectralTransform } from '../../../spectral/transform';
import { casMatrix, cosMatrix, dctMatrix, sinMatrix } from '../../../spectral/matrices';
import type { OnnxBuilder } from '../builder';
import type { LayerContext, LayerRule } from '../context';
import { depthwiseFrom } from './conv';

type Matrix = 'cas' | 'cos' | 'sin' | 'cos-sin' | 'dct' | 'dctT';

/** The N×N constant `kind`, stored once per file, row-major with entry [k, n] = M[k, n]. */
function matrix(b: OnnxBuilder, kind: Matrix, n: number): string {
  return b.sharedFloat(`spectral/${kind}/${n}`, [n, n], () => {
    switch (kind) {
      case 'cas':
        return casMatrix(n);
      case 'cos':
        return cosMatrix(n);
      case 'sin':
        return sinMatrix(n);
      case 'cos-sin': {
        const c = cosMatrix(n);
        const s = sinMatrix(n);
        return c.map((v, i) => v - s[i]);
      }
      case 'dct':
        return dctMatrix(n);
      case 'dctT': {
        const d = dctMatrix(n);
        return d.map((_, i) => d[(i % n) * n + Math.floor(i / n)]);
      }
    }
  });
}

/** Token grid of a channels-last shape without batch: images [H,W,C], sequences [L,C] as H = 1. */
function grid(shape: number[]): { h: number; w: number; c: number; seq: boolean } {
  return shape.length === 3
    ? { h: shape[0], w: shape[1], c: shape[2], seq: false }
    : { h: 1, w: shape[0], c: shape[1], seq: true };
}

/** Applies M along axis H of an image x [B,H,W,C]. */
function alongH(b: OnnxBuilder, m: string, x: string, g: { h: number; w: number; c: number }): string {
  return b.op1('MatMul', [m, b.reshape(x, [0, g.h, g.w * g.c])]);
}

const backToGrid = (b: OnnxBuilder, x: string, g: { h: number; w: number; c: number }): string =>
  b.reshape(x, [0, g.h, g.w, g.c]);

function transform(
  b: OnnxBuilder,
  x: string,
  shape: number[],
  t: SpectralTransform,
  inverse: boolean,
): string {
  const g = grid(shape);
  const alongW = (kind: Matrix, v: string) => b.op1('MatMul', [matrix(b, kind, g.w), v]);
  const twoD = !g.seq && g.h > 1; // a 1-row image has the identity as its H-step matrix
  switch (t) {
    case 'dht1d':
      return alongW('cas', x);
    case 'dht2d': {
      if (!twoD) return alongW('cas', x);
      const p = alongH(b, matrix(b, 'cas', g.h), alongW('cos', x), g);
      const q = alongH(b, matrix(b, 'cos-sin', g.h), alongW('sin', x), g);
      return backToGrid(b, b.op1('Add', [p, q]), g);
    }
    case 'dct': {
      if (!inverse) {
        const y = alongW('dct', x);
        return twoD ? backToGrid(b, alongH(b, matrix(b, 'dct', g.h), y, g), g) : y;
      }
      const y = twoD ? backToGrid(b, alongH(b, matrix(b, 'dctT', g.h), x, g), g) : x;
      return alongW('dctT', y);
    }
  }
}

/** T⁻¹(W ⊙ T(x)) with the layer's weight `weightName`, shaped like the tokens. */
function spectralFilter(ctx: LayerContext, x: string, shape: number[], weightName: string): string {
  const t = ctx.config.transform as SpectralTransform;
  if (!['dht2d', 'dct', 'dht1d'].includes(t))
    ctx.fail(`has the transform "${String(t)}"`, 'expected dht2d, dct or dht1d');
  const { b } = ctx;
  const filtered = b.op1('Mul', [transform(b, x, shape, t, false), ctx.init(weightName)]);
  return transform(b, filtered, shape, t, true);
}

const filterRule: LayerRule = (ctx) => spectralFilter(ctx, ctx.inputs[0], ctx.inShape(), 'weight');

/**
 * HeraclesMixer: split channels in half, depthwise conv on the first, spectral filter on the second,
 * interleave (channel 2i from the conv, 2i+1 from the filter) by stacking on a new last axis.
 */
const mixerRule: LayerRule = (ctx) => {
  const { b } = ctx;
  const shape = ctx.inShape();
  const c = shape[shape.length - 1];
  const half = c / 2;
  const halfShape = [...shape.slice(0, -1), half];
  const [local, global] = b.split(ctx.inputs[0], -1, [half, half]);
  const y1 = depthwiseFrom(ctx, local, halfShape, 'local_kernel', 'local_bias');
  const y2 = spectralFilter(ctx, global, halfShape, 'spectral_weight');
  const last = b.ints([-1]);
  const pairs = b.op1('Concat', [b.op1('Unsqueeze', [y1, last]), b.op1('Unsqueeze', [y2, last])], {
    axis: -1,
  });
  return b.reshape(pairs, [0, ...shape]);
};

export const SPECTRAL_RULES: Record<string, LayerRule> = {
  HeraclesSpectralFilter: filterRule,
  HeraclesMixer: mixerRule,
};
