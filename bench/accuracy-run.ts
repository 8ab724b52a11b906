/**
 * What the accuracy experiments share: the data folder, the time-budget scale, presets fitted to data, and
 * training runs sized by a pre-flight measurement of the step time, with as many threads as
 * `heracles train` uses here.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import type { DataSplits } from '../runtime/data/types';
import { adaptToData } from '../runtime/document/adapt';
import type { HeraclesDocument } from '../runtime/document/schema';
import { compileDocument } from '../runtime/graph/compile';
import { resolveDocument } from '../runtime/cli/documents';
import type { TaskData } from '../runtime/train/task-data';
import { defaultHelperCount, startNodeHelpers } from '../runtime/train/helpers/node';
import { evaluate, train } from '../runtime/train/trainer';
import type { TrainConfig, TrainHooks } from '../runtime/train/trainer';
import { ROOT, log } from './util';
import type { BenchResult } from './util';

export const DATA = process.env.HERACLES_DATA ?? path.resolve(ROOT, '../shared/data');
export const SCALE = Number(process.env.HERACLES_ACC_SCALE ?? 1);

export function preset(name: string): HeraclesDocument {
  const r = resolveDocument(name);
  if (!r.ok) throw new Error(`${name}: ${r.issues[0].message}`);
  return r.doc;
}

export function fit(
  doc: HeraclesDocument,
  data: DataSplits,
  o: { lookback?: number; horizon?: number } = {},
): HeraclesDocument {
  const r = adaptToData(
    doc,
    data.kind === 'images'
      ? { task: 'classification', imageShape: data.train.shape, classes: data.train.classNames.length }
      : { task: 'forecasting', channels: data.channels },
    o,
  );
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('; '));
  return r.doc;
}

/**
 * `train` with as many threads as `heracles train` would use here (gradient helpers on the other cores);
 * `full` is the data the thread count is chosen for.
 */
export async function trainThreaded(
  model: tf.LayersModel,
  doc: HeraclesDocument,
  data: TaskData,
  cfg: TrainConfig,
  hooks: TrainHooks = {},
  full: TaskData = data,
): ReturnType<typeof train> {
  const count = defaultHelperCount(cfg.batchSize, full.size('train'));
  const helpers = count
    ? await startNodeHelpers(count, {
        model,
        document: doc,
        backend: 'wasm',
        task: data,
      })
    : undefined;
  try {
    return await train(model, data, cfg, { ...hooks, helpers });
  } finally {
    await helpers?.close();
  }
}

/** Threads that training uses on this machine (this one plus the helpers). */
export const threadsFor = (doc: HeraclesDocument, data: TaskData) =>
  1 + defaultHelperCount(doc.training.batchSize, data.size('train'));

/** Epochs that fit the budget, from the time of a few measured steps (the pre-flight check). */
/** Steps the pre-flight runs; the last 25 are timed. */
const PREFLIGHT_STEPS = 40;

export async function epochsFor(
  doc: HeraclesDocument,
  data: TaskData,
  minutes: number,
): Promise<{ epochs: number; stepMs: number }> {
  const { model } = compileDocument(doc);
  const bs = doc.training.batchSize;
  const stamps: number[] = [];
  await trainThreaded(
    model,
    doc,
    { ...data, size: (s) => (s === 'train' ? Math.min(data.size('train'), PREFLIGHT_STEPS * bs) : 0) },
    { ...doc.training, epochs: 1, validate: false },
    { onBatch: () => void stamps.push(performance.now()) },
    data,
  );
  model.dispose();
  // The last 25 of 40 steps: the first ones include one-time kernel set-up and the helper threads' warm-up
  // (their code is still being optimised), which made a 20-step estimate (median of the last 10) ~12%
  // pessimistic: 510 ms per step planned, ~450 run (Fashion-MNIST, batch 128, 2026-11-29).
  const from = Math.max(1, stamps.length - 25);
  const gaps = stamps.slice(from).map((t, i) => t - stamps[from + i - 1]);
  const stepMs = gaps.sort((a, b) => a - b)[gaps.length >> 1];
  log(`pre-flight: ${stepMs.toFixed(0)} ms per step at batch ${bs}`);
  const epochMs = (data.size('train') / bs) * stepMs + (data.size('val') / bs) * stepMs * 0.3;
  // 7% of the budget kept back for the machine's slower minutes: epochs here vary by ±5–10%, and a run
  // sized with 3% ended 3% over budget when the host slowed half-way (Fashion-MNIST, 2026-12-07).
  return { epochs: Math.max(1, Math.floor((0.93 * minutes * 60_000) / epochMs)), stepMs };
}

export interface RunOutcome {
  summary: Record<string, number>;
  epochs: number;
  minutes: number;
  stop: string;
  threads: number;
  params: number;
  /** The pre-flight's step time, when the epochs were sized by it. */
  plannedStepMs?: number;
}

/** One line per epoch in the bench log. */
export const logEpoch: NonNullable<TrainHooks['onEpoch']> = (h) =>
  log(
    `  epoch ${h.epoch}: train ${h.trainLoss.toFixed(4)} val ${JSON.stringify(h.val)} (${h.seconds.toFixed(0)} s)`,
  );

export async function run(
  doc: HeraclesDocument,
  data: TaskData,
  minutes: number,
  epochs?: number,
): Promise<RunOutcome> {
  const plan = epochs === undefined ? await epochsFor(doc, data, minutes) : undefined;
  const e = epochs ?? (plan?.epochs as number);
  const { model } = compileDocument(doc);
  log(
    `training "${doc.metadata.name}" for ${e} epoch(s) on ${threadsFor(doc, data)} thread(s), budget ${minutes.toFixed(1)} min`,
  );
  const r = await trainThreaded(
    model,
    doc,
    data,
    { ...doc.training, epochs: e, maxMinutes: minutes * 1.1 },
    {
      onEpoch: logEpoch,
    },
  );
  const ev = await evaluate(model, data, 'test');
  const params = model.countParams();
  model.dispose();
  return {
    summary: ev.summary,
    epochs: r.epochs,
    minutes: r.seconds / 60,
    stop: r.stop,
    threads: threadsFor(doc, data),
    params,
    plannedStepMs: plan?.stepMs,
  };
}

export const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
export const base = (
  name: string,
  title: string,
  target: string,
): Omit<BenchResult, 'headline' | 'pass' | 'tables' | 'notes' | 'data' | 'seconds'> => ({
  name: `accuracy-${name}`,
  title,
  date: new Date().toISOString(),
  description: `Trained and evaluated with the runtime (wasm backend) on this machine; time budget scaled by ${SCALE}.`,
  target,
});
