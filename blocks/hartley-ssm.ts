import { SpectralFilter } from '../runtime/layers/spectral-filter';
import { spectralMacs } from '../runtime/spectral/transform';
import type { SpectralTransform } from '../runtime/spectral/transform';
import { SAME_OUT, TOKENS_IN, apply1, requireTokens, transformParam } from './common';
import { defineBlock, product } from './types';
import type { Shape } from './types';

/** [H, W, C] as the transform sees it: sequences are one row. */
export const grid = (s: Shape): [number, number, number] =>
  s.length === 3 ? [s[0], s[1], s[2]] : [1, s[0], s[1]];

export default defineBlock({
  type: 'HartleySSM',
  displayName: 'Hartley SSM',
  category: 'mixer',
  summary: 'Global token mixing in the frequency domain: T⁻¹(W ⊙ T(x)) with the Hartley transform.',
  docs: `The global state-space mixer of Heracles. It transforms the whole token grid with a real spectral transform (the Hartley transform by default), multiplies every frequency of every channel by a learned real weight, and transforms back. Every output token can depend on every input token, at a cost that grows far more slowly than attention's.
The learned weight has the shape of the tokens ([H, W, C] or [L, C]), so this block is tied to the resolution it was built for. *Transform*: \`dht2d\` is the true 2-D Hartley transform the paper names; \`dct\` is the 2-D DCT of the released code; \`dht1d\` transforms along the last token axis only (sequences, or each row separately for channel-independent series).`,
  version: 1,
  inputs: [TOKENS_IN],
  outputs: [SAME_OUT],
  params: { transform: transformParam() },
  inferShape([s]) {
    requireTokens(s, 'Hartley SSM');
    return [s];
  },
  cost([s], p) {
    const [h, w, c] = grid(s);
    return { params: product(s), macs: spectralMacs(p.transform as SpectralTransform, h, w, c) };
  },
  build:
    (p, ctx) =>
    ([x]) => [
      apply1(
        new SpectralFilter({ transform: p.transform as SpectralTransform, name: ctx.name, seed: ctx.seed }),
        x,
      ),
    ],
});
