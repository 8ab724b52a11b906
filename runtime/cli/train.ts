/**
 * `heracles train`, `heracles eval` and `heracles predict`: the Node front of the training runtime.
 * All bad input (missing --data, unreadable data, a document that does not fit the data, a broken model
 * folder) ends with a message naming the file or node and exit code 2; nothing half-written is left
 * looking like a finished model.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { initNodeBackend } from '../backend/node';
import type { NodeBackend } from '../backend/node';
import { loadDataPath } from '../data/node';
import { DataError } from '../data/types';
import type { DataSplits } from '../data/types';
import { adaptToData } from '../document/adapt';
import { formatIssue } from '../document/schema';
import type { DocumentIssue, HeraclesDocument } from '../document/schema';
import { compileDocument } from '../graph/compile';
import {
  loadModelDir,
  readCheckpoint,
  removeIfIncomplete,
  readNamedWeights,
  saveModel,
  writeCheckpoint,
} from '../io/model-dir';
import { loadBackboneWeights } from '../graph/backbone';
import { BlockError } from '../../blocks/types';
import { dataInfoOf, taskDataOf } from '../train/task-data';
import type { SplitName } from '../train/task-data';
import { defaultHelperCount, startNodeHelpers } from '../train/helpers/node';
import type { ShardHelpers } from '../train/helpers/shards';
import { evaluate, train } from '../train/trainer';
import type { Checkpoint } from '../train/trainer';
import { resolveDocument } from './documents';
import type { Io } from './io';
import { progressLine } from './progress';

export interface TrainArgs {
  ref?: string;
  data?: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  maxMinutes?: number;
  split?: string;
  lookback?: number;
  horizon?: number;
  backend: NodeBackend;
  /** Threads that share each batch (this one plus gradient helpers); default from defaultHelperCount. */
  threads?: number;
  out?: string;
  resume?: string;
  json: boolean;
}

/** A failure the user can fix: printed as lines, exit code 2. */
export class UsageError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

const fail = (issues: DocumentIssue[]): never => {
  throw new UsageError(issues.map(formatIssue));
};

async function loadData(file: string, opts: { split?: string }): Promise<DataSplits> {
  try {
    return await loadDataPath(file, { split: opts.split });
  } catch (e) {
    if (e instanceof DataError) throw new UsageError([e.message]);
    throw e;
  }
}

function fitDocument(
  doc: HeraclesDocument,
  data: DataSplits,
  args: { lookback?: number; horizon?: number },
): HeraclesDocument {
  const shape =
    data.kind === 'images'
      ? {
          task: 'classification' as const,
          imageShape: data.train.shape,
          classes: data.train.classNames.length,
        }
      : { task: 'forecasting' as const, channels: data.channels };
  const r = adaptToData(doc, shape, args);
  return r.ok ? r.doc : fail(r.issues);
}

