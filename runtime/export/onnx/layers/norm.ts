/** Our LayerNorm and BatchNorm (channels-last: both normalise or scale the last axis). */
import type { LayerRule } from '../context';
import { layerNorm } from '../ops';

const layerNormRule: LayerRule = (ctx) =>
  layerNorm(ctx.b, ctx.inputs[0], ctx.init('gamma'), ctx.init('beta'), Number(ctx.config.epsilon));

/**
 * Inference BatchNorm with the moving statistics, as the layer computes it when not training:
 * (x − moving_mean) · (gamma / √(moving_variance + ε)) + beta. The per-channel scale is folded at export
 * (in float64, then rounded once) — the only arithmetic done outside the graph.
 */
const batchNormRule: LayerRule = (ctx) => {
  const { b } = ctx;
  const eps = Number(ctx.config.epsilon);
  const gamma = ctx.w('gamma');
  const variance = ctx.w('moving_variance').values;
  const scale = Float32Array.from(gamma.values, (g, i) => g / Math.sqrt(variance[i] + eps));
  const centred = b.op1('Sub', [ctx.inputs[0], ctx.init('moving_mean')]);
  const scaled = b.op1('Mul', [centred, ctx.init('scale', gamma.shape, scale)]);
  return b.op1('Add', [scaled, ctx.init('beta')]);
};

export const NORM_RULES: Record<string, LayerRule> = {
  HeraclesLayerNorm: layerNormRule,
  HeraclesBatchNorm: batchNormRule,
};
