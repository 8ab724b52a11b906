/**
 * ONNX export: a compiled tfjs model → the bytes of an ONNX `ModelProto` (opset 17, IR version 8 by
 * default), runnable by onnxruntime and any other ONNX runtime.
 *
 * The exporter walks `modelGraph(model)` and translates one layer class at a time (rules in `layers/`),
 * keeping tfjs's channels-last layout: the ONNX model takes and returns exactly the tensors the tfjs
 * model does, with the batch axis symbolic (`batch`). Inputs are named after the model's input layers,
 * outputs after the layers that produce them. Every layer is translated before anything is encoded, so
 * an unsupported layer stops the export with an `ExportError` naming it and nothing is written.
 */
import type * as tf from '@tensorflow/tfjs';
import { ExportError } from '../errors';
import { layerClasses, modelGraph } from '../model-graph';
import type { ModelGraph, TensorId } from '../model-graph';
import { OnnxBuilder, onnx, valueInfo } from './builder';
import type { OnnxModel } from './builder';
import { LayerContext } from './context';
import { ONNX_RULES } from './layers/index';

export { ExportError } from '../errors';

export interface OnnxExportOptions {
  /** ONNX opset version, 13–21 (default 17). */
  opset?: number;
  /** The document's name, recorded as the graph name and in the model's doc string. */
  docName?: string;
}

export const DEFAULT_OPSET = 17;
const MIN_OPSET = 13;
const MAX_OPSET = 21;

/** The layer classes the exporter translates (for docs and for "what can I export" checks). */
export const ONNX_LAYER_CLASSES: readonly string[] = Object.keys(ONNX_RULES).sort();

/** The oldest IR version that carries `opset` (onnx/helper.py's VERSION_TABLE). */
const irVersionFor = (opset: number): number => (opset <= 18 ? 8 : opset <= 20 ? 9 : 10);

/** Serialises `model` as ONNX. Throws `ExportError` (naming the layer) for anything it cannot translate. */
export function exportOnnx(model: tf.LayersModel, opts: OnnxExportOptions = {}): Uint8Array {
  return onnx.ModelProto.encode(buildOnnxModel(modelGraph(model), opts)).finish();
}

/** Refuses a graph with a layer class that has no rule, naming the first layer of that class. */
export function checkOnnxSupport(g: ModelGraph): void {
  for (const [className, layer] of layerClasses(g))
    if (!ONNX_RULES[className])
      throw new ExportError(
        `${className} layers cannot be exported to ONNX`,
        layer,
        `the ONNX exporter translates ${ONNX_LAYER_CLASSES.join(', ')}; export this model as TensorFlow.js instead, or replace the block`,
      );
}

/** The ONNX model (not yet encoded) of a model graph. */
export function buildOnnxModel(g: ModelGraph, opts: OnnxExportOptions = {}): OnnxModel {
  const opset = opts.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET)
    throw new ExportError(
      `opset ${opset} is not supported`,
      undefined,
      `use an opset from ${MIN_OPSET} to ${MAX_OPSET}`,
    );
  checkOnnxSupport(g);

  const b = new OnnxBuilder(opset);
  const values = new Map<TensorId, string>();
  for (const input of g.inputs) values.set(input.id, b.claim(input.name));

  for (const layer of g.layers) {
    const inputs = layer.inputs.map((id) => {
      const v = values.get(id);
      if (v === undefined)
        throw new ExportError(
          `${layer.className} reads tensor ${id}, which no earlier layer produces`,
          layer.name,
        );
      return v;
    });
    b.scope = layer.name;
    try {
      values.set(`${layer.name}:0`, ONNX_RULES[layer.className](new LayerContext(b, layer, inputs)));
    } catch (e) {
      if (e instanceof ExportError) throw e;
      throw new ExportError(
        `${layer.className} could not be translated: ${(e as Error).message}`,
        layer.name,
      );
    }
  }

  // Outputs get the name of the layer that produces them (an Identity gives the value that name).
  b.scope = '';
  const outputs = g.outputs.map((o) => {
    const [layer, index] = o.id.split(':');
    const name = index === '0' ? layer : o.id;
    b.op1('Identity', [values.get(o.id) as string], {}, name);
    return valueInfo(name, o.shape);
  });

  const docName = opts.docName ?? g.name;
  return onnx.ModelProto.create({
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'heracles-studio',
    docString: `${docName} — exported by Heracles Studio. Tensors are channels-last (NHWC images, NLC sequences), as in the studio.`,
    metadataProps: [
      { key: 'layout', value: 'channels-last' },
      { key: 'source', value: 'heracles-studio' },
    ],
    graph: {
      name: docName,
      node: b.nodes,
      initializer: b.initializers,
      input: g.inputs.map((i) => valueInfo(i.name, i.shape)),
      output: outputs,
    },
  });
}
