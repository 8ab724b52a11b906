/**
 * One rule per tfjs layer class: the PyTorch module it becomes (or an inline expression for layers
 * without state), how its weights map to state-dict entries (and their PyTorch layouts), and its line
 * in forward(). Channels stay last everywhere, as in tfjs; convolutions permute around the NCHW call.
 */
import { ExportError } from '../errors';
import type { GraphLayer } from '../model-graph';

export interface WeightRule {
  /** The weight's name inside the tfjs layer (`kernel`, `q_bias`, ...). */
  from: string;
  /** State-dict key relative to the module (`weight`, `q.bias`, ...). */
  key: string;
  /** Axis order from the tfjs layout to the PyTorch one (e.g. [1, 0] transposes a Linear kernel). */
  perm?: number[];
}

export interface LayerRule {
  /** Entries of PY_CLASSES the module needs. */
  uses?: (l: GraphLayer) => string[];
  /** Python constructor of the module; absent for layers that are a plain expression of their inputs. */
  module?: (l: GraphLayer) => string;
  weights?: (l: GraphLayer) => WeightRule[];
  /** forward() expression: `m` is the module (`self.stage1.b0.fc1`), `xs` the input variables. */
  call: (l: GraphLayer, m: string, xs: string[]) => string;
}

/** A Python literal for a number, boolean or list. */
export function py(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v} as a Python number`);
    return Number.isInteger(v) ? String(v) : String(+v.toPrecision(12));
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(py).join(', ')}]`;
  if (v === null || v === undefined) return 'None';
  throw new Error(`cannot write ${JSON.stringify(v)} as a Python literal`);
}

const channels = (l: GraphLayer): number => {
  const s = l.inputShapes[0];
  return s[s.length - 1];
};
const cfg = <T>(l: GraphLayer, key: string): T => l.config[key] as T;
const pair = (v: unknown): [number, number] =>
  Array.isArray(v) ? [v[0] as number, (v[1] ?? v[0]) as number] : [v as number, v as number];
const one = (v: unknown): number => (Array.isArray(v) ? (v[0] as number) : (v as number));
const T: number[] = [1, 0];
const linear = (prefix: string, from: string): WeightRule[] => [
  { from: `${from}kernel`, key: `${prefix}weight`, perm: T },
  { from: `${from}bias`, key: `${prefix}bias` },
];
const norm = (prefix: string, from: string): WeightRule[] => [
  { from: `${from}gamma`, key: `${prefix}weight` },
  { from: `${from}beta`, key: `${prefix}bias` },
];
/** A weight's shape as tfjs stores it. */
const shapeOf = (l: GraphLayer, name: string): number[] => {
  const w = l.weights.find((x) => baseWeightName(x.name) === name);
  if (!w) throw new ExportError(`has no weight "${name}"`, l.name);
  return w.shape;
};

/** tfjs makes weight names unique per model with a `_1`, `_2` suffix; rules use the plain name. */
export const baseWeightName = (name: string): string => name.replace(/_\d+$/, '');

/** An activation (tfjs name) applied to a Python expression. */
export function activation(name: string, x: string, layer: string): string {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return `F.relu(${x})`;
    case 'relu6':
      return `F.relu6(${x})`;
    case 'gelu':
      return `F.gelu(${x})`; // tfjs: x·Φ(x) with erf, PyTorch's default
    case 'gelu_new':
      return `F.gelu(${x}, approximate="tanh")`;
    case 'swish':
      return `F.silu(${x})`;
    case 'mish':
      return `F.mish(${x})`;
    case 'tanh':
      return `torch.tanh(${x})`;
    case 'sigmoid':
      return `torch.sigmoid(${x})`;
    case 'hardSigmoid':
      return `torch.clamp(0.2 * ${x} + 0.5, 0, 1)`;
    case 'softmax':
      return `torch.softmax(${x}, dim=-1)`;
    case 'elu':
      return `F.elu(${x})`;
    case 'selu':
      return `F.selu(${x})`;
    case 'softplus':
      return `F.softplus(${x})`;
    case 'softsign':
      return `F.softsign(${x})`;
    default:
      throw new ExportError(
        `activation "${name}" has no PyTorch export`,
        layer,
        'use relu, gelu, swish, tanh, sigmoid or softmax',
      );
  }
}

function convPadding(l: GraphLayer, strides: number[]): string {
  const padding = cfg<string>(l, 'padding');
  if (padding === 'valid') return '0';
  if (padding === 'same' && strides.every((s) => s === 1)) return '"same"';
  throw new ExportError(
    `padding "${padding}" with strides [${strides.join(', ')}] has no exact PyTorch equivalent`,
    l.name,
    "use padding 'valid' after explicit zero padding, as the studio's blocks do",
  );
}

