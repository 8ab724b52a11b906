import { chainGraphs, prefixGraph } from '../runtime/graph/composite';
import {
  TOKENS_IN,
  channelsOf,
  dimParam,
  epsParam,
  headsParam,
  kernelParam,
  requireTokens,
  transformParam,
} from './common';
import downsample from './downsample';
import { LAYOUT_PARAM, MIXERS } from './heracles-block';
import { BlockError, defineBlock } from './types';
import type { Shape, SubGraph } from './types';

export default defineBlock({
  type: 'Stage',
  displayName: 'Stage',
  category: 'composite',
  summary: 'An optional Downsample followed by a Heracles Block repeated ×N.',
  docs: `A stage of the Heracles pyramid: optionally a Downsample (halve the grid, change channels to *Channels*), then *Depth* Heracles Blocks with the same settings. Drop path rises linearly from *Drop path (first)* to *Drop path (last)* across the stage's blocks. Heracles-S has four stages: 3 and 4 blocks with the SSM mixer at 56² and 28² tokens, 6 and 3 with attention at 14² and 7².`,
  version: 1,
  inputs: [TOKENS_IN],
  outputs: [{ name: 'out', kind: 'same' }],
  params: {
    depth: {
      kind: 'int',
      label: 'Depth',
      default: 2,
      min: 1,
      max: 64,
      help: 'How many Heracles Blocks this stage repeats.',
    },
    dim: dimParam(64),
    downsample: {
      kind: 'bool',
      label: 'Downsample first',
      default: false,
      help: 'Halve the token grid and set the channels before the blocks.',
    },
    mixer: {
      kind: 'enum',
      label: 'Mixer',
      default: 'ssm',
      options: MIXERS,
      help: 'Token mixer of every block in the stage.',
    },
    heads: headsParam(4),
    mlpRatio: {
      kind: 'float',
      label: 'MLP ratio',
      default: 4,
      min: 0.25,
      max: 16,
      help: 'FFN hidden width as a multiple of the channels.',
    },
    transform: transformParam(),
    kernelSize: kernelParam(3),
    dropPathStart: {
      kind: 'float',
      label: 'Drop path (first)',
      default: 0,
      min: 0,
      max: 0.95,
      help: "Drop-path rate of the stage's first block.",
    },
    dropPathEnd: {
      kind: 'float',
      label: 'Drop path (last)',
      default: 0,
      min: 0,
      max: 0.95,
      help: "Drop-path rate of the stage's last block.",
    },
    epsilon: epsParam(1e-6),
    layout: LAYOUT_PARAM,
  },
  inferShape([s], p) {
    requireTokens(s, 'Stage');
    checkChannels(s, p);
    // The analysis works from the expanded graph; this must agree with it (the Downsample changes the shape).
    return p.downsample ? downsample.inferShape([s], { dim: p.dim, preNorm: true, epsilon: p.epsilon }) : [s];
  },
  cost: () => ({ params: 0, macs: 0 }),
  expand(p, [s]) {
    if (s) checkChannels(s, p);
    const parts: SubGraph[] = [];
    if (p.downsample)
      parts.push({
        nodes: [{ id: 'down', type: 'Downsample', params: { dim: p.dim } }],
        edges: [],
        inputs: [[{ node: 'down', handle: 'in' }]],
        outputs: [{ node: 'down', handle: 'out' }],
      });
    for (let i = 0; i < p.depth; i++) {
      const t = p.depth > 1 ? i / (p.depth - 1) : 0;
      const dropPath = p.dropPathStart + (p.dropPathEnd - p.dropPathStart) * t;
      const block: SubGraph = {
        nodes: [
          {
            id: '',
            type: 'HeraclesBlock',
            params: {
              mixer: p.mixer,
              heads: p.heads,
              mlpRatio: p.mlpRatio,
              transform: p.transform,
              kernelSize: p.kernelSize,
              dropPath,
              epsilon: p.epsilon,
              layout: p.layout,
            },
          },
        ],
        edges: [],
        inputs: [[{ node: '', handle: 'in' }]],
        outputs: [{ node: '', handle: 'out' }],
      };
      parts.push(prefixGraph(block, `b${i}`));
    }
    return chainGraphs(parts);
  },
});

/** Without a downsample a stage cannot change the channel count. */
function checkChannels(s: Shape, p: { downsample: boolean; dim: number }): void {
  if (!p.downsample && channelsOf(s) !== p.dim)
    throw new BlockError(
      `without a downsample the stage keeps its ${channelsOf(s)} input channels, but Channels is ${p.dim}`,
      `set Channels to ${channelsOf(s)} or turn on "Downsample first"`,
      'dim',
    );
}
