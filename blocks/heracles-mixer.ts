import { HeraclesMixer } from '../runtime/layers/heracles-mixer';
import { spectralMacs } from '../runtime/spectral/transform';
import type { SpectralTransform } from '../runtime/spectral/transform';
import {
  SAME_OUT,
  TOKENS_IN,
  apply1,
  channelsOf,
  kernelParam,
  requireTokens,
  rowsParam,
  transformParam,
} from './common';
import { grid } from './hartley-ssm';
import { localConvCost } from './local-conv-ssm';
import { BlockError, defineBlock } from './types';

export default defineBlock({
  type: 'HeraclesMixer',
  displayName: 'Heracles Mixer',
  category: 'mixer',
  summary: 'Half the channels go through Local Conv SSM, half through Hartley SSM; the results interleave.',
  docs: `The token mixer of the early Heracles stages, exactly as released: the channels are split in half; the first half goes through a depthwise convolution (local SSM), the second half through the spectral filter (global SSM); the two results are interleaved again (output channel 2i from the local branch, 2i+1 from the global one). There is no projection, gating or nonlinearity inside — the surrounding Heracles block supplies those.`,
  version: 1,
  inputs: [TOKENS_IN],
  outputs: [SAME_OUT],
  params: { transform: transformParam(), kernelSize: kernelParam(3), rows: rowsParam },
  checkParams(p) {
    if (p.rows && p.transform !== 'dht1d')
      throw new BlockError(
        `Rows only needs the dht1d transform (${p.transform} mixes rows)`,
        'set Transform to dht1d',
        'transform',
      );
  },
  inferShape([s]) {
    requireTokens(s, 'Heracles Mixer');
    if (channelsOf(s) % 2 !== 0)
      throw new BlockError(
        `splits channels in half, but gets ${channelsOf(s)} channels`,
        'use an even channel count',
      );
    return [s];
  },
  cost([s], p) {
    const [h, w, c] = grid(s);
    const local = localConvCost(s, p.kernelSize, c / 2, p.rows);
    return {
      params: local.params + h * w * (c / 2),
      macs: local.macs + spectralMacs(p.transform as SpectralTransform, h, w, c / 2),
    };
  },
  build:
    (p, ctx) =>
    ([x]) => [
      apply1(
        new HeraclesMixer({
          transform: p.transform as SpectralTransform,
          kernelSize: p.kernelSize,
          rows: p.rows,
          name: ctx.name,
          seed: ctx.seed,
        }),
        x,
      ),
    ],
});