export async function trainCommand(args: TrainArgs, io: Io): Promise<number> {
  if (!args.resume && !args.ref)
    throw new UsageError([
      'heracles train: name a document or preset to train (e.g. heracles train heracles-tiny --data ./fashion-mnist)',
    ]);
  if (!args.data)
    throw new UsageError([
      'heracles train: --data is required: a folder of IDX files (MNIST layout), an image folder or .zip (one folder per class), or a .csv / .csv.gz time series',
    ]);
  let doc: HeraclesDocument;
  let resume: Checkpoint | undefined;
  if (args.resume) {
    if (!existsSync(path.join(args.resume, 'checkpoint')))
      throw new UsageError([`${args.resume}: no checkpoint to resume from`]);
    const r = resolveDocument(path.join(args.resume, 'document.heracles.json'));
    doc = r.ok ? r.doc : fail(r.issues);
    try {
      resume = readCheckpoint(args.resume);
    } catch (e) {
      if (e instanceof DataError) throw new UsageError([e.message]);
      throw e;
    }
  } else {
    const r = resolveDocument(args.ref as string);
    doc = r.ok ? r.doc : fail(r.issues);
  }
  const data = await loadData(args.data, { split: args.split });
  doc = fitDocument(doc, data, args);
  const t = doc.training;
  const cfg = {
    ...t,
    epochs: args.epochs ?? t.epochs,
    batchSize: args.batchSize ?? t.batchSize,
    learningRate: args.lr ?? t.learningRate,
    seed: args.seed ?? t.seed,
    maxMinutes: args.maxMinutes,
  };
  doc.training = {
    ...t,
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    learningRate: cfg.learningRate,
    seed: cfg.seed,
  };
  const task = taskDataOf(data, doc.task.kind === 'forecasting' ? doc.task : {});
  for (const split of ['train', 'val', 'test'] as SplitName[])
    if (split === 'train' && task.size(split) === 0)
      throw new UsageError([`${args.data}: the ${split} split has no samples`]);

  const out = args.resume ?? args.out ?? path.join('runs', `${slug(doc.metadata.name)}-${stamp()}`);
  if (!args.resume && existsSync(out) && readdirSync(out).length > 0)
    throw new UsageError([
      `${out}: the output folder exists and is not empty; choose another --out (nothing was overwritten)`,
    ]);
  const backend = await initNodeBackend(args.backend);
  const { model } = compileDocument(doc);
  try {
    const copied = await loadBackboneWeights(model, doc, readNamedWeights);
    if (copied && !args.json) io.err(`Copied ${copied} trained weights into the backbone.`);
  } catch (e) {
    model.dispose();
    if (e instanceof BlockError || e instanceof DataError) throw new UsageError([e.message]);
    throw e;
  }
  const threads = args.threads ?? 1 + defaultHelperCount(cfg.batchSize, task.size('train'));
  let helpers: ShardHelpers | undefined;
  if (threads > 1)
    try {
      helpers = await startNodeHelpers(threads - 1, { model, document: doc, backend, task });
    } catch (e) {
      model.dispose();
      throw new UsageError([
        `Could not start ${threads - 1} training thread(s): ${(e as Error).message}. Try --threads 1.`,
      ]);
    }
  mkdirSync(out, { recursive: true });
  const startedAt = new Date().toISOString();
  const tty = !args.json && Boolean(process.stderr.isTTY);
  if (!args.json)
    io.err(
      `Training "${doc.metadata.name}" on ${data.source}: ${task.size('train')} train / ${task.size('val')} val / ${task.size('test')} test samples, ${backend} backend × ${threads} thread${threads > 1 ? 's' : ''} → ${out}`,
    );
  let result;
  try {
    result = await train(
      model,
      task,
      cfg,
      {
        onBatch: (e) => {
          if (tty) process.stderr.write('\r' + progressLine(e, cfg.epochs));
        },
        onEpoch: (e) => {
          if (tty) process.stderr.write('\n');
          if (!args.json) {
            const val = e.val
              ? Object.entries(e.val)
                  .map(([k, v]) => `${k} ${v.toFixed(4)}`)
                  .join(', ')
              : '';
            io.err(
              `epoch ${e.epoch}/${cfg.epochs}: train loss ${e.trainLoss.toFixed(4)}${e.valLoss !== undefined ? `, val loss ${e.valLoss.toFixed(4)}` : ''}${val ? `, val ${val}` : ''} (${e.seconds.toFixed(1)} s)`,
            );
          }
        },
        onCheckpoint: (c) => writeCheckpoint(out, c),
        helpers,
      },
      resume,
    );
  } catch (e) {
    removeIfIncomplete(out);
    throw e;
  } finally {
    await helpers?.close();
  }
  if (result.message && !args.json) io.err(result.message);
  if (result.stop === 'diverged') {
    removeIfIncomplete(out);
    io.err(`${out}: not saved as a model; the last good checkpoint is in ${path.join(out, 'checkpoint')}`);
    return 2;
  }
  const test = task.size('test') > 0 ? await evaluate(model, task, 'test') : undefined;
  await saveModel(out, model, {
    document: doc,
    data: dataInfoOf(data, task),
    run: {
      config: { ...cfg, data: args.data, split: args.split, backend, threads },
      history: result.history,
      stop: result.stop,
      message: result.message,
      seconds: result.seconds,
      backend,
      metrics: test ? { test: test.summary } : undefined,
      startedAt,
      finishedAt: new Date().toISOString(),
    },
  });
  const summary = {
    out,
    task: task.task,
    stop: result.stop,
    epochs: result.epochs,
    seconds: result.seconds,
    metrics: { test: test?.summary },
  };
  if (args.json) io.out(JSON.stringify(summary));
  else
    io.out(
      `Saved to ${out}. Test: ${
        test
          ? Object.entries(test.summary)
              .map(([k, v]) => `${k} ${v.toFixed(4)}`)
              .join(', ')
          : 'no test split'
      }`,
    );
  model.dispose();
  return 0;
}

export async function evalCommand(
  args: { dir: string; data?: string; split: SplitName; backend: NodeBackend; json: boolean },
  io: Io,
): Promise<number> {
  if (!args.data)
    throw new UsageError([
      'heracles eval: --data is required (the same kind of data the model was trained on)',
    ]);
  if (!['train', 'val', 'test'].includes(args.split))
    throw new UsageError([`heracles eval: --split must be train, val or test, got "${args.split}"`]);
  await initNodeBackend(args.backend);
  const loaded = await loadDir(args.dir);
  const split = loaded.run?.config.split as string | undefined;
  const data = await loadData(args.data, { split });
  const doc = fitDocument(
    loaded.document,
    data,
    loaded.document.task.kind === 'forecasting' ? loaded.document.task : {},
  );
  const task = taskDataOf(data, doc.task.kind === 'forecasting' ? doc.task : {});
  const ev = await evaluate(loaded.model, task, args.split);
  const metrics = ev.classification
    ? {
        accuracy: ev.classification.accuracy,
        ...ev.classification.topK,
        macroF1: ev.classification.macroF1,
        loss: ev.loss,
        count: ev.classification.count,
        confusion: ev.classification.confusion,
        perClass: ev.classification.perClass,
      }
    : {
        mse: ev.forecasting?.mse,
        mae: ev.forecasting?.mae,
        loss: ev.loss,
        count: ev.forecasting?.count,
        perStep: ev.forecasting?.perStep,
        perChannel: ev.forecasting?.perChannel,
      };
  if (args.json) io.out(JSON.stringify({ task: task.task, split: args.split, metrics }));
  else
    io.out(
      `${args.split}: ${Object.entries(ev.summary)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', ')} (${task.size(args.split)} samples)`,
    );
  loaded.model.dispose();
  return 0;
}

async function loadDir(dir: string) {
  try {
    return await loadModelDir(dir);
  } catch (e) {
    if (e instanceof DataError) throw new UsageError([e.message]);
    throw e;
  }
}
export { loadDir };

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'model';
const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
