/**
 * Does the document fit the loaded data? Checked before training starts so the user reads a plain-language
 * reason ("Input node 'input' expects [28, 28, 1] but the data has 32×32×3 images …") instead of a tensor
 * shape error from deep inside the trainer. Also builds the document `task` section that follows the data.
 * Pure functions: the studio's Data and Train panels and the tests share them.
 */
import { analyzeDocument } from '../graph/analyze';
import type { HeraclesDocument, Task } from '../document/schema';
import type { DataSplits } from '../data/types';
import type { Command } from '../editor/commands';

export interface WindowOptions {
  /** Series only: rows the model sees and rows it predicts. */
  lookback?: number;
  horizon?: number;
}

export interface DataIssue {
  /** The node the problem is about (an Input, the Output), or absent for the task section / the data. */
  node?: string;
  /** `task.classes`, `shape`, `lookback`… what to change. */
  field?: string;
  message: string;
}

const list = (xs: readonly number[]) => `[${xs.join(', ')}]`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** The `task` section a document should have for this data (classification or forecasting). */
export function taskFromData(splits: DataSplits, opts: WindowOptions = {}, current?: Task): Task {
  if (splits.kind === 'images') {
    return {
      kind: 'classification',
      inputShape: [...splits.train.shape],
      classes: splits.train.classNames.length,
      classNames: [...splits.train.classNames],
    };
  }
  const target = splits.target ?? (current?.kind === 'forecasting' ? current.target : undefined);
  return {
    kind: 'forecasting',
    lookback: opts.lookback ?? (current?.kind === 'forecasting' ? current.lookback : 96),
    horizon: opts.horizon ?? (current?.kind === 'forecasting' ? current.horizon : 96),
    channels: splits.channels,
    ...(target !== undefined && splits.columns.includes(target) ? { target } : {}),
  };
}

/**
 * Every way `doc` does not fit `splits` (empty when it fits). Looks at the task section, the Input nodes'
 * shapes and the model's output shape as the analysis infers it.
 */
