import * as tf from '@tensorflow/tfjs';
import { DepthwiseConv } from '../runtime/layers/depthwise-conv';
import {
  SAME_OUT,
  TOKENS_IN,
  apply1,
  channelsOf,
  kernelParam,
  linearCost,
  linearInit,
  requireTokens,
  rowsParam,
  tokensOf,
} from './common';
import { localConvCost } from './local-conv-ssm';
import { defineBlock } from './types';

export default defineBlock({
  type: 'FFN',
  displayName: 'Feed-Forward (FFN)',
  category: 'layer',
  summary: 'Linear → depthwise conv → GELU → Linear: per-token processing with a little local context.',
  docs: `The feed-forward part of every Heracles block. Each token is widened to *MLP ratio* × C features, mixed with its neighbours by a depthwise convolution, passed through GELU and projected back to C. The widening is where most of the model's parameters live (ratios 8, 8, 4, 4 across the four stages).`,
  version: 1,
  inputs: [TOKENS_IN],
  outputs: [SAME_OUT],
  params: {
    mlpRatio: {
      kind: 'float',
      label: 'MLP ratio',
      default: 4,
      min: 0.25,
      max: 16,
      help: 'Hidden width as a multiple of the channels.',
    },
    depthwise: {
      kind: 'bool',
      label: 'Depthwise conv',
      default: true,
      help: 'Mix neighbouring tokens inside the FFN (Heracles does).',
    },
    kernelSize: kernelParam(3),
    rows: rowsParam,
  },
  inferShape([s]) {
    requireTokens(s, 'FFN');
    return [s];
  },
  cost([s], p) {
    const c = channelsOf(s);
    const h = Math.round(c * p.mlpRatio);
    const n = tokensOf(s);
    const fc1 = linearCost(n, c, h);
    const fc2 = linearCost(n, h, c);
    const dw = p.depthwise
      ? localConvCost([...s.slice(0, -1), h], p.kernelSize, h, p.rows)
      : { params: 0, macs: 0 };
    return { params: fc1.params + dw.params + fc2.params, macs: fc1.macs + dw.macs + fc2.macs };
  },
  build:
    (p, ctx) =>
    ([x]) => {
      const c = channelsOf(ctx.inputShapes[0]);
      const h = Math.round(c * p.mlpRatio);
      let y = apply1(
        tf.layers.dense({ units: h, kernelInitializer: linearInit(ctx, 'fc1'), name: `${ctx.name}/fc1` }),
        x,
      );
      if (p.depthwise)
        y = apply1(
          new DepthwiseConv({
            kernelSize: p.kernelSize,
            rows: p.rows,
            name: `${ctx.name}/dwconv`,
            seed: ctx.seed,
          }),
          y,
        );
      y = apply1(tf.layers.activation({ activation: 'gelu', name: `${ctx.name}/gelu` }), y);
      return [
        apply1(
          tf.layers.dense({ units: c, kernelInitializer: linearInit(ctx, 'fc2'), name: `${ctx.name}/fc2` }),
          y,
        ),
      ];
    },
});
