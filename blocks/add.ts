import * as tf from '@tensorflow/tfjs';
import { apply1 } from './common';
import { BlockError, defineBlock } from './types';

export default defineBlock({
  type: 'Add',
  displayName: 'Add',
  category: 'merge',
  summary: 'Adds tensors of the same shape — the residual connection.',
  docs: `Sums two or more inputs number by number. Connect a block's input and its output here to make a residual connection (x + f(x)), the trick that lets deep networks train. All inputs must have exactly the same shape.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any', doc: 'two or more tensors of one shape' }],
  variadicInput: true,
  outputs: [{ name: 'out', kind: 'same' }],
  params: {},
  inferShape(inputs) {
    if (inputs.length < 2)
      throw new BlockError(`needs at least 2 inputs, has ${inputs.length}`, 'connect another edge into it');
    const [first] = inputs;
    for (const s of inputs.slice(1))
      if (s.length !== first.length || s.some((d, i) => d !== first[i]))
        throw new BlockError(
          `cannot add [${first.join(', ')}] and [${s.join(', ')}]: shapes must match`,
          'insert a Dense or Downsample so both sides agree',
        );
    return [first];
  },
  cost: () => ({ params: 0, macs: 0 }),
  build: (_p, ctx) => (xs) => [apply1(tf.layers.add({ name: `${ctx.name}/add` }), xs)],
});
