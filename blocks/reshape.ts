import * as tf from '@tensorflow/tfjs';
import { apply1 } from './common';
import { BlockError, defineBlock, product } from './types';

export default defineBlock({
  type: 'Reshape',
  displayName: 'Reshape',
  category: 'shape',
  summary: 'Rearranges the numbers of a sample into another shape with the same count.',
  docs: `Gives the same numbers a new shape, e.g. a vector of 784 into an image [28, 28, 1], or a forecast vector into [horizon, channels]. The total count must stay the same; one entry may be -1 to be worked out.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any' }],
  outputs: [{ name: 'out', kind: 'any' }],
  params: {
    targetShape: {
      kind: 'ints',
      label: 'Target shape',
      default: [-1],
      minLength: 1,
      maxLength: 3,
      min: -1,
      help: 'New shape without the batch; one entry may be -1.',
    },
  },
  inferShape([s], p) {
    const t = p.targetShape;
    const free = t.filter((d) => d === -1).length;
    if (free > 1 || t.some((d) => d === 0))
      throw new BlockError('at most one entry may be -1, and none may be 0', undefined, 'targetShape');
    const total = product(s);
    const known = product(t.filter((d) => d !== -1));
    if (free === 1 ? total % known !== 0 : known !== total)
      throw new BlockError(
        `cannot reshape ${total} numbers [${s.join(', ')}] into [${t.join(', ')}]`,
        `the product of the target must be ${total}`,
        'targetShape',
      );
    return [t.map((d) => (d === -1 ? total / known : d))];
  },
  cost: () => ({ params: 0, macs: 0 }),
  build:
    (p, ctx) =>
    ([x]) => {
      // tfjs leaves a -1 entry unknown (null) in the symbolic shape, which breaks layers that size their
      // weights from it (Hartley SSM, convs); give it the size inferShape works out.
      const total = product(ctx.inputShapes[0]);
      const t = p.targetShape as number[];
      const known = product(t.filter((d) => d !== -1));
      const targetShape = t.map((d) => (d === -1 ? total / known : d));
      return [apply1(tf.layers.reshape({ targetShape, name: `${ctx.name}/reshape` }), x)];
    },
});
