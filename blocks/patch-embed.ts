import * as tf from '@tensorflow/tfjs';
import { apply1, convInit, dimParam, epsParam, layerNorm } from './common';
import { BlockError, defineBlock } from './types';
import type { Shape } from './types';

type Mode = 'mixed' | 'channel-independent';

/** Output shape; throws when the patches do not fit. */
function patches(s: Shape, patch: number, stride: number, dim: number, mode: Mode): Shape {
  if (s.length === 3) {
    const [h, w] = s;
    if (h < patch || w < patch)
      throw new BlockError(
        `patch size ${patch} is larger than the image [${h}, ${w}]`,
        undefined,
        'patchSize',
      );
    return [Math.floor((h - patch) / stride) + 1, Math.floor((w - patch) / stride) + 1, dim];
  }
  if (s.length !== 2)
    throw new BlockError(`Patch Embed needs an image [H, W, C] or a sequence [L, C], got [${s.join(', ')}]`);
  const [l, c] = s;
  if (l < patch)
    throw new BlockError(
      `patch size ${patch} is longer than the sequence (${l} steps)`,
      undefined,
      'patchSize',
    );
  const n = Math.floor((l - patch) / stride) + 1;
  return mode === 'channel-independent' ? [c, n, dim] : [n, dim];
}

export default defineBlock({
  type: 'PatchEmbed',
  displayName: 'Patch Embed',
  category: 'embedding',
  summary: 'Cuts an image or a series into patches and maps each patch to a token.',
  docs: `Splits the input into patches of *Patch size* and projects each patch to *Channels* features with one learned linear map (a strided convolution).
- Images [H, W, C] → tokens [H/p, W/p, D].
- Sequences [L, C], *mixed*: all series of a patch make one token → [L/p, D].
- Sequences, *channel-independent* (PatchTST style): each series is patched on its own → [C, L/p, D]; later blocks treat each series' row separately when set to 1-D.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any', axes: '[H, W, C] or [L, C]' }],
  outputs: [{ name: 'out', kind: 'any', axes: '[H/p, W/p, D], [L/p, D] or [C, L/p, D]' }],
  params: {
    patchSize: {
      kind: 'int',
      label: 'Patch size',
      default: 4,
      min: 1,
      max: 1024,
      help: 'Side (images) or length (series) of one patch.',
    },
    stride: {
      kind: 'int',
      label: 'Stride',
      default: 0,
      min: 0,
      max: 1024,
      help: 'Step between patches; 0 = the patch size (no overlap).',
    },
    dim: dimParam(64),
    mode: {
      kind: 'enum',
      label: 'Series mode',
      default: 'mixed',
      options: ['mixed', 'channel-independent'],
      help: 'For sequences: mix all series into one token per patch, or keep each series separate (rows of [C, P, D]).',
    },
    norm: {
      kind: 'bool',
      label: 'LayerNorm',
      default: false,
      help: 'Normalise each token after the projection.',
    },
    epsilon: epsParam(1e-5),
  },
  inferShape: ([s], p) => [patches(s, p.patchSize, p.stride || p.patchSize, p.dim, p.mode as Mode)],
  cost([s], p) {
    const out = patches(s, p.patchSize, p.stride || p.patchSize, p.dim, p.mode as Mode);
    const tokens = out.slice(0, -1).reduce((a, b) => a * b, 1);
    const cin = s.length === 3 ? s[2] : p.mode === 'channel-independent' ? 1 : s[1];
    const k = s.length === 3 ? p.patchSize * p.patchSize : p.patchSize;
    return { params: k * cin * p.dim + p.dim + (p.norm ? 2 * p.dim : 0), macs: tokens * k * cin * p.dim };
  },
  build:
    (p, ctx) =>
    ([x]) => {
      const stride = p.stride || p.patchSize;
      const conv = (kernelSize: [number, number], strides: [number, number]) =>
        tf.layers.conv2d({
          filters: p.dim,
          kernelSize,
          strides,
          padding: 'valid',
          kernelInitializer: convInit(ctx, 'proj'),
          name: `${ctx.name}/proj`,
        });
      let y: tf.SymbolicTensor;
      const s = ctx.inputShapes[0];
      if (s.length === 3) y = apply1(conv([p.patchSize, p.patchSize], [stride, stride]), x);
      else if (p.mode === 'channel-independent') {
        // [L, C] → [C, L, 1] → conv (1 × p) → [C, P, D]
        const rows = apply1(tf.layers.permute({ dims: [2, 1], name: `${ctx.name}/by_series` }), x);
        const img = apply1(
          tf.layers.reshape({ targetShape: [s[1], s[0], 1], name: `${ctx.name}/as_rows` }),
          rows,
        );
        y = apply1(conv([1, p.patchSize], [1, stride]), img);
      } else {
        y = apply1(
          tf.layers.conv1d({
            filters: p.dim,
            kernelSize: p.patchSize,
            strides: stride,
            padding: 'valid',
            kernelInitializer: convInit(ctx, 'proj'),
            name: `${ctx.name}/proj`,
          }),
          x,
        );
      }
      return [p.norm ? apply1(layerNorm(ctx, 'norm', p.epsilon), y) : y];
    },
});
