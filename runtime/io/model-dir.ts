/**
 * Node adapter for a trained-model folder ("model DIR"):
 *   model.json + weights.bin    the tfjs model (loadable by stock tfjs once our layers are registered)
 *   document.heracles.json      the document it was built from
 *   data.json                   what the data looked like: task, class names or columns + train statistics
 *   run.json                    config, per-epoch metrics, timings, final metrics
 *   checkpoint/                 the last epoch's weights + optimizer state, for --resume
 * Files are written to a temporary name and renamed, and model.json last, so a crash never leaves a
 * folder that looks like a finished model.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import '../layers/index';
import { loadDocument } from '../document/load';
import type { HeraclesDocument } from '../document/schema';
import type { OptimizerState } from '../train/optimizer';
import type { Checkpoint, EpochRecord } from '../train/trainer';
import { DataError } from '../data/types';
import { registerBackboneResolver } from '../graph/backbone';
import { WEIGHTS_FILE, serializeModel } from './model-artifacts';
import type { NamedWeights } from '../graph/backbone';

export interface DataInfo {
  task: 'classification' | 'forecasting';
  source: string;
  inputShape: number[];
  classNames?: string[];
  columns?: string[];
  mean?: number[];
  std?: number[];
  lookback?: number;
  horizon?: number;
  borders?: { train: [number, number]; val: [number, number]; test: [number, number] };
}

export interface RunInfo {
  config: Record<string, unknown>;
  history: EpochRecord[];
  stop: string;
  message?: string;
  seconds: number;
  backend: string;
  metrics?: Record<string, unknown>;
  startedAt: string;
  finishedAt?: string;
}

function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export async function saveModel(
  dir: string,
  model: tf.LayersModel,
  files: { document: HeraclesDocument; data: DataInfo; run: RunInfo },
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeAtomic(path.join(dir, 'document.heracles.json'), JSON.stringify(files.document, null, 2) + '\n');
  writeAtomic(path.join(dir, 'data.json'), JSON.stringify(files.data, null, 2) + '\n');
  writeAtomic(path.join(dir, 'run.json'), JSON.stringify(files.run, null, 2) + '\n');
  const { modelJson, weights } = await serializeModel(model);
  writeAtomic(path.join(dir, WEIGHTS_FILE), weights);
  writeAtomic(path.join(dir, 'model.json'), modelJson);
}

export interface LoadedModel {
  model: tf.LayersModel;
  document: HeraclesDocument;
  data: DataInfo;
  run?: RunInfo;
}

/** Loads a model DIR; every problem is a DataError naming the file. */
export async function loadModelDir(dir: string): Promise<LoadedModel> {
  if (!existsSync(dir)) throw new DataError('no such folder', dir);
  const file = (name: string) => path.join(dir, name);
  if (!existsSync(file('model.json'))) {
    const hint = existsSync(file('checkpoint/checkpoint.json'))
      ? ' (training did not finish: continue it with --resume)'
      : '';
    throw new DataError(`not a trained model folder: model.json is missing${hint}`, dir);
  }
  const json = <T>(name: string): T => {
    try {
      return JSON.parse(readFileSync(file(name), 'utf8')) as T;
    } catch (e) {
      throw new DataError(
        existsSync(file(name)) ? `not valid JSON (${(e as Error).message})` : 'missing',
        file(name),
      );
    }
  };
  const modelJson = json<{
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  }>('model.json');
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const chunks = modelJson.weightsManifest
    .flatMap((g) => g.paths)
    .map((p) => {
      if (!existsSync(file(p)))
        throw new DataError(`the weights file "${p}" named in model.json is missing`, dir);
      return readFileSync(file(p));
    });
  const weightData = new Uint8Array(Buffer.concat(chunks)).buffer;
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (weightData.byteLength !== expected)
    throw new DataError(
      `the weights are ${weightData.byteLength} bytes but model.json describes ${expected}`,
      file('weights.bin'),
    );
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: specs, weightData }),
  );
  const docResult = loadDocument(readFileSync(file('document.heracles.json'), 'utf8'));
  if (!docResult.ok)
    throw new DataError(`invalid document: ${docResult.issues[0].message}`, file('document.heracles.json'));
  const run = existsSync(file('run.json')) ? json<RunInfo>('run.json') : undefined;
  return { model, document: docResult.doc, data: json<DataInfo>('data.json'), run };
}