function channelsLastOnly(l: GraphLayer): void {
  const f = l.config.dataFormat;
  if (f !== undefined && f !== 'channelsLast')
    throw new ExportError(`data format "${String(f)}" is not supported (channels last only)`, l.name);
}

const conv = (dims: 1 | 2): LayerRule => ({
  uses: () => [dims === 2 ? 'Conv2d' : 'Conv1d'],
  module(l) {
    channelsLastOnly(l);
    const k = dims === 2 ? pair(l.config.kernelSize) : [one(l.config.kernelSize)];
    const s = dims === 2 ? pair(l.config.strides) : [one(l.config.strides)];
    const d = dims === 2 ? pair(l.config.dilationRate ?? 1) : [one(l.config.dilationRate ?? 1)];
    const tuple = (v: number[]) => (v.length === 1 ? String(v[0]) : `(${v.join(', ')})`);
    const groups = (l.config.groups as number | undefined) ?? 1;
    return (
      `Conv${dims}d(${channels(l)}, ${cfg<number>(l, 'filters')}, kernel_size=${tuple(k)}, stride=${tuple(s)}, ` +
      `padding=${convPadding(l, s)}, dilation=${tuple(d)}${groups !== 1 ? `, groups=${groups}` : ''}, ` +
      `bias=${py(cfg<boolean>(l, 'useBias'))})`
    );
  },
  weights: (l) => [
    { from: 'kernel', key: 'weight', perm: dims === 2 ? [3, 2, 0, 1] : [2, 1, 0] },
    ...(cfg<boolean>(l, 'useBias') ? [{ from: 'bias', key: 'bias' }] : []),
  ],
  call: (l, m, [x]) => activation(cfg<string>(l, 'activation') ?? 'linear', `${m}(${x})`, l.name),
});

const pool = (dims: 1 | 2, op: 'mean' | 'amax'): LayerRule => ({
  call(l, _m, [x]) {
    channelsLastOnly(l);
    return `${x}.${op}(dim=${dims === 2 ? '(1, 2)' : '1'})`;
  },
});

const depthwise = (from: string, key: string): WeightRule[] => [
  { from: `${from}kernel`, key: `${key}weight`, perm: [2, 3, 0, 1] },
  { from: `${from}bias`, key: `${key}bias` },
];

