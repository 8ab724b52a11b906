import { BatchNorm } from '../runtime/layers/batch-norm';
import { apply1, channelsOf, epsParam } from './common';
import { defineBlock } from './types';

export default defineBlock({
  type: 'BatchNorm',
  displayName: 'Batch Norm',
  category: 'normalization',
  summary: 'Normalises each channel with statistics of the batch (running averages at inference).',
  docs: `Standardises each channel using the mean and variance over the batch and all positions while training, and running averages of them at inference; then a learned scale and shift. Common after convolutions (the Heracles stem uses it).`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any', axes: '[..., C]' }],
  outputs: [{ name: 'out', kind: 'same' }],
  params: {
    epsilon: epsParam(1e-5),
    momentum: {
      kind: 'float',
      label: 'Momentum',
      default: 0.1,
      min: 0,
      max: 1,
      help: 'How fast the running statistics follow the batches (PyTorch convention: 0.1).',
    },
  },
  inferShape: ([s]) => [s],
  cost: ([s]) => ({ params: 2 * channelsOf(s), macs: 0 }),
  build:
    (p, ctx) =>
    ([x]) => [
      apply1(new BatchNorm({ momentum: 1 - p.momentum, epsilon: p.epsilon, name: `${ctx.name}/bn` }), x),
    ],
});
