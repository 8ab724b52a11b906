/**
 * tfjs activation names → ONNX, as tfjs-layers computes them (activations.js of tfjs 4.22). Shared by
 * the `Activation` layer and the `activation` option of `Dense` / `Conv*`.
 */
import type { OnnxBuilder } from '../builder';
import { floatAttr } from '../builder';
import type { LayerContext } from '../context';
import { gelu } from '../ops';

type Act = (b: OnnxBuilder, x: string) => string;

const ACTIVATIONS: Record<string, Act> = {
  linear: (_b, x) => x,
  relu: (b, x) => b.op1('Relu', [x]),
  // tfjs relu6 = min(max(x, 0), 6)
  relu6: (b, x) => b.op1('Clip', [x, b.scalar(0), b.scalar(6)]),
  gelu,
  // tfjs gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
  gelu_new: (b, x) => {
    const x3 = b.op1('Mul', [b.op1('Mul', [x, x]), x]);
    const inner = b.op1('Add', [x, b.op1('Mul', [b.scalar(0.044715), x3])]);
    const t = b.op1('Tanh', [b.op1('Mul', [b.scalar(Math.sqrt(2 / Math.PI)), inner])]);
    return b.op1('Mul', [b.scalar(0.5), b.op1('Mul', [x, b.op1('Add', [b.scalar(1), t])])]);
  },
  // tfjs swish(x) = sigmoid(x)·x
  swish: (b, x) => b.op1('Mul', [b.op1('Sigmoid', [x]), x]),
  sigmoid: (b, x) => b.op1('Sigmoid', [x]),
  tanh: (b, x) => b.op1('Tanh', [x]),
  softmax: (b, x) => b.op1('Softmax', [x], { axis: -1 }),
  logSoftmax: (b, x) => b.op1('LogSoftmax', [x], { axis: -1 }),
  elu: (b, x) => b.op1('Elu', [x], { alpha: floatAttr(1) }),
  selu: (b, x) => b.op1('Selu', [x]),
  softplus: (b, x) => b.op1('Softplus', [x]),
  softsign: (b, x) => b.op1('Softsign', [x]),
  // tfjs hardSigmoid = clip(0.2·x + 0.5, 0, 1)
  hardSigmoid: (b, x) => b.op1('HardSigmoid', [x], { alpha: floatAttr(0.2), beta: floatAttr(0.5) }),
  // tfjs mish(x) = x·tanh(softplus(x))
  mish: (b, x) => b.op1('Mul', [x, b.op1('Tanh', [b.op1('Softplus', [x])])]),
};

/** The activation named in a layer config (`activation`), or a refusal naming the layer. */
export function activation(ctx: LayerContext, name: unknown): Act {
  const key = typeof name === 'string' ? name : 'linear';
  const act = ACTIVATIONS[key];
  if (!act)
    ctx.fail(
      `uses the activation "${key}", which the ONNX exporter does not translate`,
      `use one of ${Object.keys(ACTIVATIONS).join(', ')}`,
    );
  return act;
}
