/**
 * The evaluation protocol: what the studio may ask a trained model about (`InspectRequest`) and what it gets
 * back (`InspectResponse`). Both are plain data (numbers, strings, typed arrays) so they cross a Web Worker
 * boundary with `postMessage`; the worker that holds the model and the data calls `handleInspect` and posts
 * the result (or the error's message) back. Nothing here keeps tensors alive.
 *
 * Requests that look at one sample or window default to the test split: that is what the Evaluate panel
 * shows, the data the model never trained on.
 */
import type * as tf from '@tensorflow/tfjs';
import type { SplitName, TaskData } from '../train/task-data';
import { cellSamples, evaluateClassification } from './classification';
import { evaluateForecast, forecastWindow } from './forecast';
import { activationOf, attentionOf, filterOf, inspectableNodes } from './inside';

export type { SplitName };

export type InspectRequest =
  /** Confusion matrix, per-class P/R/F1, top-k accuracies on a split. */
  | { kind: 'classification'; split?: SplitName }
  /** The samples of one confusion-matrix cell (true class row, predicted class column), with their pixels. */
  | { kind: 'cell'; split?: SplitName; trueClass: number; predicted: number; limit?: number }
  /** Per-horizon-step MSE/MAE curves and overall MSE/MAE (standardised units) on a split. */
  | { kind: 'forecast'; split?: SplitName }
  /** One window: lookback, prediction and truth for a channel, in the data's original units. */
  | { kind: 'window'; split?: SplitName; index: number; channel: number }
  /** The nodes the inside view can show (spectral filters, attention, any activation). */
  | { kind: 'nodes' }
  /** The learned spectral filter of a HartleySSM / HeraclesMixer node, one heatmap per channel. */
  | { kind: 'filter'; node: string }
  /** The attention weights of a MultiHeadAttention node for one sample. */
  | { kind: 'attention'; node: string; sample: number; split?: SplitName }
  /** The output activation of any node for one sample. */
  | { kind: 'activation'; node: string; sample: number; split?: SplitName };

export interface ClassMetrics {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of samples whose true class is this one. */
  support: number;
}

export interface ClassificationReport {
  kind: 'classification';
  split: SplitName;
  classNames: string[];
  /** Row-major `classes × classes` counts: row = true class, column = predicted class. */
  matrix: Int32Array;
  count: number;
  accuracy: number;
  perClass: ClassMetrics[];
  /** Top-k accuracy for k = 1, 3, 5 (capped at the class count; duplicates dropped). */
  topK: { k: number; accuracy: number }[];
}

export interface CellSamples {
  kind: 'cell';
  split: SplitName;
  trueClass: number;
  predicted: number;
  /** Samples in the cell in all (the response carries at most `limit` of them). */
  total: number;
  /** Sample indices within the split, ascending. */
  indices: Int32Array;
  /** `[H, W, C]` of one image. */
  shape: [number, number, number];
  /** `indices.length · H · W · C` bytes (0–255), channels last. */
  pixels: Uint8Array;
}

export interface ForecastReport {
  kind: 'forecast';
  split: SplitName;
  horizon: number;
  channels: number;
  columns: string[];
  windows: number;
  /** Per horizon step (length `horizon`), averaged over windows and channels; standardised units. */
  mseByStep: Float32Array;
  maeByStep: Float32Array;
  mse: number;
  mae: number;
}

export interface ForecastWindow {
  kind: 'window';
  split: SplitName;
  index: number;
  channel: number;
  column: string;
  /** Windows in the split (valid indices are `0 … windows − 1`). */
  windows: number;
  /** Original units (the standardisation undone with the train statistics). */
  lookback: Float32Array;
  predicted: Float32Array;
  actual: Float32Array;
}

export interface InspectableNode {
  /** The document node path, e.g. `stage1/b0/mixer` (the tfjs layer name). */
  node: string;
  /** The tfjs class of the layer (`HeraclesMixer`, `HeraclesSelfAttention`, `Dense`, …). */
  layerClass: string;
  /** Output shape of one sample (no batch axis). */
  outputShape: number[];
  filter: boolean;
  attention: boolean;
}

export interface NodeList {
  kind: 'nodes';
  nodes: InspectableNode[];
}

export interface SpectralFilterMap {
  kind: 'filter';
  node: string;
  layerClass: string;
  /** The raw weight's shape, e.g. `[H, W, C]` (images) or `[L, C]` (sequences). */
  weightShape: number[];
  /** Each heatmap is `rows × cols` (1 × L for sequences); there is one per channel. */
  rows: number;
  cols: number;
  channels: number;
  /** `channels · rows · cols`, channel-major (heatmap of channel c starts at `c · rows · cols`). */
  values: Float32Array;
  /** Smallest and largest value, for a shared colour scale. */
  min: number;
  max: number;
}

export interface AttentionMaps {
  kind: 'attention';
  node: string;
  split: SplitName;
  sample: number;
  /** Independent attention groups: 1 normally; the rows of a channel-independent series (one per channel). */
  groups: number;
  heads: number;
  tokens: number;
  /** The token grid when the tokens came from an image (`[H, W]`), else `[tokens]`. */
  grid: number[];
  /** `groups · heads · tokens · tokens` weights; row = query token, column = key token; rows sum to 1. */
  weights: Float32Array;
}

export interface Activation {
  kind: 'activation';
  node: string;
  /** The tfjs layer actually read (the last layer under a composite node's path). */
  layer: string;
  split: SplitName;
  sample: number;
  /** Shape of one sample's activation (no batch axis). */
  shape: number[];
  values: Float32Array;
  min: number;
  max: number;
}

export type InspectResponse =
  | ClassificationReport
  | CellSamples
  | ForecastReport
  | ForecastWindow
  | NodeList
  | SpectralFilterMap
  | AttentionMaps
  | Activation;

/** The response type for a request kind (`ResponseOf<'cell'>` is `CellSamples`). */
export type ResponseOf<K extends InspectRequest['kind']> = Extract<InspectResponse, { kind: K }>;

/**
 * Answers one request about `model` on `data`. Rejects with an `Error` whose message names the node, split,
 * index or class that was wrong and says what was expected. Leaves no tensors behind.
 */
export async function handleInspect(
  model: tf.LayersModel,
  data: TaskData,
  req: InspectRequest,
): Promise<InspectResponse> {
  switch (req.kind) {
    case 'classification':
      return evaluateClassification(model, data, req.split ?? 'test');
    case 'cell':
      return cellSamples(model, data, req.split ?? 'test', req.trueClass, req.predicted, req.limit ?? 32);
    case 'forecast':
      return evaluateForecast(model, data, req.split ?? 'test');
    case 'window':
      return forecastWindow(model, data, req.split ?? 'test', req.index, req.channel);
    case 'nodes':
      return { kind: 'nodes', nodes: inspectableNodes(model) };
    case 'filter':
      return filterOf(model, req.node);
    case 'attention':
      return attentionOf(model, data, req.node, req.split ?? 'test', req.sample);
    case 'activation':
      return activationOf(model, data, req.node, req.split ?? 'test', req.sample);
    default: {
      const kind = (req as { kind?: unknown }).kind;
      throw new Error(`unknown inspect request kind ${JSON.stringify(kind)}`);
    }
  }
}
