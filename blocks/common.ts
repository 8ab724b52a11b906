/** Pieces shared by several block files: param specs, shape checks and cost formulas. */
import * as tf from '@tensorflow/tfjs';
import { seedFrom } from '../runtime/layers/ops';
import { LayerNorm } from '../runtime/layers/layer-norm';
import { ZeroPad1D } from '../runtime/layers/zero-pad-1d';
import { BlockError, product } from './types';
import type { BoolParam, BuildContext, EnumParam, FloatParam, IntParam, PortSpec, Shape } from './types';

export const TOKENS_IN: PortSpec = {
  name: 'in',
  kind: 'any',
  axes: '[H, W, C] or [L, C]',
  doc: 'image tokens or a sequence',
};
export const SAME_OUT: PortSpec = { name: 'out', kind: 'same', axes: 'same as input' };

export const dimParam = (def: number, label = 'Channels'): IntParam => ({
  kind: 'int',
  label,
  default: def,
  min: 1,
  max: 8192,
  help: 'Width of the features (channels) this block produces.',
});
export const epsParam = (def: number): FloatParam => ({
  kind: 'float',
  label: 'Epsilon',
  default: def,
  min: 1e-12,
  max: 0.1,
  help: 'Small number added to the variance so nothing divides by zero.',
});
export const kernelParam = (def = 3): IntParam => ({
  kind: 'int',
  label: 'Kernel size',
  default: def,
  min: 1,
  max: 31,
  help: 'How many neighbouring tokens (per side: (k−1)/2) the local convolution looks at. Odd sizes keep the grid centred.',
});
export const transformParam = (def: 'dht2d' | 'dct' | 'dht1d' = 'dht2d'): EnumParam => ({
  kind: 'enum',
  label: 'Transform',
  default: def,
  options: ['dht2d', 'dct', 'dht1d'],
  help: 'dht2d: the true 2-D Hartley transform (the paper). dct: the 2-D DCT-II (the released code). dht1d: Hartley along one axis only (sequences, or per-row for channel-independent series).',
});
export const rowsParam: BoolParam = {
  kind: 'bool',
  label: 'Rows only',
  default: false,
  help: 'For channel-independent series [C, P, D]: work along each row (one series) only, never across rows.',
};
export const headsParam = (def: number): IntParam => ({
  kind: 'int',
  label: 'Heads',
  default: def,
  min: 1,
  max: 256,
  help: 'Number of attention heads; channels must divide evenly by it (Heracles uses 32 channels per head).',
});

/** Requires image tokens or a sequence (rank 2 or 3). */
export function requireTokens(s: Shape, what: string): void {
  if (s.length !== 2 && s.length !== 3)
    throw new BlockError(
      `${what} needs image tokens [H, W, C] or a sequence [L, C], got [${s.join(', ')}]`,
      'connect it after an embedding (Conv Stem / Patch Embed), not after pooling',
    );
}
export const channelsOf = (s: Shape): number => s[s.length - 1];
export const tokensOf = (s: Shape): number => product(s.slice(0, -1));

/** Trainable params and MACs of a Linear(cin → cout) applied to `n` tokens. */
export const linearCost = (n: number, cin: number, cout: number, bias = true) => ({
  params: cin * cout + (bias ? cout : 0),
  macs: n * cin * cout,
});

/** A seed for part `part` of this block's layers (undefined = random init). */
export const seedOf = (ctx: BuildContext, part: string): number | undefined =>
  seedFrom(ctx.seed, `${ctx.name}/${part}`);

/** PyTorch's conv init: normal(0, sqrt(2 / fan_out)), fan_out = k·k·C_out / groups. */
export const convInit = (ctx: BuildContext, part: string) =>
  tf.initializers.varianceScaling({
    scale: 2,
    mode: 'fanOut',
    distribution: 'normal',
    seed: seedOf(ctx, part),
  });
export const linearInit = (ctx: BuildContext, part: string) =>
  tf.initializers.truncatedNormal({ stddev: 0.02, seed: seedOf(ctx, part) });

/** Output length of a PyTorch-style conv (explicit symmetric padding). */
export const convOut = (n: number, k: number, stride: number, pad: number): number =>
  Math.floor((n + 2 * pad - k) / stride) + 1;

/**
 * A conv with PyTorch's symmetric padding (zero-pad, then 'valid'), so exported PyTorch/ONNX models give the
 * same numbers; tfjs 'same' pads asymmetrically for strided convs, so it is used only where it is symmetric
 * (stride 1, odd kernel, half its width of padding: the stem's 3×3 convs; a step of the padded form and of
 * 'same' measured 10.4 → 7.9 ms for [64,14,14,16] → 16 channels, forward and both gradients, on wasm).
 */
export function torchConv2d(
  ctx: BuildContext,
  part: string,
  x: tf.SymbolicTensor,
  filters: number,
  kernel: number,
  stride: number,
  pad: number,
  useBias: boolean,
): tf.SymbolicTensor {
  // Stride 1 with an odd kernel and half its width of padding is 'same' in tfjs too (symmetric then),
  // which spares a padded copy of the input forward and a crop of its gradient backward.
  const same = stride === 1 && kernel % 2 === 1 && pad === (kernel - 1) / 2;
  let y = x;
  if (pad > 0 && !same)
    y = tf.layers
      .zeroPadding2d({ padding: pad, name: `${ctx.name}/${part}_pad` })
      .apply(y) as tf.SymbolicTensor;
  return tf.layers
    .conv2d({
      filters,
      kernelSize: kernel,
      strides: stride,
      padding: same ? 'same' : 'valid',
      useBias,
      kernelInitializer: convInit(ctx, part),
      name: `${ctx.name}/${part}`,
    })
    .apply(y) as tf.SymbolicTensor;
}

export function torchConv1d(
  ctx: BuildContext,
  part: string,
  x: tf.SymbolicTensor,
  filters: number,
  kernel: number,
  stride: number,
  pad: number,
  useBias: boolean,
): tf.SymbolicTensor {
  let y = x;
  if (pad > 0)
    y = new ZeroPad1D({ padding: pad, name: `${ctx.name}/${part}_pad` }).apply(y) as tf.SymbolicTensor;
  return tf.layers
    .conv1d({
      filters,
      kernelSize: kernel,
      strides: stride,
      padding: 'valid',
      useBias,
      kernelInitializer: convInit(ctx, part),
      name: `${ctx.name}/${part}`,
    })
    .apply(y) as tf.SymbolicTensor;
}

export const layerNorm = (ctx: BuildContext, part: string, epsilon: number) =>
  new LayerNorm({ epsilon, name: `${ctx.name}/${part}` });

export const apply1 = (
  layer: tf.layers.Layer,
  x: tf.SymbolicTensor | tf.SymbolicTensor[],
): tf.SymbolicTensor => layer.apply(x) as tf.SymbolicTensor;
