/**
 * The inside view: what a trained model learned and computes. Layers are named by document node paths
 * (`stage1/b0/mixer`), so a node selected in the editor finds its layer(s) here:
 *
 * - the spectral filter of a HartleySSM (SpectralFilter layer) or HeraclesMixer — its weight over the token
 *   grid, one heatmap per channel;
 * - the attention weights of a MultiHeadAttention (SelfAttention layer) for one sample, computed from the
 *   layer's own weights and its actual input (a sub-model up to the layer's input) with the layer's
 *   `attentionMaps`, the same projections `call` uses;
 * - the output of any node for one sample: a sub-model up to the node's layer, or for a composite node
 *   (Stage, Heracles Block, group) the last layer under its path.
 */
import * as tf from '@tensorflow/tfjs';
import { HeraclesMixer } from '../layers/heracles-mixer';
import { SelfAttention } from '../layers/self-attention';
import { SpectralFilter } from '../layers/spectral-filter';
import type { SplitName, TaskData } from '../train/task-data';
import type { Activation, AttentionMaps, InspectableNode, SpectralFilterMap } from './protocol';
import { checkSample } from './predict';

const isFilter = (l: tf.layers.Layer) => l instanceof SpectralFilter || l instanceof HeraclesMixer;
const isAttention = (l: tf.layers.Layer) => l instanceof SelfAttention;
const isInput = (l: tf.layers.Layer) => l.getClassName() === 'InputLayer';

