import * as tf from '@tensorflow/tfjs';
import { apply1 } from './common';
import { BlockError, defineBlock } from './types';

export default defineBlock({
  type: 'Concat',
  displayName: 'Concat',
  category: 'merge',
  summary: 'Joins tensors along the channel axis.',
  docs: `Stacks the channels of two or more inputs side by side: [H, W, 32] and [H, W, 32] become [H, W, 64]. All other sizes must match.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any', doc: 'two or more tensors' }],
  variadicInput: true,
  outputs: [{ name: 'out', kind: 'same' }],
  params: {},
  inferShape(inputs) {
    if (inputs.length < 2)
      throw new BlockError(`needs at least 2 inputs, has ${inputs.length}`, 'connect another edge into it');
    const [first] = inputs;
    let c = 0;
    for (const s of inputs) {
      if (s.length !== first.length || s.slice(0, -1).some((d, i) => d !== first[i]))
        throw new BlockError(
          `cannot join [${first.join(', ')}] and [${s.join(', ')}]: all but the last size must match`,
        );
      c += s[s.length - 1];
    }
    return [[...first.slice(0, -1), c]];
  },
  cost: () => ({ params: 0, macs: 0 }),
  build: (_p, ctx) => (xs) => [apply1(tf.layers.concatenate({ axis: -1, name: `${ctx.name}/concat` }), xs)],
});
