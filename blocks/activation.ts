import * as tf from '@tensorflow/tfjs';
import { apply1 } from './common';
import { defineBlock } from './types';

export default defineBlock({
  type: 'Activation',
  displayName: 'Activation',
  category: 'layer',
  summary: 'An elementwise nonlinearity: ReLU, GELU, Swish, tanh, sigmoid or softmax.',
  docs: `Applies a fixed function to every number. Without nonlinearities, stacked linear layers collapse into one. GELU is what Heracles uses inside its FFNs; ReLU in its stem. Softmax turns the last axis into probabilities.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any' }],
  outputs: [{ name: 'out', kind: 'same' }],
  params: {
    fn: {
      kind: 'enum',
      label: 'Function',
      default: 'gelu',
      options: ['relu', 'gelu', 'swish', 'tanh', 'sigmoid', 'softmax'],
      help: 'Which nonlinearity to apply.',
    },
  },
  inferShape: ([s]) => [s],
  cost: () => ({ params: 0, macs: 0 }),
  build:
    (p, ctx) =>
    ([x]) => [apply1(tf.layers.activation({ activation: p.fn as 'relu', name: `${ctx.name}/act` }), x)],
});
