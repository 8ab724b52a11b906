import {
  apply1,
  channelsOf,
  convOut,
  dimParam,
  epsParam,
  layerNorm,
  requireTokens,
  torchConv1d,
  torchConv2d,
} from './common';
import { defineBlock } from './types';
import type { Shape } from './types';

const outShape = (s: Shape, dim: number): Shape =>
  s.length === 3 ? [convOut(s[0], 3, 2, 1), convOut(s[1], 3, 2, 1), dim] : [convOut(s[0], 3, 2, 1), dim];

export default defineBlock({
  type: 'Downsample',
  displayName: 'Downsample',
  category: 'embedding',
  summary: 'Halves the token grid and changes the channel count: LN → conv 3×3 stride 2 → LN.',
  docs: `Sits between Heracles stages: a LayerNorm, a 3×3 convolution with stride 2 (so 56×56 tokens become 28×28) that maps C to *Channels* features, and another LayerNorm. Fewer, wider tokens make the deeper stages cheaper — and make attention affordable. On sequences it halves the length with a 1-D convolution of size 3.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any', axes: '[H, W, C] or [L, C]' }],
  outputs: [{ name: 'out', kind: 'same', axes: '[H/2, W/2, D] or [L/2, D]' }],
  params: {
    dim: dimParam(128, 'Output channels'),
    preNorm: {
      kind: 'bool',
      label: 'Norm before',
      default: true,
      help: 'LayerNorm the input before the convolution (Heracles does).',
    },
    epsilon: epsParam(1e-5),
  },
  inferShape([s], p) {
    requireTokens(s, 'Downsample');
    return [outShape(s, p.dim)];
  },
  cost([s], p) {
    const c = channelsOf(s);
    const out = outShape(s, p.dim);
    const taps = s.length === 3 ? 9 : 3;
    const n = out.slice(0, -1).reduce((a, b) => a * b, 1);
    return {
      params: (p.preNorm ? 2 * c : 0) + taps * c * p.dim + p.dim + 2 * p.dim,
      macs: n * taps * c * p.dim,
    };
  },
  build:
    (p, ctx) =>
    ([x]) => {
      const y = p.preNorm ? apply1(layerNorm(ctx, 'pre_norm', p.epsilon), x) : x;
      const conv = ctx.inputShapes[0].length === 3 ? torchConv2d : torchConv1d;
      return [apply1(layerNorm(ctx, 'norm', p.epsilon), conv(ctx, 'conv', y, p.dim, 3, 2, 1, true))];
    },
});
