import { DepthwiseConv } from '../runtime/layers/depthwise-conv';
import {
  SAME_OUT,
  TOKENS_IN,
  apply1,
  channelsOf,
  kernelParam,
  requireTokens,
  rowsParam,
  tokensOf,
} from './common';
import { defineBlock } from './types';
import type { Shape } from './types';

export const localConvCost = (s: Shape, k: number, channels = channelsOf(s), rows = false) => {
  const taps = s.length === 3 && !rows ? k * k : k;
  return { params: taps * channels + channels, macs: tokensOf(s) * channels * taps };
};

export default defineBlock({
  type: 'LocalConvSSM',
  displayName: 'Local Conv SSM',
  category: 'mixer',
  summary: 'Local token mixing: a depthwise k×k (or k) convolution per channel.',
  docs: `The local state-space mixer of Heracles: each channel is convolved with its own small kernel (3×3 by default), so each token mixes with its immediate neighbours. It captures the fine detail that the global spectral filter blurs, and it is what gives the model a sense of position (Heracles has no positional embedding). On sequences it is a 1-D convolution of length *Kernel size*; with *Rows only* it runs along each row of channel-independent series [C, P, D].`,
  version: 1,
  inputs: [TOKENS_IN],
  outputs: [SAME_OUT],
  params: { kernelSize: kernelParam(3), rows: rowsParam },
  inferShape([s]) {
    requireTokens(s, 'Local Conv SSM');
    return [s];
  },
  cost: ([s], p) => localConvCost(s, p.kernelSize, channelsOf(s), p.rows),
  build:
    (p, ctx) =>
    ([x]) => [
      apply1(
        new DepthwiseConv({ kernelSize: p.kernelSize, rows: p.rows, name: ctx.name, seed: ctx.seed }),
        x,
      ),
    ],
});