export function checkDataAgainstDocument(
  doc: HeraclesDocument,
  splits: DataSplits,
  opts: WindowOptions = {},
): DataIssue[] {
  const issues: DataIssue[] = [];
  const task = doc.task;
  const dataTask = splits.kind === 'images' ? 'classification' : 'forecasting';
  if (task.kind !== dataTask) {
    issues.push({
      field: 'task.kind',
      message:
        `The model is a ${task.kind} model but the data is ` +
        (splits.kind === 'images'
          ? `${plural(splits.train.classNames.length, 'class', 'classes')} of images — use an image classification model (e.g. the heracles-tiny template).`
          : `a series of ${plural(splits.channels, 'channel')} — use a forecasting model (e.g. the heracles-ts template).`),
    });
    return issues;
  }
  const inputs = doc.nodes.filter((n) => n.type === 'Input');
  const outputs = doc.nodes.filter((n) => n.type === 'Output');
  if (inputs.length === 0) issues.push({ message: 'The model has no Input node: add one from the palette.' });
  const analysis = analyzeDocument(doc);
  const outShape = (id: string) =>
    analysis.nodes[id]?.inputShapes?.[0] ?? analysis.nodes[id]?.outputShapes?.[0];

  if (splits.kind === 'images' && task.kind === 'classification') {
    const [h, w, c] = splits.train.shape;
    const classes = splits.train.classNames.length;
    for (const n of inputs) {
      const shape = (n.params.shape as number[] | undefined) ?? [];
      if (!sameShape(shape, [h, w, c]))
        issues.push({
          node: n.id,
          field: 'shape',
          message:
            `Input node '${n.id}' expects ${list(shape)} but the data has ${h}×${w}×${c} images — set the ` +
            `Input shape to ${list([h, w, c])} or resize the images.`,
        });
    }
    if (task.classes !== classes)
      issues.push({
        field: 'task.classes',
        message:
          `The task says ${task.classes} classes but the data has ${classes} ` +
          `(${splits.train.classNames.slice(0, 6).join(', ')}${classes > 6 ? ', …' : ''}).`,
      });
    for (const n of outputs) {
      const shape = outShape(n.id);
      if (!shape || shape.some((d) => d == null)) continue;
      const last = shape[shape.length - 1] as number;
      if (shape.length !== 1 || last !== classes)
        issues.push({
          node: n.id,
          message:
            `The model's output '${n.id}' gives ${list(shape as number[])} but the data needs one score per ` +
            `class, [${classes}] — set the classifier head's classes to ${classes}.`,
        });
    }
    return issues;
  }

  if (splits.kind !== 'series' || task.kind !== 'forecasting') return issues;
  const lookback = opts.lookback ?? task.lookback;
  const horizon = opts.horizon ?? task.horizon;
  const channels = splits.channels;
  if (task.channels != null && task.channels !== channels)
    issues.push({
      field: 'task.channels',
      message: `The task fixes ${plural(task.channels, 'channel')} but the data has ${channels} (${splits.columns.slice(0, 8).join(', ')}${channels > 8 ? ', …' : ''}).`,
    });
  for (const n of inputs) {
    const shape = (n.params.shape as number[] | undefined) ?? [];
    if (!sameShape(shape, [lookback, channels]))
      issues.push({
        node: n.id,
        field: 'shape',
        message:
          `Input node '${n.id}' expects ${list(shape)} but the data gives windows of ${lookback} rows × ` +
          `${plural(channels, 'channel')} — set the Input shape to ${list([lookback, channels])}.`,
      });
  }
  for (const n of outputs) {
    const shape = outShape(n.id);
    if (!shape || shape.some((d) => d == null)) continue;
    if (!sameShape(shape as number[], [horizon, channels]))
      issues.push({
        node: n.id,
        message:
          `The model's output '${n.id}' gives ${list(shape as number[])} but the data needs ${horizon} future ` +
          `rows × ${plural(channels, 'channel')}, ${list([horizon, channels])} — set the forecast head's ` +
          `horizon to ${horizon} and channels to ${channels}.`,
      });
  }
  const rowsOf = (s: 'train' | 'val' | 'test') => splits.borders[s][1] - splits.borders[s][0];
  const trainRows = rowsOf('train');
  if (lookback + horizon > trainRows)
    issues.push({
      field: 'lookback',
      message:
        `A window needs lookback + horizon = ${lookback + horizon} rows but the train split has only ` +
        `${trainRows} — use a shorter lookback or horizon, or more data.`,
    });
  else
    for (const s of ['val', 'test'] as const) {
      // Val/test windows may start `lookback` rows before their border; they still need `horizon` rows inside.
      if (rowsOf(s) < horizon)
        issues.push({
          field: 'horizon',
          message: `The ${s} split has ${rowsOf(s)} rows, fewer than the horizon (${horizon}): it cannot hold one window — use a shorter horizon or a larger ${s} split.`,
        });
    }
  return issues;
}

/**
 * One undoable command that fits the document to the data: the task section, the Input nodes' shapes and
 * the top-level heads' sizes (ClassifierHead classes; ForecastHead horizon and channels). Null when
 * nothing changes or the task kinds differ (a classifier does not become a forecaster by resizing).
 */
export function fitCommand(
  doc: HeraclesDocument,
  splits: DataSplits,
  opts: WindowOptions = {},
): Command | null {
  const task = taskFromData(splits, opts, doc.task);
  if (task.kind !== doc.task.kind) return null;
  const commands: Command[] = [];
  if (JSON.stringify(task) !== JSON.stringify(doc.task)) commands.push({ type: 'setTask', task });
  const set = (id: string, name: string, value: number | number[], now: unknown) => {
    if (JSON.stringify(value) !== JSON.stringify(now)) commands.push({ type: 'setParam', id, name, value });
  };
  for (const n of doc.nodes) {
    if (n.type === 'Input')
      set(
        n.id,
        'shape',
        task.kind === 'classification' ? task.inputShape : [task.lookback, task.channels as number],
        n.params.shape,
      );
    else if (n.type === 'ClassifierHead' && task.kind === 'classification')
      set(n.id, 'classes', task.classes, n.params.classes);
    else if (n.type === 'ForecastHead' && task.kind === 'forecasting') {
      set(n.id, 'horizon', task.horizon, n.params.horizon);
      set(n.id, 'channels', task.channels as number, n.params.channels);
    }
  }
  if (commands.length === 0) return null;
  return { type: 'batch', label: `fit the model to ${splits.source}`, commands };
}