export const RULES: Record<string, LayerRule> = {
  Dense: {
    module: (l) => `nn.Linear(${channels(l)}, ${cfg<number>(l, 'units')}, bias=${py(cfg(l, 'useBias'))})`,
    weights: (l) => [
      { from: 'kernel', key: 'weight', perm: T },
      ...(cfg<boolean>(l, 'useBias') ? [{ from: 'bias', key: 'bias' }] : []),
    ],
    call: (l, m, [x]) => activation(cfg<string>(l, 'activation') ?? 'linear', `${m}(${x})`, l.name),
  },
  Conv2D: conv(2),
  Conv1D: conv(1),
  ZeroPadding2D: {
    call(l, _m, [x]) {
      channelsLastOnly(l);
      const [[t, b], [left, r]] = l.config.padding as [[number, number], [number, number]];
      return `F.pad(${x}, (0, 0, ${left}, ${r}, ${t}, ${b}))`;
    },
  },
  HeraclesZeroPad1D: {
    call: (l, _m, [x]) => `F.pad(${x}, (0, 0, ${cfg<number>(l, 'padding')}, ${cfg<number>(l, 'padding')}))`,
  },
  HeraclesBatchNorm: {
    uses: () => ['BatchNorm'],
    module: (l) =>
      `BatchNorm(${channels(l)}, eps=${py(cfg(l, 'epsilon'))}, momentum=${py(1 - cfg<number>(l, 'momentum'))}` +
      `${l.config.trainable === false ? ', frozen=True' : ''})`,
    weights: () => [
      ...norm('', ''),
      { from: 'moving_mean', key: 'running_mean' },
      { from: 'moving_variance', key: 'running_var' },
    ],
    call: (_l, m, [x]) => `${m}(${x})`,
  },
  HeraclesLayerNorm: {
    module: (l) => `nn.LayerNorm(${channels(l)}, eps=${py(cfg(l, 'epsilon'))})`,
    weights: () => norm('', ''),
    call: (_l, m, [x]) => `${m}(${x})`,
  },
  ReLU: {
    call(l, _m, [x]) {
      const max = l.config.maxValue as number | null | undefined;
      return max === null || max === undefined ? `F.relu(${x})` : `torch.clamp(${x}, 0, ${py(max)})`;
    },
  },
  Activation: { call: (l, _m, [x]) => activation(cfg<string>(l, 'activation'), x, l.name) },
  Add: { call: (_l, _m, xs) => xs.join(' + ') },
  Multiply: { call: (_l, _m, xs) => xs.join(' * ') },
  Concatenate: { call: (l, _m, xs) => `torch.cat([${xs.join(', ')}], dim=${cfg<number>(l, 'axis') ?? -1})` },
  Flatten: { call: (_l, _m, [x]) => `${x}.reshape(${x}.shape[0], -1)` },
  Reshape: {
    call: (l, _m, [x]) => `${x}.reshape(${x}.shape[0], ${cfg<number[]>(l, 'targetShape').join(', ')})`,
  },
  Permute: { call: (l, _m, [x]) => `${x}.permute(0, ${cfg<number[]>(l, 'dims').join(', ')})` },
  GlobalAveragePooling2D: pool(2, 'mean'),
  GlobalAveragePooling1D: pool(1, 'mean'),
  GlobalMaxPooling2D: pool(2, 'amax'),
  GlobalMaxPooling1D: pool(1, 'amax'),
  Dropout: {
    module: (l) => `nn.Dropout(${py(cfg(l, 'rate'))})`,
    call: (_l, m, [x]) => `${m}(${x})`,
  },
  HeraclesDropPath: {
    uses: () => ['DropPath'],
    module: (l) => `DropPath(${py(cfg(l, 'rate'))})`,
    call: (_l, m, [x]) => `${m}(${x})`,
  },
  HeraclesDepthwiseConv: {
    uses: () => ['DepthwiseConv'],
    module(l) {
      const [kh, kw, c] = shapeOf(l, 'kernel');
      return `DepthwiseConv(${c}, ${kh}, ${kw})`;
    },
    weights: () => depthwise('', ''),
    call: (_l, m, [x]) => `${m}(${x})`,
  },
  HeraclesSpectralFilter: {
    uses: () => ['SpectralFilter'],
    module: (l) => `SpectralFilter(${py(cfg(l, 'transform'))}, ${py(l.inputShapes[0])})`,
    weights: () => [{ from: 'weight', key: 'weight' }],
    call: (_l, m, [x]) => `${m}(${x})`,
  },
  HeraclesMixer: {
    uses: () => ['HeraclesMixer'],
    module(l) {
      const [kh, kw] = shapeOf(l, 'local_kernel');
      return `HeraclesMixer(${py(cfg(l, 'transform'))}, ${py(l.inputShapes[0])}, ${kh}, ${kw})`;
    },
    weights: () => [...depthwise('local_', 'local.'), { from: 'spectral_weight', key: 'spectral.weight' }],
    call: (_l, m, [x]) => `${m}(${x})`,
  },
  HeraclesSelfAttention: {
    uses: () => ['SelfAttention'],
    module: (l) =>
      `SelfAttention(${channels(l)}, heads=${cfg<number>(l, 'heads')}, rows=${py(Boolean(l.config.rows))})`,
    weights: () => [...linear('q.', 'q_'), ...linear('kv.', 'kv_'), ...linear('proj.', 'proj_')],
    call: (_l, m, [x]) => `${m}(${x})`,
  },
  HeraclesClassAttention: {
    uses: () => ['ClassAttention'],
    module: (l) =>
      `ClassAttention(${channels(l)}, heads=${cfg<number>(l, 'heads')}, mlp_ratio=${py(cfg(l, 'mlpRatio'))}, ` +
      `eps=${py(cfg(l, 'epsilon'))})`,
    weights: () => [
      ...norm('norm1.', 'norm1_'),
      ...linear('q.', 'q_'),
      ...linear('kv.', 'kv_'),
      ...linear('proj.', 'proj_'),
      ...norm('norm2.', 'norm2_'),
      ...linear('fc1.', 'fc1_'),
      ...linear('fc2.', 'fc2_'),
    ],
    call: (_l, m, [x]) => `${m}(${x})`,
  },
  HeraclesRevIN: {
    uses: () => ['RevIN'],
    module: (l) => `RevIN(eps=${py(cfg(l, 'epsilon'))})`,
    call: (_l, m, [x]) => `${m}(${x})`,
  },
  HeraclesRevINDenorm: {
    uses: () => ['RevIN'],
    module: (l) => `RevINDenorm(eps=${py(cfg(l, 'epsilon'))})`,
    call: (_l, m, [y, x]) => `${m}(${y}, ${x})`,
  },
};
