import * as tf from '@tensorflow/tfjs';
import { apply1, channelsOf, requireTokens } from './common';
import { defineBlock } from './types';

export default defineBlock({
  type: 'GlobalPool',
  displayName: 'Global Pool',
  category: 'shape',
  summary: 'Averages (or takes the maximum of) all tokens: [H, W, C] or [L, C] → [C].',
  docs: `Collapses all tokens into one vector by averaging each channel over all positions (or taking its maximum). A simple way to get from tokens to a classifier.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any', axes: '[H, W, C] or [L, C]' }],
  outputs: [{ name: 'out', kind: 'vector', axes: '[C]' }],
  params: {
    mode: {
      kind: 'enum',
      label: 'Mode',
      default: 'avg',
      options: ['avg', 'max'],
      help: 'Average or maximum over the tokens.',
    },
  },
  inferShape([s]) {
    requireTokens(s, 'Global Pool');
    return [[channelsOf(s)]];
  },
  cost: () => ({ params: 0, macs: 0 }),
  build:
    (p, ctx) =>
    ([x]) => {
      const rank = ctx.inputShapes[0].length;
      const name = `${ctx.name}/pool`;
      const layer =
        rank === 3
          ? p.mode === 'avg'
            ? tf.layers.globalAveragePooling2d({ name })
            : tf.layers.globalMaxPooling2d({ name })
          : p.mode === 'avg'
            ? tf.layers.globalAveragePooling1d({ name })
            : tf.layers.globalMaxPooling1d({ name });
      return [apply1(layer, x)];
    },
});
