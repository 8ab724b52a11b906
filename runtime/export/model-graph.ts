/**
 * The compiled model as a plain, ordered layer graph: what every exporter (ONNX, PyTorch) walks.
 *
 * The tfjs model is the single source of truth after compilation: its layers carry the node path of the
 * studio (`stage1/b0/ffn/fc1` = node `stage1` → inner `b0` → inner `ffn` → layer `fc1`), its topology
 * says which tensor feeds which layer, and its weights are the trained values. Exporters translate one
 * layer class at a time and never look at blocks, so a new block that builds from existing layers
 * exports for free; a new layer class needs one rule per exporter.
 */
import type * as tf from '@tensorflow/tfjs';

/** A tensor produced by a layer: `layer:index` (tfjs models built by the compiler use node 0 only). */
export type TensorId = string;

export interface GraphWeight {
  /** Name inside the layer, e.g. `kernel`, `bias`, `gamma`, `moving_mean`. */
  name: string;
  shape: number[];
  values: Float32Array;
  trainable: boolean;
}

export interface GraphLayer {
  /** tfjs layer name = studio node path, e.g. `stage1/b0/ffn/fc1`. */
  name: string;
  /** tfjs class name, e.g. `Dense`, `HeraclesMixer`. */
  className: string;
  config: Record<string, unknown>;
  inputs: TensorId[];
  /** Output shapes without the batch axis, one per output. */
  outputShapes: number[][];
  /** Input shapes without the batch axis, one per input. */
  inputShapes: number[][];
  weights: GraphWeight[];
}

export interface ModelGraph {
  name: string;
  inputs: { id: TensorId; name: string; shape: number[] }[];
  outputs: { id: TensorId; shape: number[] }[];
  /** Every layer except the input layers, in an order where inputs come before their users. */
  layers: GraphLayer[];
}

export const tensorId = (layer: string, index = 0): TensorId => `${layer}:${index}`;

interface InboundRef {
  layer: string;
  node: number;
  tensor: number;
}

const dropBatch = (s: readonly (number | null)[]): number[] => s.slice(1).map((d) => d ?? -1);

/** Shapes of a layer's outputs (tfjs gives one shape or a list of shapes). */
function shapesOf(s: tf.Shape | tf.Shape[]): number[][] {
  return Array.isArray(s[0]) ? (s as tf.Shape[]).map(dropBatch) : [dropBatch(s as tf.Shape)];
}

/** Reads the model's topology and weights (values are copied; the model is not changed). */
export function modelGraph(model: tf.LayersModel): ModelGraph {
  const topology = model.toJSON(null, false) as unknown as {
    config: {
      layers: { name: string; class_name: string; inbound_nodes: unknown[][] }[];
      input_layers: [string, number, number][];
      output_layers: [string, number, number][];
    };
  };
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const inputNames = new Set(topology.config.input_layers.map(([n]) => n));
  const layers: GraphLayer[] = [];
  const shapes = new Map<TensorId, number[]>();
  for (const [n] of topology.config.input_layers)
    shapes.set(tensorId(n), dropBatch((byName.get(n) as tf.layers.Layer).outputShape as tf.Shape));
  for (const entry of topology.config.layers) {
    if (inputNames.has(entry.name)) continue;
    const layer = byName.get(entry.name);
    if (!layer) throw new Error(`model topology names an unknown layer "${entry.name}"`);
    const inbound = (entry.inbound_nodes[0] ?? []) as unknown[];
    const refs: InboundRef[] = inbound.map((r) => {
      const [l, node, tensor] = r as [string, number, number];
      return { layer: l, node, tensor };
    });
    if (entry.inbound_nodes.length > 1)
      throw new Error(`layer "${entry.name}" is applied more than once; exporters expect one use per layer`);
    const values = layer.getWeights();
    const inputs = refs.map((r) => tensorId(r.layer, r.tensor));
    const outputShapes = shapesOf(layer.outputShape);
    outputShapes.forEach((s, i) => shapes.set(tensorId(layer.name, i), s));
    layers.push({
      name: layer.name,
      className: layer.getClassName(),
      config: layer.getConfig() as Record<string, unknown>,
      inputs,
      outputShapes,
      inputShapes: inputs.map((t) => shapes.get(t) as number[]),
      weights: layer.weights.map((w, i) => ({
        name: w.name.startsWith(`${layer.name}/`) ? w.name.slice(layer.name.length + 1) : w.name,
        shape: [...w.shape] as number[],
        values: values[i].dataSync().slice() as Float32Array,
        trainable: w.trainable,
      })),
    });
  }
  return {
    name: model.name,
    inputs: topology.config.input_layers.map(([n]) => ({
      id: tensorId(n),
      name: n,
      shape: shapes.get(tensorId(n)) as number[],
    })),
    outputs: topology.config.output_layers.map(([n, , t]) => ({
      id: tensorId(n, t),
      shape: shapes.get(tensorId(n, t)) as number[],
    })),
    layers,
  };
}

/** The layer classes a graph uses, with the first layer of each (for "unsupported" messages). */
export function layerClasses(g: ModelGraph): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of g.layers) if (!m.has(l.className)) m.set(l.className, l.name);
  return m;
}
