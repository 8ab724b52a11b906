/**
 * Our attention layers: multi-head self-attention over all tokens (or within each row) and CaiT-style
 * class attention (runtime/layers/self-attention.ts, class-attention.ts). The fused kv kernel is split
 * into a k and a v kernel at export — the same dot products as tfjs's one product followed by a split.
 */
import type { LayerContext, LayerRule } from '../context';
import { attend, columns, gelu, layerNorm, linear } from '../ops';

/** Keys and values of tokens t [B, N, C] from the layer's fused kv weights. */
function keysValues(ctx: LayerContext, t: string, c: number): { k: string; v: string } {
  const kv = ctx.w('kv_kernel');
  const kvb = ctx.w('kv_bias');
  const part = (name: string, from: number) =>
    linear(
      ctx.b,
      t,
      ctx.init(`${name}_kernel`, [c, c], columns(kv.values, c, 2 * c, from, from + c)),
      ctx.init(`${name}_bias`, [c], kvb.values.slice(from, from + c)),
    );
  return { k: part('k', 0), v: part('v', c) };
}

const selfAttention: LayerRule = (ctx) => {
  const { b } = ctx;
  const shape = ctx.inShape();
  const c = shape[shape.length - 1];
  const heads = Number(ctx.config.heads);
  const image = shape.length === 3;
  // Image tokens [B,H,W,C] → [B, H·W, C]; with `rows`, [B·H, W, C] (each row attends alone).
  const t = image
    ? b.reshape(ctx.inputs[0], ctx.config.rows ? [-1, shape[1], c] : [0, -1, c])
    : ctx.inputs[0];
  const q = linear(b, t, ctx.init('q_kernel'), ctx.init('q_bias'));
  const { k, v } = keysValues(ctx, t, c);
  const out = linear(b, attend(b, q, k, v, heads, c), ctx.init('proj_kernel'), ctx.init('proj_bias'));
  return image ? b.reshape(out, [-1, ...shape]) : out;
};

/**
 * cls = mean(x); u = LN₁([cls, x]); cls += proj(attn(q(u[0]), kv(u))); cls += fc₂(GELU(fc₁(LN₂(cls)))).
 * Output: the class token [B, C].
 */
const classAttention: LayerRule = (ctx) => {
  const { b } = ctx;
  const shape = ctx.inShape();
  const c = shape[shape.length - 1];
  const eps = Number(ctx.config.epsilon);
  const t = shape.length === 3 ? b.reshape(ctx.inputs[0], [0, -1, c]) : ctx.inputs[0];
  let cls = b.reduce('ReduceMean', t, [1], true); // [B,1,C]
  const u = layerNorm(
    b,
    b.op1('Concat', [cls, t], { axis: 1 }),
    ctx.init('norm1_gamma'),
    ctx.init('norm1_beta'),
    eps,
  );
  // Queries from the class token only: u[:, 0:1].
  const q = linear(
    b,
    b.op1('Slice', [u, b.ints([0]), b.ints([1]), b.ints([1])]),
    ctx.init('q_kernel'),
    ctx.init('q_bias'),
  );
  const { k, v } = keysValues(ctx, u, c);
  const attended = attend(b, q, k, v, Number(ctx.config.heads), c);
  cls = b.op1('Add', [cls, linear(b, attended, ctx.init('proj_kernel'), ctx.init('proj_bias'))]);
  const h = linear(
    b,
    layerNorm(b, cls, ctx.init('norm2_gamma'), ctx.init('norm2_beta'), eps),
    ctx.init('fc1_kernel'),
    ctx.init('fc1_bias'),
  );
  const mlp = linear(b, gelu(b, h), ctx.init('fc2_kernel'), ctx.init('fc2_bias'));
  return b.op1('Squeeze', [b.op1('Add', [cls, mlp]), b.ints([1])]);
};

export const ATTENTION_RULES: Record<string, LayerRule> = {
  HeraclesSelfAttention: selfAttention,
  HeraclesClassAttention: classAttention,
};
