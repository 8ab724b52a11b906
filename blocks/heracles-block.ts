import { TOKENS_IN, epsParam, headsParam, kernelParam, requireTokens, transformParam } from './common';
import { defineBlock } from './types';
import type { EnumParam, ParamValues, SubGraph } from './types';

export const MIXERS = ['ssm', 'attention', 'hartley', 'local'] as const;
export const LAYOUT_PARAM = {
  kind: 'enum',
  label: 'Layout',
  default: 'grid',
  options: ['grid', 'rows'],
  help: 'grid: tokens form one image or sequence. rows: channel-independent series [C, P, D] — every block works along each row only (the 1-D Hartley transform, 1 × k convolutions, attention within a row).',
} as const satisfies EnumParam;

export default defineBlock({
  type: 'HeraclesBlock',
  displayName: 'Heracles Block',
  category: 'composite',
  summary: 'x + Mixer(LN(x)), then x + FFN(LN(x)) — the repeating unit of Heracles.',
  docs: `One block of the Heracles network, a pre-norm residual pair:
1. x = x + DropPath(Mixer(LayerNorm(x)))
2. x = x + DropPath(FFN(LayerNorm(x)))
*Mixer* chooses how tokens talk to each other: \`ssm\` = Heracles Mixer (local conv + Hartley SSM, the early stages), \`attention\` = Multi-Head Attention (the deep stages), and for experiments \`hartley\` or \`local\` alone. Expand the node to see and edit its inner blocks.`,
  version: 1,
  inputs: [TOKENS_IN],
  outputs: [{ name: 'out', kind: 'same' }],
  params: {
    mixer: {
      kind: 'enum',
      label: 'Mixer',
      default: 'ssm',
      options: MIXERS,
      help: 'How tokens exchange information in this block.',
    },
    heads: headsParam(4),
    mlpRatio: {
      kind: 'float',
      label: 'MLP ratio',
      default: 4,
      min: 0.25,
      max: 16,
      help: 'Hidden width of the FFN as a multiple of the channels.',
    },
    transform: transformParam(),
    kernelSize: kernelParam(3),
    dropPath: {
      kind: 'float',
      label: 'Drop path',
      default: 0,
      min: 0,
      max: 0.95,
      help: 'Stochastic-depth rate of both residual branches.',
    },
    epsilon: epsParam(1e-6),
    layout: LAYOUT_PARAM,
  },
  inferShape([s]) {
    requireTokens(s, 'Heracles Block');
    return [s];
  },
  cost: () => ({ params: 0, macs: 0 }),
  expand: (p) => heraclesBlockGraph(p),
});

export function heraclesBlockGraph(p: ParamValues): SubGraph {
  const rows = p.layout === 'rows';
  // Row layout: the only transform that keeps rows apart is the 1-D one.
  const transform = rows ? 'dht1d' : p.transform;
  const mixer: { type: string; params: ParamValues } =
    p.mixer === 'attention'
      ? { type: 'MultiHeadAttention', params: { heads: p.heads, rows } }
      : p.mixer === 'hartley'
        ? { type: 'HartleySSM', params: { transform } }
        : p.mixer === 'local'
          ? { type: 'LocalConvSSM', params: { kernelSize: p.kernelSize, rows } }
          : { type: 'HeraclesMixer', params: { transform, kernelSize: p.kernelSize, rows } };
  const drop = Number(p.dropPath) > 0;
  const nodes: SubGraph['nodes'] = [
    { id: 'norm1', type: 'LayerNorm', params: { epsilon: p.epsilon } },
    { id: 'mixer', ...mixer },
    { id: 'add1', type: 'Add', params: {} },
    { id: 'norm2', type: 'LayerNorm', params: { epsilon: p.epsilon } },
    { id: 'ffn', type: 'FFN', params: { mlpRatio: p.mlpRatio, kernelSize: p.kernelSize, rows } },
    { id: 'add2', type: 'Add', params: {} },
  ];
  const e = (source: string, target: string) => ({ source, sourceHandle: 'out', target, targetHandle: 'in' });
  const edges = [e('norm1', 'mixer'), e('add1', 'norm2'), e('norm2', 'ffn'), e('add1', 'add2')];
  if (drop) {
    nodes.push(
      { id: 'drop1', type: 'DropPath', params: { rate: p.dropPath } },
      { id: 'drop2', type: 'DropPath', params: { rate: p.dropPath } },
    );
    edges.push(e('mixer', 'drop1'), e('drop1', 'add1'), e('ffn', 'drop2'), e('drop2', 'add2'));
  } else edges.push(e('mixer', 'add1'), e('ffn', 'add2'));
  return {
    nodes,
    edges,
    inputs: [
      [
        { node: 'norm1', handle: 'in' },
        { node: 'add1', handle: 'in' },
      ],
    ],
    outputs: [{ node: 'add2', handle: 'out' }],
  };
}
