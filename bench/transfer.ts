/**
 * Transfer experiments: a trained backbone fine-tuned on a small or different data set against the same
 * model trained from scratch (images: MNIST → 1,000 Fashion-MNIST images; series: ETTm1 → ETTh1).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadDataPath } from '../runtime/data/node';
import type { ImageSet, ImageSplits } from '../runtime/data/types';
import { loadBackboneWeights } from '../runtime/graph/backbone';
import { compileDocument } from '../runtime/graph/compile';
import { readNamedWeights, registerNodeBackbones, saveModel } from '../runtime/io/model-dir';
import { imageTaskData, seriesTaskData } from '../runtime/train/task-data';
import { evaluate } from '../runtime/train/trainer';
import { DATA, SCALE, base, epochsFor, fit, logEpoch, pct, preset, trainThreaded } from './accuracy-run';
import { log } from './util';
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

/**
 * Forecasting transfer through the product's own template: heracles-ts trained on ETTm1 is saved like
 * `heracles train --out` does, `transfer-etth1-from-ettm1` loads it (PretrainedBackbone, patch embedding
 * frozen) and fine-tunes on ETTh1; the same heracles-ts trained from scratch on ETTh1 with the same recipe
 * is the control.
 */
export async function transferEtt(): Promise<BenchResult> {
  const t0 = performance.now();
  const source = await loadDataPath(path.join(DATA, 'ett/ETTm1.csv.gz'));
  const target = await loadDataPath(path.join(DATA, 'ett/ETTh1.csv'));
  if (source.kind !== 'series' || target.kind !== 'series') throw new Error('expected two series');
  const window = { lookback: 96, horizon: 96 };
  const sourceTask = seriesTaskData(source, window.lookback, window.horizon);
  const targetTask = seriesTaskData(target, window.lookback, window.horizon);

  // 1. Backbone: heracles-ts on ETTm1's training months (the same calendar months as ETTh1's, so nothing
  //    of ETTh1's validation or test period is seen).
  const ts = fit(preset('heracles-ts'), source, window);
  const budget = 8 * SCALE;
  const epochs = Math.min(ts.training.epochs, (await epochsFor(ts, sourceTask, budget)).epochs);
  const backbone = compileDocument(ts).model;
  log(`backbone: heracles-ts on ETTm1 for ${epochs} epoch(s)`);
  const pre = await trainThreaded(
    backbone,
    ts,
    sourceTask,
    { ...ts.training, epochs, maxMinutes: budget * 1.1 },
    { onEpoch: logEpoch },
  );
  const sourceMse = (await evaluate(backbone, sourceTask, 'test')).summary.mse;
  const dir = mkdtempSync(path.join(tmpdir(), 'heracles-ettm1-'));
  await saveModel(dir, backbone, {
    document: ts,
    data: {
      task: 'forecasting',
      source: 'ETTm1.csv.gz',
      inputShape: [window.lookback, source.channels],
      ...window,
    },
    run: {
      config: {},
      history: pre.history,
      stop: pre.stop,
      seconds: pre.seconds,
      backend: 'wasm',
      startedAt: '',
    },
  });
  backbone.dispose();

  // 2. The template, pointed at that folder, fine-tuned on ETTh1.
  registerNodeBackbones();
  const template = preset('transfer-etth1-from-ettm1');
  const node = template.nodes.find((n) => n.type === 'PretrainedBackbone');
  if (!node) throw new Error('transfer-etth1-from-ettm1 has no PretrainedBackbone');
  node.params.path = dir;
  const tuneDoc = fit(template, target, window);
  const recipe = { ...tuneDoc.training, maxMinutes: 10 * SCALE };
  const tuned = compileDocument(tuneDoc).model;
  const copied = await loadBackboneWeights(tuned, tuneDoc, readNamedWeights);
  log(`fine-tuning transfer-etth1-from-ettm1 on ETTh1 (${copied} weights copied)`);
  const tunedRun = await trainThreaded(tuned, tuneDoc, targetTask, recipe, { onEpoch: logEpoch });
  const tunedTest = (await evaluate(tuned, targetTask, 'test')).summary;
  tuned.dispose();

  // 3. Control: heracles-ts from scratch on ETTh1 with the template's recipe.
  const scratchDoc = fit(preset('heracles-ts'), target, window);
  scratchDoc.training = { ...tuneDoc.training };
  const scratch = compileDocument(scratchDoc).model;
  log('heracles-ts from scratch on ETTh1, same recipe');
  const scratchRun = await trainThreaded(scratch, scratchDoc, targetTask, recipe, { onEpoch: logEpoch });
  const scratchTest = (await evaluate(scratch, targetTask, 'test')).summary;
  scratch.dispose();
  rmSync(dir, { recursive: true, force: true });
  tf.disposeVariables();

  const mse = (s: Record<string, number>) => `${s.mse.toFixed(3)} / ${s.mae.toFixed(3)}`;
  const t = tuneDoc.training;
  return {
    ...base(
      'transfer-ett',
      'Transfer: ETTm1 backbone → ETTh1 (horizon 96)',
      'fine-tuned and from-scratch test MSE both reported',
    ),
    headline: `fine-tuned MSE ${tunedTest.mse.toFixed(3)} vs from scratch ${scratchTest.mse.toFixed(3)} (same recipe, ≤ ${t.epochs} epochs)`,
    pass: null,
    tables: [
      {
        caption: 'test MSE / MAE on train-standardised values, lookback 96, horizon 96',
        headers: ['run', 'training data', 'epochs', 'minutes', 'test MSE / MAE'],
        rows: [
          [
            'backbone (heracles-ts)',
            'ETTm1 train',
            pre.epochs,
            (pre.seconds / 60).toFixed(1),
            `(ETTm1 test MSE ${sourceMse.toFixed(3)})`,
          ],
          [
            'from scratch (heracles-ts)',
            'ETTh1 train',
            scratchRun.epochs,
            (scratchRun.seconds / 60).toFixed(1),
            mse(scratchTest),
          ],
          [
            'fine-tuned (`transfer-etth1-from-ettm1`)',
            'ETTh1 train',
            tunedRun.epochs,
            (tunedRun.seconds / 60).toFixed(1),
            mse(tunedTest),
          ],
        ],
      },
    ],
    notes: [
      `The fine-tuned run goes through the template as a user would: its PretrainedBackbone node points at the saved ETTm1 model, ${copied} trained weights are copied in, the patch embedding stays frozen and a new forecast head is trained. Both ETTh1 runs use the template's recipe (AdamW, lr ${t.learningRate}, cosine, up to ${t.epochs} epochs, early stopping with patience ${t.earlyStoppingPatience} keeping the best validation weights, seed ${t.seed}).`,
      "ETTm1 and ETTh1 record the same transformer station every 15 minutes and every hour; their standard splits cover the same months, so the backbone never sees ETTh1's validation or test period. heracles-ts with its own, longer recipe is the `etth1-96` row.",
    ],
    data: {
      sourceMse,
      tuned: tunedTest,
      scratch: scratchTest,
      tunedEpochs: tunedRun.epochs,
      scratchEpochs: scratchRun.epochs,
    },
    seconds: (performance.now() - t0) / 1000,
  };
}
