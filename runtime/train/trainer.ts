/**
 * The training loop, environment-neutral (Node CLI, browser worker, tests). It owns: seeded shuffling,
 * the learning-rate schedule, label smoothing, gradient clipping, the NaN/Inf guard, early stopping with
 * the best weights kept in memory, a checkpoint after every epoch, resume from a checkpoint, time limits,
 * and a stream of progress events. Tensor count stays flat across steps and epochs.
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../data/bytes';
import type { Training } from '../document/schema';
import { ForecastAccumulator, classificationMetrics } from './metrics';
import type { ClassificationMetrics, ForecastMetrics } from './metrics';
import { Optimizer, clipByGlobalNorm, learningRateAt } from './optimizer';
import type { OptimizerState } from './optimizer';
import { batchGradients, lossOf, shardedGradients } from './helpers/shards';
import type { ShardHelpers } from './helpers/shards';
import type { SplitName, TaskData } from './task-data';

export { lossOf };

export interface TrainConfig extends Training {
  /** Stop (after the current batch) once this much time has passed. */
  maxMinutes?: number;
  /** Evaluate on the validation split after each epoch (default true when it has data). */
  validate?: boolean;
}

export interface BatchEvent {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  lr: number;
  samplesPerSec: number;
  /** Estimated seconds until training ends. */
  etaSeconds: number;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  valLoss?: number;
  /** accuracy (classification) or mse / mae (forecasting) on the validation split. */
  val?: Record<string, number>;
  lr: number;
  seconds: number;
}

export interface Checkpoint {
  /** Epochs completed. */
  epoch: number;
  weights: { name: string; shape: number[]; data: Float32Array }[];
  optimizer: OptimizerState;
  history: EpochRecord[];
  best?: { epoch: number; valLoss: number };
}

export interface TrainHooks {
  onBatch?(e: BatchEvent): void;
  onEpoch?(e: EpochRecord): void;
  /** Called after every epoch with a full checkpoint (weights, optimizer state, history). */
  onCheckpoint?(c: Checkpoint): void | Promise<void>;
  /** Polled between batches; return true to stop after the current batch. */
  shouldStop?(): boolean;
  /** Awaited between batches (e.g. to let a worker receive Pause/Resume messages). */
  yieldToHost?(): Promise<void>;
  /** Other threads that compute part of each batch (data parallelism, see shards.ts). */
  helpers?: ShardHelpers;
}

export type StopReason = 'completed' | 'early-stopping' | 'time-limit' | 'stopped' | 'diverged';

export interface TrainResult {
  stop: StopReason;
  /** Plain-language reason, set when training did not simply complete. */
  message?: string;
  history: EpochRecord[];
  epochs: number;
  seconds: number;
  /** The checkpoint the model's weights now come from (best or last good). */
  checkpoint?: Checkpoint;
}

/** Seeded PRNG so shuffles repeat exactly. */
export const rng = mulberry32;

