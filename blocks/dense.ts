import * as tf from '@tensorflow/tfjs';
import { apply1, channelsOf, linearCost, linearInit, tokensOf } from './common';
import { defineBlock } from './types';

export default defineBlock({
  type: 'Dense',
  displayName: 'Dense (Linear)',
  category: 'layer',
  summary: 'A learned linear map of the last axis (y = xW + b), applied to every token.',
  docs: `Maps the C features of each token (or of a vector) to *Units* features with a learned weight matrix and bias. On tokens it acts on each token separately. Optionally followed by an activation.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any', axes: '[..., C]' }],
  outputs: [{ name: 'out', kind: 'same', axes: '[..., units]' }],
  params: {
    units: {
      kind: 'int',
      label: 'Units',
      default: 64,
      min: 1,
      max: 1_000_000,
      help: 'Number of output features.',
    },
    bias: { kind: 'bool', label: 'Bias', default: true, help: 'Add a learned offset.' },
    activation: {
      kind: 'enum',
      label: 'Activation',
      default: 'linear',
      options: ['linear', 'relu', 'gelu', 'swish', 'tanh', 'sigmoid'],
      help: 'Nonlinearity applied after the linear map ("linear" = none).',
    },
  },
  inferShape: ([s], p) => [[...s.slice(0, -1), p.units]],
  cost: ([s], p) => linearCost(tokensOf(s), channelsOf(s), p.units, p.bias),
  build:
    (p, ctx) =>
    ([x]) => [
      apply1(
        tf.layers.dense({
          units: p.units,
          useBias: p.bias,
          activation: p.activation as 'linear',
          kernelInitializer: linearInit(ctx, 'dense'),
          name: `${ctx.name}/dense`,
        }),
        x,
      ),
    ],
});
