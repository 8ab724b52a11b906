import * as tf from '@tensorflow/tfjs';
import { apply1 } from './common';
import { defineBlock, product } from './types';

export default defineBlock({
  type: 'Flatten',
  displayName: 'Flatten',
  category: 'shape',
  summary: 'Lays all numbers of a sample out in one vector.',
  docs: `Turns tokens [H, W, C] or [L, C] into one long vector of H·W·C (or L·C) numbers, keeping their order. Useful before a Dense layer that should see everything at once.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any' }],
  outputs: [{ name: 'out', kind: 'vector', axes: '[N]' }],
  params: {},
  inferShape: ([s]) => [[product(s)]],
  cost: () => ({ params: 0, macs: 0 }),
  // tfjs's flatten layer refuses a vector (it needs rank ≥ 3 with the batch); a vector is already flat.
  build:
    (_p, ctx) =>
    ([x]) => [
      apply1(
        ctx.inputShapes[0].length > 1
          ? tf.layers.flatten({ name: `${ctx.name}/flatten` })
          : tf.layers.reshape({ targetShape: [product(ctx.inputShapes[0])], name: `${ctx.name}/flatten` }),
        x,
      ),
    ],
});
