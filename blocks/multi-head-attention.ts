import { SelfAttention } from '../runtime/layers/self-attention';
import {
  SAME_OUT,
  TOKENS_IN,
  apply1,
  channelsOf,
  headsParam,
  requireTokens,
  rowsParam,
  tokensOf,
} from './common';
import { BlockError, defineBlock } from './types';
import type { Shape } from './types';

export const attentionCost = (s: Shape, rows = false) => {
  const c = channelsOf(s);
  const n = tokensOf(s);
  // Tokens attend within groups of `g` (all of them, or one row each): q, kv, proj + the two g×g matmuls.
  const g = rows && s.length === 3 ? s[1] : n;
  return { params: 4 * c * c + 4 * c, macs: n * c * 4 * c + 2 * n * g * c };
};

export default defineBlock({
  type: 'MultiHeadAttention',
  displayName: 'Multi-Head Attention',
  category: 'attention',
  summary: 'Self-attention: every token looks at every other token (cost grows with N²).',
  docs: `Standard multi-head self-attention as in the deep Heracles stages: queries, keys and values are linear maps of the tokens; each head compares every token with every other one and mixes their values by similarity. Powerful but its cost grows with the square of the token count, so Heracles uses it only after the grid has been downsampled (14×14 and 7×7 at 224²). No positional embedding is added — the convolutions supply position. Channels must divide evenly by *Heads*.`,
  version: 1,
  inputs: [TOKENS_IN],
  outputs: [SAME_OUT],
  params: { heads: headsParam(4), rows: rowsParam },
  inferShape([s], p) {
    requireTokens(s, 'Multi-Head Attention');
    if (channelsOf(s) % p.heads !== 0)
      throw new BlockError(
        `${channelsOf(s)} channels do not split evenly into ${p.heads} heads`,
        `use a head count that divides ${channelsOf(s)}`,
        'heads',
      );
    return [s];
  },
  cost: ([s], p) => attentionCost(s, p.rows),
  build:
    (p, ctx) =>
    ([x]) => [apply1(new SelfAttention({ heads: p.heads, rows: p.rows, name: ctx.name, seed: ctx.seed }), x)],
});
