import { RevINDenorm } from '../runtime/layers/revin';
import { apply1, epsParam } from './common';
import { BlockError, defineBlock } from './types';

export default defineBlock({
  type: 'RevINDenorm',
  displayName: 'RevIN Denorm',
  category: 'normalization',
  summary: "Maps a forecast back to the input window's scale (the inverse of RevIN).",
  docs: `Takes the forecast [T, C] and the model's original input window [L, C] (connect the Input block to *reference*), recomputes each series' mean and spread from the input, and applies them to the forecast. Use the same epsilon as the RevIN block.`,
  version: 1,
  inputs: [
    { name: 'in', kind: 'sequence', axes: '[T, C]', doc: 'the normalised forecast' },
    { name: 'reference', kind: 'sequence', axes: '[L, C]', doc: 'the original input window' },
  ],
  outputs: [{ name: 'out', kind: 'sequence', axes: '[T, C]' }],
  params: { epsilon: epsParam(1e-5) },
  inferShape([y, x]) {
    if (y[1] !== x[1])
      throw new BlockError(
        `the forecast has ${y[1]} series but the reference input has ${x[1]}`,
        'both must have the same channel count',
      );
    return [y];
  },
  cost: () => ({ params: 0, macs: 0 }),
  build: (p, ctx) => (xs) => [apply1(new RevINDenorm({ epsilon: p.epsilon, name: ctx.name }), xs)],
});
