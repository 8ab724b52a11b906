import { RevIN } from '../runtime/layers/revin';
import { apply1, epsParam } from './common';
import { defineBlock } from './types';

export default defineBlock({
  type: 'RevIN',
  displayName: 'RevIN',
  category: 'normalization',
  summary:
    'Standardises each series of each input window by its own mean and spread (undo it with RevIN Denorm).',
  docs: `Reversible instance normalisation for forecasting: every series of every input window is shifted and scaled to mean 0 and standard deviation 1, using that window's own statistics. This removes level shifts between training and test periods. Put a *RevIN Denorm* after the forecast head, fed with the same input, to map the forecast back to the original scale.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'sequence', axes: '[L, C]' }],
  outputs: [{ name: 'out', kind: 'sequence', axes: '[L, C]' }],
  params: { epsilon: epsParam(1e-5) },
  inferShape: ([s]) => [s],
  cost: () => ({ params: 0, macs: 0 }),
  build:
    (p, ctx) =>
    ([x]) => [apply1(new RevIN({ epsilon: p.epsilon, name: ctx.name }), x)],
});
