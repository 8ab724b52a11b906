/**
 * A tfjs LayersModel as the two files of a standard tfjs model folder: `model.json` (topology + weights
 * manifest) and `weights.bin` (every weight, float32, in manifest order). Environment-neutral, so the
 * Node model DIR writer and the browser/zip export produce byte-identical files.
 */
import * as tf from '@tensorflow/tfjs';

export const WEIGHTS_FILE = 'weights.bin';

export interface ModelFiles {
  /** The `model.json` text. */
  modelJson: string;
  /** The `weights.bin` bytes. */
  weights: Uint8Array;
}

const bytesOf = (d: tf.io.WeightData | undefined): Uint8Array => {
  if (!d) return new Uint8Array();
  if (Array.isArray(d)) return new Uint8Array(tf.io.concatenateArrayBuffers(d));
  return new Uint8Array(d as ArrayBuffer);
};

/** Serialises the model's topology and current weights (the model is not changed). */
export async function serializeModel(model: tf.LayersModel): Promise<ModelFiles> {
  let files: ModelFiles | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const modelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: 'Heracles Studio',
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: a.weightSpecs }],
      };
      files = { modelJson: JSON.stringify(modelJson), weights: bytesOf(a.weightData) };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!files) throw new Error('tfjs did not hand over the model artifacts');
  return files;
}
