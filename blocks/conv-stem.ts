import * as tf from '@tensorflow/tfjs';
import { BatchNorm } from '../runtime/layers/batch-norm';
import { apply1, convOut, dimParam, epsParam, layerNorm, torchConv2d } from './common';
import { BlockError, defineBlock } from './types';

/**
 * Layer plan of the stem: [kernel, stride, pad, bias, out] per conv. With stride 2 either the first conv
 * strides (as the stride-4 stem does first) or the last one (the inner convs see the full image).
 */
function plan(width: number, dim: number, stride: number, at: 'first' | 'last' = 'first') {
  const s1 = stride >= 4 || (stride === 2 && at === 'first') ? 2 : 1;
  const s4 = stride >= 4 || (stride === 2 && at === 'last') ? 2 : 1;
  return [
    { k: 7, s: s1, pad: 3, bias: false, out: width },
    { k: 3, s: 1, pad: 1, bias: false, out: width },
    { k: 3, s: 1, pad: 1, bias: false, out: width },
    { k: 3, s: s4, pad: 1, bias: true, out: dim },
  ];
}

export default defineBlock({
  type: 'ConvStem',
  displayName: 'Conv Stem',
  category: 'embedding',
  summary: 'The Heracles stem: four convolutions turn pixels into a grid of tokens (stride 4).',
  docs: `Turns an image into tokens, as the released Heracles does: conv 7×7 stride 2 (no bias) → BatchNorm → ReLU → conv 3×3 → BN → ReLU → conv 3×3 → BN → ReLU → conv 3×3 stride 2 → LayerNorm. A 224×224 image becomes a 56×56 grid of tokens with *Channels* features each. For small images (28×28) use *Stride* 2 so the grid stays 14×14, and *Stride 2 at* last to let the inner convolutions see the full image.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'image', axes: '[H, W, C]' }],
  outputs: [{ name: 'out', kind: 'image', axes: '[H/4, W/4, D]' }],
  params: {
    dim: dimParam(64, 'Output channels'),
    width: {
      ...dimParam(32, 'Stem width'),
      help: 'Channels of the three inner convolutions (32 for Heracles-S, 64 for B and L).',
    },
    stride: {
      kind: 'int',
      label: 'Stride',
      default: 4,
      min: 1,
      max: 4,
      help: 'Total downsampling: 4 (the paper, 224 → 56), 2 (small images) or 1.',
    },
    downsampleAt: {
      kind: 'enum',
      label: 'Stride 2 at',
      default: 'first',
      options: ['first', 'last'],
      help: 'With stride 2: which conv halves the image. first: the 7×7 one (cheapest). last: the final 3×3 one, so the inner convs see the full image (about 3× the stem cost; better on 28×28 images).',
    },
    epsilon: epsParam(1e-5),
  },
  checkParams(p) {
    if (![1, 2, 4].includes(p.stride))
      throw new BlockError(`stride must be 1, 2 or 4, got ${p.stride}`, undefined, 'stride');
  },
  inferShape([s], p) {
    let [h, w] = s;
    for (const c of plan(p.width, p.dim, p.stride, p.downsampleAt as 'first' | 'last')) {
      h = convOut(h, c.k, c.s, c.pad);
      w = convOut(w, c.k, c.s, c.pad);
    }
    if (h < 1 || w < 1)
      throw new BlockError(
        `the image [${s.join(', ')}] is too small for this stem`,
        'use a larger input or a smaller stride',
      );
    return [[h, w, p.dim]];
  },
  cost([s], p) {
    let [h, w, cin] = s;
    let params = 0;
    let macs = 0;
    plan(p.width, p.dim, p.stride, p.downsampleAt as 'first' | 'last').forEach((c, i) => {
      h = convOut(h, c.k, c.s, c.pad);
      w = convOut(w, c.k, c.s, c.pad);
      params += c.k * c.k * cin * c.out + (c.bias ? c.out : 0) + (i < 3 ? 2 * c.out : 2 * c.out); // BN or final LN
      macs += h * w * c.out * c.k * c.k * cin;
      cin = c.out;
    });
    return { params, macs };
  },
  build:
    (p, ctx) =>
    ([x]) => {
      let y = x;
      plan(p.width, p.dim, p.stride, p.downsampleAt as 'first' | 'last').forEach((c, i) => {
        y = torchConv2d(ctx, `conv${i}`, y, c.out, c.k, c.s, c.pad, c.bias);
        if (i < 3) {
          y = apply1(new BatchNorm({ momentum: 0.9, epsilon: 1e-5, name: `${ctx.name}/bn${i}` }), y);
          y = apply1(tf.layers.reLU({ name: `${ctx.name}/relu${i}` }), y);
        }
      });
      return [apply1(layerNorm(ctx, 'norm', p.epsilon), y)];
    },
});
