import * as tf from '@tensorflow/tfjs';
import { apply1, seedOf } from './common';
import { defineBlock } from './types';

export default defineBlock({
  type: 'Dropout',
  displayName: 'Dropout',
  category: 'regularization',
  summary: 'While training, zeroes a random fraction of the numbers; does nothing at inference.',
  docs: `Regularisation: during training each number is set to zero with probability *Rate* (the rest are scaled up to compensate), so the model cannot rely on any single feature. At inference it passes everything through unchanged.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any' }],
  outputs: [{ name: 'out', kind: 'same' }],
  params: {
    rate: {
      kind: 'float',
      label: 'Rate',
      default: 0.1,
      min: 0,
      max: 0.95,
      help: 'Probability of dropping each number.',
    },
  },
  inferShape: ([s]) => [s],
  cost: () => ({ params: 0, macs: 0 }),
  build:
    (p, ctx) =>
    ([x]) => [
      apply1(
        tf.layers.dropout({ rate: p.rate, seed: seedOf(ctx, 'dropout'), name: `${ctx.name}/dropout` }),
        x,
      ),
    ],
});
