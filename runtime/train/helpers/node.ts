/**
 * Gradient helpers on Node worker threads (the Node adapter of `shards.ts`). tfjs's wasm backend runs on
 * one thread in Node, so a second core only helps when a second thread trains too: each helper loads its
 * own backend, compiles the same document and computes its shard of every batch.
 *
 * Weights go to the helpers through one SharedArrayBuffer (written here before each step), gradients come
 * back through one SharedArrayBuffer per helper; messages carry only the shard's data and the loss.
 */
import type * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { NodeBackend } from '../../backend/node';
import type { HeraclesDocument } from '../../document/schema';
import { backbonesOf } from '../../graph/backbone';
import type { LossTask, ShardBatch, ShardHelpers, ShardResult } from './shards';

/** What a helper thread starts from (its `workerData`). */
export interface HelperInit {
  document: HeraclesDocument;
  /** The trained documents the document's backbone nodes refer to (see `backbonesOf`). */
  backbones: Record<string, HeraclesDocument>;
  backend: NodeBackend;
  trusted: boolean;
  task: LossTask;
  /** Every weight of the model (trainable or not), in `model.weights` order. */
  initial: { name: string; shape: number[]; data: Float32Array }[];
  /** Shapes of the trainable weights, in order; their data lives in `weights` / `grads`. */
  trainable: number[][];
  weights: SharedArrayBuffer;
  grads: SharedArrayBuffer;
}

export type ToHelper = { type: 'step'; shard: ShardBatch; labelSmoothing: number } | { type: 'close' };
export type FromHelper =
  { type: 'ready' } | { type: 'done'; loss: number } | { type: 'error'; message: string };

/** Offsets (in floats) of each trainable weight in the shared buffers, and the total. */
export function layoutOf(shapes: number[][]): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const s of shapes) {
    offsets.push(total);
    total += s.reduce((a, b) => a * b, 1);
  }
  return { offsets, total };
}

/**
 * How many helper threads `heracles train` uses by default: one per extra core (at most 3), when batches
 * are big enough to split (≥ 16 samples a shard) and there are enough of them to repay the start-up
 * (about a second per helper).
 */
export function defaultHelperCount(
  batchSize: number,
  trainSamples: number,
  cores = availableParallelism(),
): number {
  if (trainSamples < 50 * batchSize) return 0;
  return Math.max(0, Math.min(cores - 1, 3, Math.floor(batchSize / 16) - 1));
}

interface Pending {
  resolve(loss: number): void;
  reject(e: Error): void;
}

class NodeHelper {
  readonly worker: Worker;
  readonly grads: Float32Array;
  #pending: Pending | null = null;
  #failure: Error | null = null;

  constructor(init: HelperInit, index: number) {
    this.grads = new Float32Array(init.grads);
    this.worker = new Worker(new URL('./entry.js', import.meta.url), { workerData: init });
    const fail = (e: Error) => {
      this.#failure = new Error(`gradient helper ${index + 1}: ${e.message}`);
      this.#pending?.reject(this.#failure);
      this.#pending = null;
    };
    this.worker.on('message', (m: FromHelper) => {
      if (m.type === 'error') fail(new Error(m.message));
      else if (this.#pending) {
        this.#pending.resolve(m.type === 'done' ? m.loss : NaN);
        this.#pending = null;
      }
    });
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (this.#pending) fail(new Error(`the thread exited (code ${code})`));
    });
  }

  /** Sends a message and waits for the helper's answer. */
  request(m: ToHelper | null): Promise<number> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      if (m) this.worker.postMessage(m);
    });
  }
}

/**
 * Starts `count` helper threads for `model` (compiled from `document`), each with a replica of every weight
 * the model has now; resolves once all have compiled their replica.
 */
export async function startNodeHelpers(
  count: number,
  opts: {
    model: tf.LayersModel;
    document: HeraclesDocument;
    backend: NodeBackend;
    trusted?: boolean;
    task: LossTask;
  },
): Promise<ShardHelpers> {
  const { model } = opts;
  const trainable = model.trainableWeights.map((w) => w.shape as number[]);
  const { offsets, total } = layoutOf(trainable);
  const weights = new SharedArrayBuffer(total * 4);
  const initial = await Promise.all(
    model.weights.map(async (w) => ({
      name: w.originalName,
      shape: w.shape as number[],
      data: (await w.read().data()) as Float32Array,
    })),
  );
  const helpers = Array.from(
    { length: count },
    (_, i) =>
      new NodeHelper(
        {
          document: opts.document,
          backbones: backbonesOf(opts.document),
          backend: opts.backend,
          trusted: opts.trusted ?? false,
          task: { task: opts.task.task, classes: opts.task.classes },
          initial,
          trainable,
          weights,
          grads: new SharedArrayBuffer(total * 4),
        },
        i,
      ),
  );
  const close = async () => {
    await Promise.all(helpers.map((h) => h.worker.terminate()));
  };
  try {
    await Promise.all(helpers.map((h) => h.request(null)));
  } catch (e) {
    await close();
    throw e;
  }
  const shared = new Float32Array(weights);
  return {
    count,
    async step(
      current: Float32Array[],
      shards: ShardBatch[],
      labelSmoothing: number,
    ): Promise<ShardResult[]> {
      current.forEach((w, i) => shared.set(w, offsets[i]));
      const losses = await Promise.all(
        shards.map((shard, k) => helpers[k].request({ type: 'step', shard, labelSmoothing })),
      );
      return losses.map((loss, k) => ({
        loss,
        grads: offsets.map((start, i) => helpers[k].grads.subarray(start, offsets[i + 1] ?? total)),
      }));
    },
    close,
  };
}
