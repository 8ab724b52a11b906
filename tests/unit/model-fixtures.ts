/**
 * Compiled (untrained) preset models with the files a trained model folder carries, for export and
 * serving tests. Weights are the compiler's seeded initialisation plus seeded random batch-norm
 * statistics, so outputs are non-trivial and reproducible.
 */
import * as tf from '@tensorflow/tfjs';
import { adaptToData } from '../../runtime/document/adapt';
import type { HeraclesDocument } from '../../runtime/document/schema';
import { compileDocument } from '../../runtime/graph/compile';
import type { DataInfo, RunInfo } from '../../runtime/io/model-dir';
import { preset, randomArray } from './helpers';

export interface FixtureModel {
  model: tf.LayersModel;
  document: HeraclesDocument;
  data: DataInfo;
  run: RunInfo;
}

export const FIXTURE_CLASSES = [
  'T-shirt',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Boot',
];
export const FIXTURE_COLUMNS = ['HUFL', 'HULL', 'OT'];

function run(metrics: Record<string, unknown>): RunInfo {
  return {
    config: { epochs: 1 },
    history: [],
    stop: 'completed',
    seconds: 1,
    backend: 'wasm',
    metrics,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
  };
}

/** Gives batch-norm moving statistics seeded non-trivial values (they start at 0 and 1). */
function perturbStatistics(model: tf.LayersModel, seed: number): void {
  let s = seed;
  for (const w of model.weights)
    if (/moving_(mean|variance)/.test(w.name)) {
      const shape = w.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const r = randomArray(n, s++);
      const values = /variance/.test(w.name) ? r.map((v) => 1 + 0.5 * v) : r.map((v) => 0.2 * v);
      const t = tf.tensor(values, shape);
      w.write(t);
      t.dispose();
    }
}

/** heracles-tiny: 28×28×1 images, 10 classes. */
export function tinyClassifier(seed = 1): FixtureModel {
  const document = preset('heracles-tiny');
  const { model } = compileDocument(document, { seed });
  perturbStatistics(model, seed);
  return {
    model,
    document,
    data: {
      task: 'classification',
      source: 'fixture',
      inputShape: [28, 28, 1],
      classNames: FIXTURE_CLASSES,
    },
    run: run({ accuracy: 0.8125, loss: 0.5 }),
  };
}

/** heracles-ts adapted to 3 columns with a short lookback and horizon. */
export function tinyForecaster(seed = 1, lookback = 32, horizon = 8): FixtureModel {
  const r = adaptToData(
    preset('heracles-ts'),
    { task: 'forecasting', channels: FIXTURE_COLUMNS.length },
    { lookback, horizon },
  );
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('\n'));
  const { model } = compileDocument(r.doc, { seed });
  perturbStatistics(model, seed);
  return {
    model,
    document: r.doc,
    data: {
      task: 'forecasting',
      source: 'fixture.csv',
      inputShape: [lookback, FIXTURE_COLUMNS.length],
      columns: FIXTURE_COLUMNS,
      mean: [10, -2, 30],
      std: [2, 0.5, 4],
      lookback,
      horizon,
    },
    run: run({ mse: 0.4, mae: 0.45 }),
  };
}
