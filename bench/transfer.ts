/**
 * Transfer experiments: a trained backbone fine-tuned on a small or different data set against the same
 * model trained from scratch.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { loadDataPath } from '../runtime/data/node';
import type { ImageSet, ImageSplits } from '../runtime/data/types';
import { compileDocument } from '../runtime/graph/compile';
import { imageTaskData } from '../runtime/train/task-data';
import { evaluate } from '../runtime/train/trainer';
import { DATA, SCALE, base, epochsFor, fit, pct, preset, trainThreaded } from './accuracy-run';
import type { BenchResult } from './util';

/** The first `n` images of a set (a fixed, reproducible subset). */
const firstImages = (s: ImageSet, n: number): ImageSet => {
  const per = s.shape.reduce((a, b) => a * b, 1);
  return { ...s, count: n, pixels: s.pixels.slice(0, n * per), labels: s.labels.slice(0, n) };
};

export async function transfer(): Promise<BenchResult> {
  const t0 = performance.now();
  const mnist = (await loadDataPath(path.join(DATA, 'mnist'))) as ImageSplits;
  const fashion = (await loadDataPath(path.join(DATA, 'fashion-mnist'))) as ImageSplits;
  const tiny = fit(preset('heracles-tiny'), mnist);
  // 1. Backbone: heracles-tiny on MNIST.
  const backboneRun = compileDocument(tiny).model;
  const bb = await trainThreaded(backboneRun, tiny, imageTaskData(mnist), {
    ...tiny.training,
    epochs: (await epochsFor(tiny, imageTaskData(mnist), 10 * SCALE)).epochs,
    maxMinutes: 11 * SCALE,
  });
  const backboneAcc = (await evaluate(backboneRun, imageTaskData(mnist), 'test')).summary.accuracy;
  // 2. Fine-tune vs scratch on 1,000 Fashion-MNIST images, same epochs.
  const small = {
    train: firstImages(fashion.train, 1000),
    val: firstImages(fashion.val, 500),
    test: fashion.test,
  };
  const data = imageTaskData(small);
  const epochs = 15;
  const cfg = { ...tiny.training, epochs, warmupEpochs: 0 };
  const scratch = compileDocument(tiny).model;
  await trainThreaded(scratch, tiny, data, cfg);
  const scratchAcc = (await evaluate(scratch, data, 'test')).summary.accuracy;
  // Fine-tuned: every trained MNIST weight except the classifier head's, which starts fresh.
  const tuned = compileDocument(tiny).model;
  const fresh = tuned.getWeights();
  const trained = backboneRun.getWeights();
  tuned.setWeights(tuned.weights.map((w, i) => (w.originalName.startsWith('head/') ? fresh[i] : trained[i])));
  await trainThreaded(tuned, tiny, data, { ...cfg, learningRate: cfg.learningRate / 2 });
  const tunedAcc = (await evaluate(tuned, data, 'test')).summary.accuracy;
  [backboneRun, scratch, tuned].forEach((m) => m.dispose());
  tf.disposeVariables();
  return {
    ...base(
      'transfer',
      'Transfer: MNIST backbone → 1,000 Fashion-MNIST images',
      'fine-tuned and from-scratch test accuracy both reported',
    ),
    headline: `fine-tuned ${pct(tunedAcc)} vs from scratch ${pct(scratchAcc)} (${epochs} epochs each)`,
    pass: null,
    tables: [
      {
        headers: ['run', 'training data', 'epochs', 'Fashion-MNIST test accuracy'],
        rows: [
          ['backbone (heracles-tiny)', 'MNIST, all 55,000', bb.epochs, `(MNIST test ${pct(backboneAcc)})`],
          ['from scratch', 'Fashion-MNIST, first 1,000', epochs, pct(scratchAcc)],
          ['fine-tuned from the MNIST backbone', 'Fashion-MNIST, first 1,000', epochs, pct(tunedAcc)],
        ],
      },
    ],
    notes: [
      'Fine-tuning starts from every MNIST weight except the classifier head (new, freshly initialised) with half the learning rate; from scratch uses the seeded initialisation of the same document.',
    ],
    data: { backboneAcc, scratchAcc, tunedAcc, epochs },
    seconds: (performance.now() - t0) / 1000,
  };
}
