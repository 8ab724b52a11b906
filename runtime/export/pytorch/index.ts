/**
 * The PyTorch export: a folder with readable PyTorch code for the model (model.py), its weights in
 * PyTorch layouts (weights.bin + weights.json), a training script that runs alone or under torchrun
 * with DDP (train.py), the document and data description it trains from, and a README.
 *
 * Pure function of the model and its files: the CLI writes the returned map to `--out`.
 */
import type * as tf from '@tensorflow/tfjs';
import type { HeraclesDocument } from '../../document/schema';
import type { DataInfo, RunInfo } from '../../io/model-dir';
import { modelGraph } from '../model-graph';
import { modelPy } from './model-py';
import { readme } from './readme';
import { TRAIN_PY } from './train-py';
import { packWeights, weightIndexJson } from './weights';

export { ExportError } from '../errors';

/**
 * Exports `model` (a compiled or loaded Heracles model) as a PyTorch folder: file name → contents.
 * Throws ExportError naming the layer (node path) and class when a layer has no PyTorch equivalent.
 */
export function exportPytorch(
  model: tf.LayersModel,
  files: { document: HeraclesDocument; data: DataInfo; run?: RunInfo },
): Map<string, string | Uint8Array> {
  const graph = modelGraph(model);
  const title = files.document.metadata.name;
  const py = modelPy(graph, title);
  const { bin, index } = packWeights(py.weights);
  const out = new Map<string, string | Uint8Array>();
  out.set('model.py', py.source);
  out.set('weights.bin', bin);
  out.set('weights.json', weightIndexJson(index));
  out.set('train.py', TRAIN_PY);
  out.set('document.heracles.json', JSON.stringify(files.document, null, 2) + '\n');
  out.set('data.json', JSON.stringify(files.data, null, 2) + '\n');
  if (files.run) out.set('run.json', JSON.stringify(files.run, null, 2) + '\n');
  out.set('README.md', readme(graph, files.document, files.data, index.weights.length));
  return out;
}
