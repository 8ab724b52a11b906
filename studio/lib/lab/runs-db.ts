/**
 * Run history and checkpoints in IndexedDB (database `heracles-lab`, apart from the editor's autosave).
 *
 * - `runs`: one record per training run: the document as it was trained, where the data came from, the
 *   hyper-parameters, the curves (per-batch loss, downsampled; per-epoch records), the final metrics.
 *   A run whose tab closed mid-training stays `running` in the store: that is how the studio knows it
 *   can offer to resume it.
 * - `checkpoints`: the last checkpoint of each run (weights, optimizer state, history), by run id,
 *   written after every epoch. Kept apart so that listing runs never reads megabytes of weights.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Training } from '$runtime/document/schema';
import type { Checkpoint, EpochRecord, StopReason } from '$runtime/train/trainer';

/** `failed`: the worker hit an error (the message says which); the last checkpoint is kept. */
export type RunStatus = 'running' | StopReason | 'failed';

/** Where a run's data came from: enough to load it again (demo sets) or to name the file to reload. */
export interface DataRef {
  source: string;
  kind: 'images' | 'series';
  /** Set for the built-in demo sets, which can be regenerated exactly. */
  demo?: 'shapes' | 'series';
  seed: number;
  /** Image splits: the val and test fractions the data was cut with. */
  valFraction?: number;
  testFraction?: number;
  lookback?: number;
  horizon?: number;
  samples: { train: number; val: number; test: number };
}

export interface RunRecord {
  id: string;
  name: string;
  /** ms since the epoch. */
  created: number;
  updated: number;
  status: RunStatus;
  message?: string;
  /** The document as it was trained, as JSON text (exactly what was compiled). */
  document: string;
  data: DataRef;
  training: Training;
  /** e.g. "webgpu", "wasm". */
  backend: string;
  /** Loss per batch as [global step, loss] pairs, thinned to at most `MAX_BATCH_POINTS`. */
  batchLoss: [number, number][];
  epochs: EpochRecord[];
  /** Test-split metrics of the final weights. */
  test?: Record<string, number>;
  /** Epochs completed in the last stored checkpoint (0 = none). */
  checkpointEpoch: number;
  seconds: number;
}

interface LabDB extends DBSchema {
  runs: { key: string; value: RunRecord; indexes: { created: number } };
  checkpoints: { key: string; value: Checkpoint };
}

export const MAX_BATCH_POINTS = 2000;

/**
 * Adds a [step, loss] point, keeping at most `max` points: when full, every other point is dropped
 * (the curve keeps its shape and start; recent points are never dropped).
 */
export function appendThinned(points: [number, number][], point: [number, number], max = MAX_BATCH_POINTS) {
  points.push(point);
  if (points.length > max) {
    const kept: [number, number][] = [];
    for (let i = 0; i < points.length - 1; i += 2) kept.push(points[i]);
    kept.push(points[points.length - 1]);
    points.length = 0;
    points.push(...kept);
  }
  return points;
}

/** A sortable, unique run id: time plus a random suffix. */
export const newRunId = (now = Date.now()): string =>
  `run-${now.toString(36)}-${Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0')}`;

/** The most recent run that was still training when its tab went away and has a checkpoint to go on from. */
export function interruptedRun(runs: readonly RunRecord[]): RunRecord | undefined {
  return runs
    .filter((r) => r.status === 'running' && r.checkpointEpoch > 0 && r.checkpointEpoch < r.training.epochs)
    .sort((a, b) => b.updated - a.updated)[0];
}

/** The headline metric of a run for lists: val accuracy / mse of the last epoch, or its test metric. */
export function headline(run: RunRecord): string {
  const m = run.test ?? run.epochs[run.epochs.length - 1]?.val;
  if (!m) return '—';
  if (m.accuracy !== undefined) return `acc ${(m.accuracy * 100).toFixed(1)}%`;
  if (m.mse !== undefined) return `mse ${m.mse.toFixed(3)}`;
  return '—';
}

export class RunsDB {
  #db: Promise<IDBPDatabase<LabDB>>;

  constructor(name = 'heracles-lab') {
    this.#db = openDB<LabDB>(name, 1, {
      upgrade(db) {
        const runs = db.createObjectStore('runs', { keyPath: 'id' });
        runs.createIndex('created', 'created');
        db.createObjectStore('checkpoints');
      },
    });
  }

  async put(run: RunRecord): Promise<void> {
    await (await this.#db).put('runs', run);
  }

  async get(id: string): Promise<RunRecord | undefined> {
    return (await this.#db).get('runs', id);
  }

  /** All runs, newest first. */
  async list(): Promise<RunRecord[]> {
    return (await (await this.#db).getAllFromIndex('runs', 'created')).reverse();
  }

  /** Stores `checkpoint` as the run's latest and records its epoch on the run, in one transaction. */
  async saveCheckpoint(runId: string, checkpoint: Checkpoint, run: RunRecord): Promise<void> {
    const db = await this.#db;
    const tx = db.transaction(['runs', 'checkpoints'], 'readwrite');
    await Promise.all([
      tx.objectStore('checkpoints').put(checkpoint, runId),
      tx.objectStore('runs').put({ ...run, checkpointEpoch: checkpoint.epoch, updated: Date.now() }),
      tx.done,
    ]);
  }

  async checkpoint(runId: string): Promise<Checkpoint | undefined> {
    return (await this.#db).get('checkpoints', runId);
  }

  /** Deletes a run and its checkpoint. */
  async delete(runId: string): Promise<void> {
    const db = await this.#db;
    const tx = db.transaction(['runs', 'checkpoints'], 'readwrite');
    await Promise.all([
      tx.objectStore('runs').delete(runId),
      tx.objectStore('checkpoints').delete(runId),
      tx.done,
    ]);
  }
}

/**
 * Per-epoch curves of several runs on one x axis (the union of their epochs), for uPlot: a run without a
 * value at an epoch gets null there. `metric` is 'trainLoss', 'valLoss' or a validation metric name.
 */
export function overlayEpochs(runs: readonly RunRecord[], metric: string): (number | null)[][] {
  const xs = [...new Set(runs.flatMap((r) => r.epochs.map((e) => e.epoch)))].sort((a, b) => a - b);
  const value = (e: EpochRecord): number | null => {
    const v = metric === 'trainLoss' ? e.trainLoss : metric === 'valLoss' ? e.valLoss : e.val?.[metric];
    return v === undefined || !Number.isFinite(v) ? null : v;
  };
  return [
    xs,
    ...runs.map((r) => {
      const byEpoch = new Map(r.epochs.map((e) => [e.epoch, value(e)]));
      return xs.map((x) => byEpoch.get(x) ?? null);
    }),
  ];
}

/** The metrics two runs can be compared on: losses plus the validation metrics they both have. */
export function comparableMetrics(runs: readonly RunRecord[]): string[] {
  const sets = runs.map((r) => new Set(r.epochs.flatMap((e) => Object.keys(e.val ?? {}))));
  const shared = sets.length ? [...sets[0]].filter((k) => sets.every((s) => s.has(k))) : [];
  return ['trainLoss', 'valLoss', ...shared];
}
