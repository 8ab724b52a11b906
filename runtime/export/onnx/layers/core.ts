/**
 * Rules for tfjs-layers' own core layers: Dense, Activation, ReLU, Add, Concatenate, Reshape, Permute,
 * Flatten, Dropout, ZeroPadding2D and the global poolings; and our DropPath (identity at inference).
 */
import type { LayerContext, LayerRule } from '../context';
import { linear } from '../ops';
import { activation } from './activations';

/** Dropout / DropPath only act while training; inference is the identity. */
const identity: LayerRule = (ctx) => ctx.b.op1('Identity', [ctx.inputs[0]]);

function channelsLast(ctx: LayerContext): void {
  const f = ctx.config.dataFormat;
  if (f !== undefined && f !== 'channelsLast')
    ctx.fail(
      `has dataFormat "${String(f)}"`,
      'the exporter expects channels-last tensors, as the compiler builds them',
    );
}

const dense: LayerRule = (ctx) => {
  const bias = ctx.config.useBias === false ? undefined : ctx.init('bias');
  const y = linear(ctx.b, ctx.inputs[0], ctx.init('kernel'), bias);
  return activation(ctx, ctx.config.activation)(ctx.b, y);
};

const relu: LayerRule = (ctx) => {
  const { b } = ctx;
  const max = ctx.config.maxValue;
  const slope = ctx.config.negativeSlope;
  const threshold = ctx.config.threshold;
  if ((slope !== undefined && slope !== 0) || (threshold !== undefined && threshold !== 0))
    ctx.fail('has a negative slope or threshold, which the exporter does not translate');
  return typeof max === 'number'
    ? b.op1('Clip', [ctx.inputs[0], b.scalar(0), b.scalar(max)])
    : b.op1('Relu', [ctx.inputs[0]]);
};

/** tfjs adds left to right: ((a + b) + c) + … */
const add: LayerRule = (ctx) =>
  ctx.inputs.slice(1).reduce((acc, x) => ctx.b.op1('Add', [acc, x]), ctx.inputs[0]);

const concatenate: LayerRule = (ctx) =>
  ctx.b.op1('Concat', ctx.inputs, { axis: Number(ctx.config.axis ?? -1) });

/** Reshape to the layer's resolved output shape; `0` keeps the (symbolic) batch. */
const reshape: LayerRule = (ctx) => ctx.b.reshape(ctx.inputs[0], [0, ...ctx.outShape]);

const flatten: LayerRule = (ctx) => {
  channelsLast(ctx);
  return ctx.b.op1('Flatten', [ctx.inputs[0]], { axis: 1 });
};

/** tfjs `dims` are 1-based and leave the batch out. */
const permute: LayerRule = (ctx) => ctx.b.transpose(ctx.inputs[0], [0, ...(ctx.config.dims as number[])]);

const zeroPadding2d: LayerRule = (ctx) => {
  channelsLast(ctx);
  const [[top, bottom], [left, right]] = ctx.config.padding as [[number, number], [number, number]];
  return ctx.b.op1('Pad', [ctx.inputs[0], ctx.b.ints([0, top, left, 0, 0, bottom, right, 0])], {
    mode: 'constant',
  });
};

const pooling =
  (op: 'ReduceMean' | 'ReduceMax', axes: number[]): LayerRule =>
  (ctx) => {
    channelsLast(ctx);
    return ctx.b.reduce(op, ctx.inputs[0], axes, false);
  };

export const CORE_RULES: Record<string, LayerRule> = {
  Dense: dense,
  Activation: (ctx) => activation(ctx, ctx.config.activation)(ctx.b, ctx.inputs[0]),
  ReLU: relu,
  Add: add,
  Concatenate: concatenate,
  Reshape: reshape,
  Flatten: flatten,
  Permute: permute,
  Dropout: identity,
  HeraclesDropPath: identity,
  ZeroPadding2D: zeroPadding2d,
  GlobalAveragePooling1D: pooling('ReduceMean', [1]),
  GlobalAveragePooling2D: pooling('ReduceMean', [1, 2]),
  GlobalMaxPooling1D: pooling('ReduceMax', [1]),
  GlobalMaxPooling2D: pooling('ReduceMax', [1, 2]),
};
