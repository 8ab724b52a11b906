/**
 * Data parallelism for one training step, environment-neutral: the batch is cut into shards, other threads
 * ("gradient helpers", each with its own replica of the model) compute the loss and gradients of all shards
 * but the first while this thread computes the first, and the shard gradients are averaged, weighted by
 * shard size — the same update one thread would make from the whole batch, up to BatchNorm, which sees each
 * shard's statistics (as in PyTorch's DistributedDataParallel).
 *
 * Parameter-server style: the optimizer runs here only, and every step sends the current weights to the
 * helpers, so replicas can never drift apart. The helpers themselves live behind `ShardHelpers`; the Node
 * adapter (`node-helpers.ts`) runs them on worker threads.
 */
import * as tf from '@tensorflow/tfjs';
import { heapView } from '../../backend/heap';
import type { TaskData } from '../task-data';

/** One shard's inputs and targets as plain arrays (they cross to another thread). */
export interface ShardBatch {
  x: Float32Array;
  xShape: number[];
  y: Float32Array | Int32Array;
  yShape: number[];
  yDtype: 'float32' | 'int32';
  /** The shard's share of the batch (its size over the batch's): its loss is weighted by it. */
  weight: number;
}

export interface ShardResult {
  /** Mean loss over the shard, times its weight. */
  loss: number;
  /** Gradient of that weighted loss, one array per trainable weight, in the model's order. */
  grads: Float32Array[];
}

export interface ShardHelpers {
  /** How many helpers there are (shards per step is one more). */
  readonly count: number;
  /**
   * Computes `shards[i]` on helper i with these trainable weights (read before the call returns: they may
   * be views of wasm memory); resolves with each shard's loss and gradients (the arrays are only valid
   * until the next call).
   */
  step(weights: Float32Array[], shards: ShardBatch[], labelSmoothing: number): Promise<ShardResult[]>;
  close(): Promise<void>;
}

/** What the loss needs to know about the task (helpers have no data set, only this). */
export type LossTask = Pick<TaskData, 'task' | 'classes'>;

/** The training loss of a batch: cross-entropy (with label smoothing) or mean squared error. */
export function lossOf(data: LossTask, pred: tf.Tensor, y: tf.Tensor, labelSmoothing = 0): tf.Scalar {
  if (data.task === 'classification') {
    const onehot = tf.oneHot(y as tf.Tensor1D, data.classes);
    return tf.losses.softmaxCrossEntropy(onehot, pred, undefined, labelSmoothing) as tf.Scalar;
  }
  return tf.losses.meanSquaredError(y, pred) as tf.Scalar;
}

/**
 * Loss and gradients of one batch on this thread (the caller disposes the gradients), of the loss times
 * `weight` when given: a shard's weighted gradients add up to the whole batch's.
 */
export function batchGradients(
  model: tf.LayersModel,
  vars: tf.Variable[],
  task: LossTask,
  x: tf.Tensor,
  y: tf.Tensor,
  labelSmoothing: number,
  weight = 1,
): { value: tf.Scalar; grads: tf.Tensor[] } {
  const { value, grads } = tf.variableGrads(() => {
    const loss = lossOf(task, model.apply(x, { training: true }) as tf.Tensor, y, labelSmoothing);
    return weight === 1 ? loss : tf.mul(loss, weight);
  }, vars);
  return { value, grads: vars.map((v) => grads[v.name]) };
}

/** Cuts `idx` into at most `parts` contiguous shards of near-equal size (none empty). */
export function splitBatch(idx: Int32Array, parts: number): Int32Array[] {
  const n = Math.min(parts, idx.length);
  const out: Int32Array[] = [];
  for (let i = 0; i < n; i++)
    out.push(idx.subarray(Math.floor((i * idx.length) / n), Math.floor(((i + 1) * idx.length) / n)));
  return out;
}

async function toShard(x: tf.Tensor, y: tf.Tensor, weight: number): Promise<ShardBatch> {
  return {
    weight,
    x: (await x.data()) as Float32Array,
    xShape: x.shape,
    y: (await y.data()) as Float32Array | Int32Array,
    yShape: y.shape,
    yDtype: y.dtype === 'int32' ? 'int32' : 'float32',
  };
}

/**
 * The loss and gradients of the batch `idx`, computed on this thread and the helpers in parallel. The
 * returned gradients are new tensors the caller disposes.
 */
export async function shardedGradients(
  model: tf.LayersModel,
  vars: tf.Variable[],
  data: TaskData,
  idx: Int32Array,
  labelSmoothing: number,
  helpers: ShardHelpers,
): Promise<{ loss: number; grads: tf.Tensor[] }> {
  const [own, ...others] = splitBatch(idx, helpers.count + 1);
  const shards = await Promise.all(
    others.map(async (part) => {
      const { x, y } = data.batch('train', part);
      try {
        return await toShard(x, y, part.length / idx.length);
      } finally {
        tf.dispose([x, y]);
      }
    }),
  );
  // On wasm, views of the weights in its memory: step() copies them out before anything allocates again.
  const views = vars.map(heapView);
  const weights = views.every((w) => w != null)
    ? (views as Float32Array[])
    : ((await Promise.all(vars.map((v) => v.data()))) as Float32Array[]);
  // The helpers start now; this thread computes its own shard meanwhile.
  const pending = shards.length ? helpers.step(weights, shards, labelSmoothing) : Promise.resolve([]);
  const { x, y } = data.batch('train', own);
  const local = batchGradients(model, vars, data, x, y, labelSmoothing, own.length / idx.length);
  tf.dispose([x, y]);
  let results: ShardResult[];
  try {
    results = await pending;
  } catch (e) {
    tf.dispose([local.value, ...local.grads]);
    throw e;
  }
  // Every shard's loss was weighted by its share of the batch, so the sums are the whole batch's mean
  // loss and gradients. The helpers' arrays are only read inside this tidy (the next step overwrites
  // them), by kernels of this thread's backend.
  let loss = (await local.value.data())[0];
  results.forEach((r) => (loss += r.loss));
  const grads = tf.tidy(() =>
    local.grads.map((g, i) =>
      results.reduce((sum, r) => tf.add(sum, tf.tensor(r.grads[i], g.shape, 'float32')), g),
    ),
  );
  // (Without helper shards the sums are the local gradients themselves: those stay.)
  tf.dispose([local.value, ...local.grads.filter((g, i) => g !== grads[i])]);
  return { loss, grads };
}
