/**
 * Fitting a document to the data it is trained on: the task section and the blocks that carry task sizes
 * (Input shape, ForecastHead horizon/channels) follow the data, or a clear mismatch is reported.
 * Pure functions on documents: the CLI and the studio share them.
 */
import type { DocumentIssue, HeraclesDocument } from './schema';

export interface DataShape {
  task: 'classification' | 'forecasting';
  /** Classification: `[H, W, C]` and the class count. */
  imageShape?: number[];
  classes?: number;
  /** Forecasting: the series' channel count. */
  channels?: number;
}

export type AdaptResult = { ok: true; doc: HeraclesDocument } | { ok: false; issues: DocumentIssue[] };

const nodeIssue = (id: string, message: string, hint?: string): DocumentIssue => ({
  where: { kind: 'node', id },
  code: 'data',
  message,
  hint,
});
const pathIssue = (path: string, message: string, hint?: string): DocumentIssue => ({
  where: { kind: 'path', path },
  code: 'data',
  message,
  hint,
});

/** Returns a copy of `doc` fitted to the data (and to lookback/horizon overrides), or the mismatches. */
export function adaptToData(
  doc: HeraclesDocument,
  data: DataShape,
  overrides: { lookback?: number; horizon?: number } = {},
): AdaptResult {
  const out = structuredClone(doc);
  const task = out.task;
  if (task.kind !== data.task)
    return {
      ok: false,
      issues: [
        pathIssue(
          '$.task.kind',
          `the document is a ${task.kind} model but the data is for ${data.task}`,
          data.task === 'forecasting'
            ? 'use a forecasting document (e.g. heracles-ts) with a CSV'
            : 'use an image classification document with image data',
        ),
      ],
    };
  const issues: DocumentIssue[] = [];
  const inputs = out.nodes.filter((n) => n.type === 'Input');
  if (task.kind === 'classification') {
    const shape = data.imageShape as number[];
    if (task.inputShape.join(',') !== shape.join(','))
      issues.push(
        ...inputs.map((n) =>
          nodeIssue(
            n.id,
            `the data has images [${shape.join(', ')}] but the model's input is [${task.inputShape.join(', ')}]`,
            'use a document built for this image size, or resize the data',
          ),
        ),
      );
    if (task.classes !== data.classes)
      issues.push(
        pathIssue(
          '$.task.classes',
          `the data has ${data.classes} classes but the model predicts ${task.classes}`,
          `set the classifier head's classes to ${data.classes}`,
        ),
      );
    return issues.length ? { ok: false, issues } : { ok: true, doc: out };
  }
  const channels = data.channels as number;
  if (task.channels != null && task.channels !== channels)
    return {
      ok: false,
      issues: [
        pathIssue(
          '$.task.channels',
          `the document fixes ${task.channels} channels but the data has ${channels}`,
          'set task.channels to null to take the count from the data',
        ),
      ],
    };
  task.lookback = overrides.lookback ?? task.lookback;
  task.horizon = overrides.horizon ?? task.horizon;
  task.channels = channels;
  for (const n of inputs) n.params.shape = [task.lookback, channels];
  for (const n of out.nodes)
    if (n.type === 'ForecastHead') {
      n.params.horizon = task.horizon;
      n.params.channels = channels;
    }
  return { ok: true, doc: out };
}