export function shuffled(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const r = rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

const trainableVars = (model: tf.LayersModel): tf.Variable[] =>
  model.trainableWeights.map((w) => w.read() as tf.Variable);

/** Read asynchronously: synchronous reads stall GPU backends (and break WebGPU in a worker). */
export async function snapshotWeights(model: tf.LayersModel): Promise<Checkpoint['weights']> {
  return Promise.all(
    model.weights.map(async (w) => ({
      name: w.originalName,
      shape: w.shape as number[],
      data: (await w.read().data()) as Float32Array,
    })),
  );
}

export function restoreWeights(model: tf.LayersModel, weights: Checkpoint['weights']): void {
  if (weights.length !== model.weights.length)
    throw new Error(`the checkpoint has ${weights.length} weights, the model ${model.weights.length}`);
  const tensors = weights.map((w, i) => {
    const own = model.weights[i].shape as number[];
    if (own.join(',') !== w.shape.join(','))
      throw new Error(
        `checkpoint weight "${w.name}" has shape [${w.shape}], the model's "${model.weights[i].originalName}" has [${own}]`,
      );
    return tf.tensor(w.data, w.shape);
  });
  model.setWeights(tensors);
  tensors.forEach((t) => t.dispose());
}

export interface Evaluation {
  loss: number;
  classification?: ClassificationMetrics;
  forecasting?: ForecastMetrics;
  /** The headline numbers: accuracy, or mse and mae. */
  summary: Record<string, number>;
}

/** Runs the model over a whole split in inference mode. */
export async function evaluate(
  model: tf.LayersModel,
  data: TaskData,
  split: SplitName,
  batchSize = 256,
): Promise<Evaluation> {
  const n = data.size(split);
  let lossSum = 0;
  const logits = data.task === 'classification' ? new Float32Array(n * data.classes) : undefined;
  const labels = data.task === 'classification' ? new Int32Array(n) : undefined;
  const acc = data.task === 'forecasting' ? new ForecastAccumulator(data.horizon, data.channels) : undefined;
  for (let start = 0; start < n; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const { x, y } = data.batch(split, idx);
    const [pred, loss] = tf.tidy(() => {
      const p = model.predict(x) as tf.Tensor;
      return [p, lossOf(data, p, y)] as const;
    });
    lossSum += (await loss.data())[0] * idx.length;
    const p = (await pred.data()) as Float32Array;
    if (logits && labels) {
      logits.set(p, start * data.classes);
      labels.set((await y.data()) as Int32Array, start);
    } else acc?.add(p, (await y.data()) as Float32Array);
    tf.dispose([x, y, pred, loss]);
  }
  const loss = n ? lossSum / n : NaN;
  if (logits && labels) {
    const m = classificationMetrics(logits, labels, data.classes);
    return { loss, classification: m, summary: { accuracy: m.accuracy, top5: m.topK.top5 ?? m.accuracy } };
  }
  const f = (acc as ForecastAccumulator).result();
  return { loss, forecasting: f, summary: { mse: f.mse, mae: f.mae } };
}

/** The mean loss and the gradients of one batch, here or shared with the helpers when there are any. */
async function stepGradients(
  model: tf.LayersModel,
  vars: tf.Variable[],
  data: TaskData,
  idx: Int32Array,
  cfg: TrainConfig,
  helpers?: ShardHelpers,
): Promise<{ loss: number; grads: tf.Tensor[] }> {
  if (helpers && helpers.count > 0 && idx.length > 1)
    return shardedGradients(model, vars, data, idx, cfg.labelSmoothing, helpers);
  const { x, y } = data.batch('train', idx);
  const { value, grads } = batchGradients(model, vars, data, x, y, cfg.labelSmoothing);
  const loss = (await value.data())[0];
  tf.dispose([x, y, value]);
  return { loss, grads };
}

/** Trains `model` on `data`. Resumes from `resume` when given (weights, optimizer state, history). */
export async function train(
  model: tf.LayersModel,
  data: TaskData,
  cfg: TrainConfig,
  hooks: TrainHooks = {},
  resume?: Checkpoint,
): Promise<TrainResult> {
  const t0 = performance.now();
  const optimizer = new Optimizer({
    name: cfg.optimizer,
    weightDecay: cfg.weightDecay,
    momentum: cfg.momentum,
  });
  const vars = trainableVars(model);
  const n = data.size('train');
  if (n === 0) throw new Error('the training split is empty');
  const batches = Math.ceil(n / cfg.batchSize);
  const history: EpochRecord[] = resume ? [...resume.history] : [];
  let best = resume?.best;
  let bestWeights: Checkpoint['weights'] | undefined;
  let last: Checkpoint | undefined = resume;
  if (resume) {
    restoreWeights(model, resume.weights);
    optimizer.setState(resume.optimizer);
  } else
    last = {
      epoch: 0,
      weights: await snapshotWeights(model),
      optimizer: await optimizer.getState(),
      history: [],
    };
  const validate = (cfg.validate ?? true) && data.size('val') > 0;
  const deadline = cfg.maxMinutes ? t0 + cfg.maxMinutes * 60_000 : Infinity;
  const firstEpoch = resume?.epoch ?? 0;
  let sinceBest = 0;
  let stop: StopReason = 'completed';
  let message: string | undefined;
  let samplesDone = 0;
  let lr = cfg.learningRate;

  try {
    epochs: for (let epoch = firstEpoch; epoch < cfg.epochs; epoch++) {
      const te = performance.now();
      const order = shuffled(n, cfg.seed * 1000003 + epoch);
      let lossSum = 0;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        lr = learningRateAt(epoch + b / batches, {
          lr: cfg.learningRate,
          epochs: cfg.epochs,
          warmupEpochs: cfg.warmupEpochs,
          schedule: cfg.schedule,
        });
        const idx = order.subarray(b * cfg.batchSize, Math.min(n, (b + 1) * cfg.batchSize));
        const { loss, grads: gradList } = await stepGradients(model, vars, data, idx, cfg, hooks.helpers);
        if (!Number.isFinite(loss)) {
          tf.dispose(gradList);
          stop = 'diverged';
          message = `the loss became ${loss} at epoch ${epoch + 1}, batch ${b + 1}; training stopped and the weights of the last good checkpoint (epoch ${last?.epoch ?? 0}) were restored. Try a lower learning rate or gradient clipping.`;
          if (last) restoreWeights(model, last.weights);
          break epochs;
        }
        const clipped = await clipByGlobalNorm(gradList, cfg.gradClip);
        optimizer.apply(vars, clipped.grads, lr);
        tf.dispose(clipped.grads);
        lossSum += loss * idx.length;
        seen += idx.length;
        samplesDone += idx.length;
        const elapsed = (performance.now() - t0) / 1000;
        const rate = samplesDone / Math.max(elapsed, 1e-6);
        const remaining = (cfg.epochs - epoch - 1) * n + (n - seen);
        hooks.onBatch?.({
          epoch: epoch + 1,
          batch: b + 1,
          batches,
          loss,
          lr,
          samplesPerSec: rate,
          etaSeconds: remaining / rate,
        });
        if (hooks.yieldToHost) await hooks.yieldToHost();
        if (hooks.shouldStop?.()) {
          stop = 'stopped';
          message = `stopped by the user at epoch ${epoch + 1}, batch ${b + 1}`;
          break epochs;
        }
        if (performance.now() > deadline) {
          stop = 'time-limit';
          message = `the time limit of ${cfg.maxMinutes} min was reached at epoch ${epoch + 1}, batch ${b + 1}`;
          break epochs;
        }
      }
      const record: EpochRecord = {
        epoch: epoch + 1,
        trainLoss: lossSum / seen,
        lr,
        seconds: (performance.now() - te) / 1000,
      };
      if (validate) {
        const ev = await evaluate(model, data, 'val', Math.max(cfg.batchSize, 128));
        record.valLoss = ev.loss;
        record.val = ev.summary;
      }
      history.push(record);
      hooks.onEpoch?.(record);
      if (validate && record.valLoss !== undefined && (!best || record.valLoss < best.valLoss)) {
        best = { epoch: epoch + 1, valLoss: record.valLoss };
        bestWeights = await snapshotWeights(model);
        sinceBest = 0;
      } else sinceBest++;
      last = {
        epoch: epoch + 1,
        weights: await snapshotWeights(model),
        optimizer: await optimizer.getState(),
        history: [...history],
        best,
      };
      await hooks.onCheckpoint?.(last);
      if (cfg.earlyStoppingPatience > 0 && validate && sinceBest >= cfg.earlyStoppingPatience) {
        stop = 'early-stopping';
        message = `validation loss did not improve for ${cfg.earlyStoppingPatience} epochs; keeping the best epoch (${best?.epoch})`;
        break;
      }
    }
    // Early stopping keeps the best weights it saw, whatever ended the run.
    if (cfg.earlyStoppingPatience > 0 && bestWeights && best) {
      restoreWeights(model, bestWeights);
      last = { ...(last as Checkpoint), weights: bestWeights };
    }
  } finally {
    optimizer.dispose();
  }
  return {
    stop,
    message,
    history,
    epochs: history.length,
    seconds: (performance.now() - t0) / 1000,
    checkpoint: last,
  };
}
