import { apply1, channelsOf, epsParam, layerNorm } from './common';
import { defineBlock } from './types';

export default defineBlock({
  type: 'LayerNorm',
  displayName: 'Layer Norm',
  category: 'normalization',
  summary: 'Normalises each token over its channels, then scales and shifts (learned).',
  docs: `Standardises the features of each token (mean 0, variance 1 across channels) and applies a learned scale and shift per channel. Used before every mixer and FFN in a Heracles block ("pre-norm"), which keeps training stable.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any', axes: '[..., C]' }],
  outputs: [{ name: 'out', kind: 'same' }],
  params: { epsilon: epsParam(1e-6) },
  inferShape: ([s]) => [s],
  cost: ([s]) => ({ params: 2 * channelsOf(s), macs: 0 }),
  build:
    (p, ctx) =>
    ([x]) => [apply1(layerNorm(ctx, 'norm', p.epsilon), x)],
});
