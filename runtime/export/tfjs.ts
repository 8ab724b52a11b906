/**
 * The tfjs export: a trained model as a self-contained folder (zipped by `zipFiles`) that stock
 * TensorFlow.js loads once `heracles-layers.js` has registered our custom layers. It is also a model DIR:
 * unzipped, `heracles eval/predict/serve` read it. Environment-neutral: the loader text is passed in
 * (Node: `bundleLayersLoader()`, studio: `virtual:heracles-layers-loader`).
 */
import type * as tf from '@tensorflow/tfjs';
import type { HeraclesDocument } from '../document/schema';
import type { DataInfo, RunInfo } from '../io/model-dir';
import { WEIGHTS_FILE, serializeModel } from '../io/model-artifacts';
import type { ExportFiles } from './zip';

export const TFJS_LOADER_FILE = 'heracles-layers.js';

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

export async function exportTfjs(
  model: tf.LayersModel,
  files: { document: HeraclesDocument; data: DataInfo; run?: RunInfo },
  loaderSource: string,
): Promise<ExportFiles> {
  const { modelJson, weights } = await serializeModel(model);
  const out: ExportFiles = new Map();
  out.set('README.md', readme(files.document, files.data));
  out.set('model.json', modelJson);
  out.set(WEIGHTS_FILE, weights);
  out.set(TFJS_LOADER_FILE, loaderSource);
  out.set('document.heracles.json', json(files.document));
  out.set('data.json', json(files.data));
  if (files.run) out.set('run.json', json(files.run));
  return out;
}

function readme(doc: HeraclesDocument, data: DataInfo): string {
  const shape = `[batch, ${data.inputShape.join(', ')}]`;
  const output =
    data.task === 'classification'
      ? `logits \`[batch, ${data.classNames?.length ?? '?'}]\` (apply softmax for probabilities); the class ` +
        `names, in order, are in \`data.json\` → \`classNames\`. Images are scaled to [0, 1] (pixel / 255).`
      : `the forecast \`[batch, ${data.horizon ?? '?'}, ${data.columns?.length ?? '?'}]\`. Inputs and ` +
        `outputs are standardised per column: \`(x - mean) / std\` with \`mean\`/\`std\` from \`data.json\`.`;
  return `# ${doc.metadata.name} — TensorFlow.js model

Exported by Heracles Studio. Input: \`${shape}\` float32. Output: ${output}

| file | what |
| --- | --- |
| \`model.json\`, \`${WEIGHTS_FILE}\` | the standard tfjs layers model |
| \`${TFJS_LOADER_FILE}\` | registers the Heracles custom layers with your \`@tensorflow/tfjs\`; import it before loading |
| \`document.heracles.json\` | the model document (open it in the studio) |
| \`data.json\`, \`run.json\` | the data description (classes or columns, statistics) and the training run |

Browser (serve this folder over HTTP):

\`\`\`js
import * as tf from '@tensorflow/tfjs';
import './${TFJS_LOADER_FILE}';
const model = await tf.loadLayersModel('/model/model.json');
const y = model.predict(tf.zeros([1, ${data.inputShape.join(', ')}]));
\`\`\`

Node, with plain \`@tensorflow/tfjs\` (no file:// handler, so read the files yourself):

\`\`\`js
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import './${TFJS_LOADER_FILE}';
const { modelTopology, weightsManifest } = JSON.parse(readFileSync('model.json', 'utf8'));
const weightData = new Uint8Array(readFileSync('${WEIGHTS_FILE}')).buffer;
const weightSpecs = weightsManifest.flatMap((g) => g.weights);
const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }));
\`\`\`

The folder is also a Heracles model folder: \`heracles predict <folder> --input x.json\`, \`heracles serve <folder>\`.
`;
}