const shapeOf = (t: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
  ((Array.isArray(t) ? t[0] : t).shape.slice(1) as number[]).map((d) => d ?? -1);

export function inspectableNodes(model: tf.LayersModel): InspectableNode[] {
  return model.layers.map((l) => ({
    node: l.name,
    layerClass: l.getClassName(),
    outputShape: shapeOf(l.output as tf.SymbolicTensor),
    filter: isFilter(l),
    attention: isAttention(l),
  }));
}

/** The layers under a node path, in model (topological) order: the layer itself or `path/…` below it. */
function layersUnder(model: tf.LayersModel, node: string): tf.layers.Layer[] {
  return model.layers.filter((l) => l.name === node || l.name.startsWith(`${node}/`));
}

function notFound(model: tf.LayersModel, node: string, what: string, ok: (l: tf.layers.Layer) => boolean) {
  const candidates = model.layers.filter(ok).map((l) => l.name);
  return new Error(
    `node '${node}' has no ${what} in this model` +
      (candidates.length
        ? `: choose one of ${candidates.slice(0, 12).join(', ')}${candidates.length > 12 ? ', …' : ''}`
        : ' (the model has none)'),
  );
}

/** The one layer of `kind` at or under `node` (the first, when a composite holds several). */
function findLayer(
  model: tf.LayersModel,
  node: string,
  what: string,
  ok: (l: tf.layers.Layer) => boolean,
): tf.layers.Layer {
  const found = layersUnder(model, node).find(ok);
  if (!found) throw notFound(model, node, what, ok);
  return found;
}

export async function filterOf(model: tf.LayersModel, node: string): Promise<SpectralFilterMap> {
  const layer = findLayer(model, node, 'spectral filter (HartleySSM or Heracles mixer)', isFilter);
  const want = layer instanceof HeraclesMixer ? 'spectral_weight' : 'weight';
  const w = layer.weights.find((v) => v.originalName.split('/').pop() === want);
  if (!w) throw new Error(`layer '${layer.name}' has no ${want} weight (is it built?)`);
  const shape = w.shape as number[];
  // The variable itself: read without disposing (it belongs to the model).
  const values = (await w.read().data()) as Float32Array;
  const channels = shape[shape.length - 1];
  // [H, W, C] → C maps of H×W; [L, C] → C maps of 1×L.
  const rows = shape.length === 3 ? shape[0] : 1;
  const cols = shape.length === 3 ? shape[1] : shape[0];
  const out = new Float32Array(values.length);
  const per = rows * cols;
  for (let p = 0; p < per; p++)
    for (let c = 0; c < channels; c++) out[c * per + p] = values[p * channels + c];
  const [min, max] = range(out);
  return {
    kind: 'filter',
    node: layer.name,
    layerClass: layer.getClassName(),
    weightShape: shape,
    rows,
    cols,
    channels,
    values: out,
    min,
    max,
  };
}

function range(v: Float32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return v.length ? [min, max] : [0, 0];
}

/**
 * Sub-models sharing the trained layers (no copies), cached per model and tensor. Never dispose them:
 * disposing a sub-model would dispose the shared weights.
 */
const subModels = new WeakMap<tf.LayersModel, Map<tf.SymbolicTensor, tf.LayersModel>>();

function upTo(model: tf.LayersModel, out: tf.SymbolicTensor): tf.LayersModel {
  let byTensor = subModels.get(model);
  if (!byTensor) subModels.set(model, (byTensor = new Map()));
  let sub = byTensor.get(out);
  if (!sub) {
    sub = tf.model({ inputs: model.inputs, outputs: out });
    byTensor.set(out, sub);
  }
  return sub;
}

const single = (t: tf.SymbolicTensor | tf.SymbolicTensor[], layer: string): tf.SymbolicTensor => {
  if (Array.isArray(t)) {
    if (t.length !== 1) throw new Error(`layer '${layer}' has ${t.length} inputs or outputs; expected one`);
    return t[0];
  }
  return t;
};

export async function attentionOf(
  model: tf.LayersModel,
  data: TaskData,
  node: string,
  split: SplitName,
  sample: number,
): Promise<AttentionMaps> {
  const layer = findLayer(model, node, 'attention (MultiHeadAttention)', isAttention) as SelfAttention;
  checkSample(data, split, sample);
  const input = single(layer.input as tf.SymbolicTensor | tf.SymbolicTensor[], layer.name);
  // Attention right after the Input reads the sample itself.
  const sub = model.inputs.includes(input) ? null : upTo(model, input);
  const { x, y } = data.batch(split, [sample]);
  const maps = tf.tidy(() => layer.attentionMaps(sub ? (sub.predict(x) as tf.Tensor) : x));
  let weights: Float32Array;
  try {
    weights = (await maps.data()) as Float32Array;
  } finally {
    tf.dispose([x, y, maps]);
  }
  const [groups, heads, tokens] = maps.shape as number[];
  const inShape = shapeOf(input);
  const grid = inShape.length === 3 && !layer.rows ? inShape.slice(0, 2) : [tokens];
  return { kind: 'attention', node: layer.name, split, sample, groups, heads, tokens, grid, weights };
}

export async function activationOf(
  model: tf.LayersModel,
  data: TaskData,
  node: string,
  split: SplitName,
  sample: number,
): Promise<Activation> {
  const under = layersUnder(model, node).filter((l) => !isInput(l));
  const inputLayer = model.layers.find((l) => isInput(l) && l.name === node);
  const layer = under[under.length - 1] ?? inputLayer;
  if (!layer) throw notFound(model, node, 'layer', () => true);
  checkSample(data, split, sample);
  const out = single(layer.output as tf.SymbolicTensor | tf.SymbolicTensor[], layer.name);
  const { x, y } = data.batch(split, [sample]);
  let values: Float32Array;
  try {
    if (isInput(layer)) values = (await x.data()) as Float32Array;
    else {
      const a = tf.tidy(() => upTo(model, out).predict(x) as tf.Tensor);
      try {
        values = Float32Array.from((await a.data()) as Float32Array);
      } finally {
        a.dispose();
      }
    }
  } finally {
    tf.dispose([x, y]);
  }
  const [min, max] = range(values);
  return {
    kind: 'activation',
    node,
    layer: layer.name,
    split,
    sample,
    shape: shapeOf(out),
    values,
    min,
    max,
  };
}
