/**
 * The body of a gradient-helper thread (see node.ts): compiles the document on its own backend, takes the
 * main thread's weights before every step and writes its shard's mean gradients into shared memory.
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { copyInto, setVariable } from '../../backend/heap';
import { initNodeBackend } from '../../backend/node';
import { registerNotebookCode } from '../../custom/code-block';
import { registerBackboneResolver } from '../../graph/backbone';
import { compileDocument } from '../../graph/compile';
import { restoreWeights } from '../trainer';
import type { FromHelper, HelperInit, ToHelper } from './node';
import { layoutOf } from './node';
import { batchGradients } from './shards';

const port = parentPort as NonNullable<typeof parentPort>;
const send = (m: FromHelper) => port.postMessage(m);

async function start(init: HelperInit) {
  await initNodeBackend(init.backend);
  if (init.trusted) {
    const code = registerNotebookCode(init.document, { trusted: true });
    if (code.errors.length) throw new Error(code.errors.map((e) => e.message).join('; '));
  }
  registerBackboneResolver((ref) => init.backbones[ref]);
  const { model } = compileDocument(init.document);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const shapes = (list: number[][]) => list.map((s) => `[${s.join(', ')}]`).join(' ');
  const mine = shapes(vars.map((v) => v.shape));
  if (mine !== shapes(init.trainable))
    throw new Error(
      `the replica's trainable weights differ from the model's: ${mine} instead of ${shapes(init.trainable)}`,
    );
  restoreWeights(model, init.initial);
  const { offsets, total } = layoutOf(init.trainable);
  const weights = new Float32Array(init.weights);
  const grads = new Float32Array(init.grads);
  const range = (i: number) => [offsets[i], offsets[i + 1] ?? total] as const;

  port.on('message', (m: ToHelper) => {
    if (m.type === 'close') {
      port.close();
      return;
    }
    try {
      vars.forEach((v, i) => setVariable(v, weights.subarray(...range(i))));
      const { shard } = m;
      const x = tf.tensor(shard.x, shard.xShape, 'float32');
      const y = tf.tensor(shard.y, shard.yShape, shard.yDtype);
      const step = batchGradients(model, vars, init.task, x, y, m.labelSmoothing, shard.weight);
      const loss = step.value.dataSync()[0];
      step.grads.forEach((g, i) => copyInto(g, grads, range(i)[0]));
      tf.dispose([x, y, step.value, ...step.grads]);
      send({ type: 'done', loss });
    } catch (e) {
      send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  });
  send({ type: 'ready' });
}

start(workerData as HelperInit).catch((e) =>
  send({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
);
