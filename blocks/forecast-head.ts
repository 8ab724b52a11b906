import * as tf from '@tensorflow/tfjs';
import { apply1, linearInit } from './common';
import { BlockError, defineBlock, product } from './types';

export default defineBlock({
  type: 'ForecastHead',
  displayName: 'Forecast Head',
  category: 'head',
  summary: 'Flattens the tokens and predicts the next *horizon* steps of every series.',
  docs: `Produces the forecast [horizon, channels]. For channel-independent tokens [C, P, D] each series' P·D features are mapped to its own *horizon* values with one shared linear layer (PatchTST's flatten head), so the channel count comes from the input. For mixed tokens [P, D] (or a vector) all features are mapped to horizon × *Channels* values.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any', axes: '[C, P, D], [P, D] or [N]' }],
  outputs: [{ name: 'out', kind: 'sequence', axes: '[T, C]' }],
  params: {
    horizon: {
      kind: 'int',
      label: 'Horizon',
      default: 96,
      min: 1,
      max: 100000,
      help: 'How many future steps to predict.',
    },
    channels: {
      kind: 'int',
      label: 'Channels',
      default: 7,
      min: 1,
      max: 100000,
      help: 'How many series to predict, for mixed tokens; channel-independent tokens [C, P, D] bring their own C.',
    },
  },
  inferShape([s], p) {
    if (s.length === 3) return [[p.horizon, s[0]]];
    if (s.length < 1) throw new BlockError('needs tokens or a vector');
    return [[p.horizon, p.channels]];
  },
  cost([s], p) {
    if (s.length === 3) {
      const f = s[1] * s[2];
      return { params: f * p.horizon + p.horizon, macs: s[0] * f * p.horizon };
    }
    const f = product(s);
    return { params: f * p.horizon * p.channels + p.horizon * p.channels, macs: f * p.horizon * p.channels };
  },
  build:
    (p, ctx) =>
    ([x]) => {
      const s = ctx.inputShapes[0];
      const n = (part: string) => `${ctx.name}/${part}`;
      if (s.length === 3) {
        const rows = apply1(tf.layers.reshape({ targetShape: [s[0], s[1] * s[2]], name: n('flatten') }), x);
        const y = apply1(
          tf.layers.dense({ units: p.horizon, kernelInitializer: linearInit(ctx, 'head'), name: n('head') }),
          rows,
        );
        return [apply1(tf.layers.permute({ dims: [2, 1], name: n('to_time') }), y)];
      }
      const flat = s.length === 1 ? x : apply1(tf.layers.flatten({ name: n('flatten') }), x);
      const y = apply1(
        tf.layers.dense({
          units: p.horizon * p.channels,
          kernelInitializer: linearInit(ctx, 'head'),
          name: n('head'),
        }),
        flat,
      );
      return [apply1(tf.layers.reshape({ targetShape: [p.horizon, p.channels], name: n('to_time') }), y)];
    },
});
