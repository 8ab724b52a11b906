/**
 * Data as the trainer sees it, whatever file it came from. Loaders turn bytes into these; they are plain
 * typed arrays (no tensors) so they cross a Web Worker boundary cheaply and leak nothing.
 */

/** Images with integer labels. Pixels are stored as bytes (0–255), channels last. */
export interface ImageSet {
  kind: 'images';
  /** `[H, W, C]` of one image. */
  shape: [number, number, number];
  /** `count · H · W · C` bytes. */
  pixels: Uint8Array;
  /** `count` labels in `[0, classNames.length)`. */
  labels: Int32Array;
  count: number;
  classNames: string[];
}

export interface ImageSplits {
  kind: 'images';
  train: ImageSet;
  val: ImageSet;
  test: ImageSet;
  /** Where it came from, for run records ("fashion-mnist (IDX)", "demo: shapes"). */
  source: string;
  /** Things a loader skipped or changed without failing (e.g. "notes.txt: not an image, skipped"). */
  warnings?: string[];
}

/** Row ranges `[start, end)` of a chronological split. */
export interface SeriesBorders {
  train: [number, number];
  val: [number, number];
  test: [number, number];
}

/**
 * A multivariate series, standardised with the **train rows' statistics only**. Windows of `lookback`
 * rows predict the next `horizon` rows; val/test windows may start up to `lookback` rows before their
 * border (the literature's convention).
 */
export interface SeriesSet {
  kind: 'series';
  /** `rows · channels` standardised values, row-major. */
  values: Float32Array;
  rows: number;
  channels: number;
  columns: string[];
  /** Per-channel train mean and standard deviation (to undo the standardisation). */
  mean: Float32Array;
  std: Float32Array;
  borders: SeriesBorders;
  /** Timestamps of the rows when the file had a date column. */
  dates?: string[];
  /** The column to forecast in univariate / MS runs (e.g. `OT`); all channels are kept either way. */
  target?: string;
  source: string;
}

export type DataSplits = ImageSplits | SeriesSet;

/** A problem with input data: names the file and where in it, says what was expected. */
export class DataError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    /** e.g. `row 12, column "OT"` or `byte 16`. */
    readonly at?: string,
  ) {
    super([file, at].filter(Boolean).join(', ') + (file || at ? ': ' : '') + message);
    this.name = 'DataError';
  }
}
