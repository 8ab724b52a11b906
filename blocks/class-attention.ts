import { ClassAttention } from '../runtime/layers/class-attention';
import { apply1, channelsOf, epsParam, headsParam, requireTokens, tokensOf } from './common';
import { BlockError, defineBlock } from './types';

export default defineBlock({
  type: 'ClassAttention',
  displayName: 'Class Attention',
  category: 'attention',
  summary: 'CaiT-style pooling: a class token attends over all tokens to summarise them into one vector.',
  docs: `Summarises all tokens into one vector, as the Heracles head does. A class token starts as the mean of the tokens, looks at all tokens with multi-head attention (only the class token asks questions, so the cost is linear in N), then passes through its own small feed-forward network. The result [C] feeds a Classifier Head.`,
  version: 1,
  inputs: [{ name: 'in', kind: 'any', axes: '[H, W, C] or [N, C]' }],
  outputs: [{ name: 'out', kind: 'vector', axes: '[C]' }],
  params: {
    heads: headsParam(4),
    mlpRatio: {
      kind: 'float',
      label: 'MLP ratio',
      default: 4,
      min: 0.25,
      max: 16,
      help: "Hidden width of the class token's feed-forward net, as a multiple of C.",
    },
    epsilon: epsParam(1e-6),
  },
  inferShape([s], p) {
    requireTokens(s, 'Class Attention');
    if (channelsOf(s) % p.heads !== 0)
      throw new BlockError(
        `${channelsOf(s)} channels do not split evenly into ${p.heads} heads`,
        `use a head count that divides ${channelsOf(s)}`,
        'heads',
      );
    return [[channelsOf(s)]];
  },
  cost([s], p) {
    const c = channelsOf(s);
    const n = tokensOf(s) + 1;
    const h = Math.round(c * p.mlpRatio);
    return {
      params: 2 * c + (c * c + c) + (2 * c * c + 2 * c) + (c * c + c) + 2 * c + (c * h + h) + (h * c + c),
      macs: n * c * 2 * c + c * c + 2 * n * c + c * c + 2 * c * h,
    };
  },
  build:
    (p, ctx) =>
    ([x]) => [
      apply1(
        new ClassAttention({
          heads: p.heads,
          mlpRatio: p.mlpRatio,
          epsilon: p.epsilon,
          name: ctx.name,
          seed: ctx.seed,
        }),
        x,
      ),
    ],
});
