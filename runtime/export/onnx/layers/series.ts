/** Time-series layers: RevIN, RevINDenorm (runtime/layers/revin.ts) and ZeroPad1D. Sequences are [B,L,C]. */
import type { OnnxBuilder } from '../builder';
import type { LayerRule } from '../context';

/** Mean over time and x − mean, std = √(var + ε), all [B,1,C] (tfjs `moments` over axis 1). */
function stats(b: OnnxBuilder, x: string, epsilon: number): { mean: string; centred: string; std: string } {
  const mean = b.reduce('ReduceMean', x, [1], true);
  const centred = b.op1('Sub', [x, mean]);
  const variance = b.reduce('ReduceMean', b.op1('Mul', [centred, centred]), [1], true);
  return { mean, centred, std: b.op1('Sqrt', [b.op1('Add', [variance, b.scalar(epsilon)])]) };
}

const revin: LayerRule = (ctx) => {
  const { centred, std } = stats(ctx.b, ctx.inputs[0], Number(ctx.config.epsilon));
  return ctx.b.op1('Div', [centred, std]);
};

/** inputs: [forecast [B,T,C], original input [B,L,C]] → forecast · std + mean of the original. */
const revinDenorm: LayerRule = (ctx) => {
  const { b } = ctx;
  const { mean, std } = stats(b, ctx.inputs[1], Number(ctx.config.epsilon));
  return b.op1('Add', [b.op1('Mul', [ctx.inputs[0], std]), mean]);
};

const zeroPad1d: LayerRule = (ctx) => {
  const p = Number(ctx.config.padding);
  return ctx.b.op1('Pad', [ctx.inputs[0], ctx.b.ints([0, p, 0, 0, p, 0])], { mode: 'constant' });
};

export const SERIES_RULES: Record<string, LayerRule> = {
  HeraclesRevIN: revin,
  HeraclesRevINDenorm: revinDenorm,
  HeraclesZeroPad1D: zeroPad1d,
};