/** Checkpoints: weights and optimizer slots as one binary file plus a JSON index. */
export function writeCheckpoint(dir: string, c: Checkpoint): void {
  const cdir = path.join(dir, 'checkpoint');
  mkdirSync(cdir, { recursive: true });
  const arrays: Float32Array[] = [];
  const index = (list: { name: string; shape: number[]; data: Float32Array }[]) =>
    list.map((w) => {
      arrays.push(w.data);
      return { name: w.name, shape: w.shape, length: w.data.length };
    });
  const weights = index(c.weights);
  const slots = Object.fromEntries(Object.entries(c.optimizer.slots).map(([k, v]) => [k, index(v)]));
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const flat = new Float32Array(total);
  let o = 0;
  for (const a of arrays) {
    flat.set(a, o);
    o += a.length;
  }
  writeAtomic(path.join(cdir, 'checkpoint.bin'), new Uint8Array(flat.buffer));
  writeAtomic(
    path.join(cdir, 'checkpoint.json'),
    JSON.stringify(
      { epoch: c.epoch, history: c.history, best: c.best, step: c.optimizer.step, weights, slots },
      null,
      1,
    ),
  );
}

export function readCheckpoint(dir: string): Checkpoint {
  const cdir = path.join(dir, 'checkpoint');
  const jf = path.join(cdir, 'checkpoint.json');
  if (!existsSync(jf))
    throw new DataError('no checkpoint to resume from (checkpoint/checkpoint.json is missing)', dir);
  let meta: {
    epoch: number;
    history: EpochRecord[];
    best?: Checkpoint['best'];
    step: number;
    weights: { name: string; shape: number[]; length: number }[];
    slots: Record<string, { name: string; shape: number[]; length: number }[]>;
  };
  try {
    meta = JSON.parse(readFileSync(jf, 'utf8'));
  } catch (e) {
    throw new DataError(`corrupt checkpoint index (${(e as Error).message})`, jf);
  }
  const buf = readFileSync(path.join(cdir, 'checkpoint.bin'));
  const flat = new Float32Array(new Uint8Array(buf).buffer);
  let o = 0;
  const take = (list: { name: string; shape: number[]; length: number }[]) =>
    list.map((w) => {
      if (o + w.length > flat.length)
        throw new DataError(`checkpoint.bin is truncated at weight "${w.name}"`, cdir);
      const data = flat.slice(o, o + w.length);
      o += w.length;
      return { name: w.name, shape: w.shape, data };
    });
  const weights = take(meta.weights);
  const slots: OptimizerState['slots'] = Object.fromEntries(
    Object.entries(meta.slots).map(([k, v]) => [k, take(v)]),
  );
  return {
    epoch: meta.epoch,
    history: meta.history,
    best: meta.best,
    weights,
    optimizer: { step: meta.step, slots },
  };
}

/** Removes a folder this process created when the run failed before producing a model. */
export function removeIfIncomplete(dir: string): void {
  if (
    existsSync(dir) &&
    !existsSync(path.join(dir, 'model.json')) &&
    !existsSync(path.join(dir, 'checkpoint'))
  )
    rmSync(dir, { recursive: true, force: true });
}

/** The trained weights of a model folder by name (`layer/weight`), without building the model. */
export async function readNamedWeights(dir: string): Promise<NamedWeights> {
  const file = path.join(dir, 'model.json');
  if (!existsSync(file)) throw new DataError('not a trained model folder: model.json is missing', dir);
  const modelJson = JSON.parse(readFileSync(file, 'utf8')) as {
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const out: NamedWeights = new Map();
  for (const group of modelJson.weightsManifest) {
    const bytes = Buffer.concat(
      group.paths.map((p) => {
        if (!existsSync(path.join(dir, p)))
          throw new DataError(`the weights file "${p}" named in model.json is missing`, dir);
        return readFileSync(path.join(dir, p));
      }),
    );
    const all = new Float32Array(new Uint8Array(bytes).buffer);
    let o = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (o + n > all.length)
        throw new DataError(`the weights end before "${w.name}"`, path.join(dir, group.paths[0]));
      out.set(w.name, { shape: w.shape, data: all.slice(o, o + n) });
      o += n;
    }
  }
  return out;
}

/** Lets documents in this process refer to trained model folders (PretrainedBackbone), relative to `base`. */
export function registerNodeBackbones(base = process.cwd()): void {
  const cache = new Map<string, HeraclesDocument | undefined>();
  registerBackboneResolver((ref) => {
    const dir = path.resolve(base, ref);
    if (!cache.has(dir)) {
      const f = path.join(dir, 'document.heracles.json');
      const r =
        existsSync(f) && existsSync(path.join(dir, 'model.json'))
          ? loadDocument(readFileSync(f, 'utf8'))
          : undefined;
      cache.set(dir, r?.ok ? r.doc : undefined);
    }
    return cache.get(dir);
  });
}
