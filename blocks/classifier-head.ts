import * as tf from '@tensorflow/tfjs';
import { apply1, channelsOf, epsParam, layerNorm, linearCost, linearInit } from './common';
import { defineBlock } from './types';

export default defineBlock({
  type: 'ClassifierHead',
  displayName: 'Classifier Head',
  category: 'head',
  summary: 'LayerNorm + Linear: turns a feature vector into one score per class.',
  docs: `The last step of a classifier: normalises the summary vector and maps it to *Classes* scores (logits). The highest score is the prediction; training turns the scores into probabilities with softmax. Image tokens are averaged first if they reach it unpooled.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any', axes: '[C] (or tokens, averaged)' }],
  outputs: [{ name: 'out', kind: 'vector', axes: '[classes]' }],
  params: {
    classes: {
      kind: 'int',
      label: 'Classes',
      default: 10,
      min: 2,
      max: 100000,
      help: 'How many classes to tell apart.',
    },
    norm: {
      kind: 'bool',
      label: 'LayerNorm',
      default: true,
      help: 'Normalise the features first (Heracles does).',
    },
    epsilon: epsParam(1e-6),
  },
  inferShape: (_s, p) => [[p.classes]],
  cost([s], p) {
    const c = channelsOf(s);
    const lin = linearCost(1, c, p.classes);
    return { params: (p.norm ? 2 * c : 0) + lin.params, macs: lin.macs };
  },
  build:
    (p, ctx) =>
    ([x]) => {
      const rank = ctx.inputShapes[0].length;
      let y = x;
      if (rank === 3) y = apply1(tf.layers.globalAveragePooling2d({ name: `${ctx.name}/pool` }), y);
      if (rank === 2) y = apply1(tf.layers.globalAveragePooling1d({ name: `${ctx.name}/pool` }), y);
      if (p.norm) y = apply1(layerNorm(ctx, 'norm', p.epsilon), y);
      return [
        apply1(
          tf.layers.dense({
            units: p.classes,
            kernelInitializer: linearInit(ctx, 'head'),
            name: `${ctx.name}/head`,
          }),
          y,
        ),
      ];
    },
});
