import { DropPath } from '../runtime/layers/drop-path';
import { apply1 } from './common';
import { defineBlock } from './types';

export default defineBlock({
  type: 'DropPath',
  displayName: 'Drop Path',
  category: 'regularization',
  summary: 'Stochastic depth: while training, skips a whole residual branch for random samples.',
  docs: `Regularisation for residual networks: during training, for each sample, the branch is dropped entirely with probability *Rate* (so the residual connection carries the input alone). Heracles raises the rate linearly from 0 in the first block to *drop_path* in the last. Identity at inference.`,
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
      help: 'Probability of dropping the branch for a sample.',
    },
  },
  inferShape: ([s]) => [s],
  cost: () => ({ params: 0, macs: 0 }),
  build:
    (p, ctx) =>
    ([x]) => [apply1(new DropPath({ rate: p.rate, name: ctx.name, seed: ctx.seed }), x)],
});
