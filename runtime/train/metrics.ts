/** Evaluation metrics on plain arrays (no tensors), so they run anywhere and are easy to test. */

export interface ClassificationMetrics {
  accuracy: number;
  /** top-k accuracy for k = 1..5 (capped at the class count). */
  topK: Record<string, number>;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  perClass: { precision: number; recall: number; f1: number; support: number }[];
  macroF1: number;
  count: number;
}

/** `logits`: count × classes, row-major. */
export function classificationMetrics(
  logits: Float32Array,
  labels: Int32Array,
  classes: number,
): ClassificationMetrics {
  const count = labels.length;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const maxK = Math.min(5, classes);
  const hitsAtK = new Array<number>(maxK + 1).fill(0);
  for (let i = 0; i < count; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    const label = labels[i];
    let best = 0;
    for (let c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
    confusion[label][best]++;
    // Rank of the true class = how many classes score strictly higher.
    let rank = 0;
    for (let c = 0; c < classes; c++) if (row[c] > row[label]) rank++;
    for (let k = rank + 1; k <= maxK; k++) hitsAtK[k]++;
  }
  const perClass = confusion.map((row, c) => {
    const tp = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + r[c], 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support };
  });
  const topK: Record<string, number> = {};
  for (let k = 1; k <= maxK; k++) topK[`top${k}`] = count ? hitsAtK[k] / count : 0;
  return {
    accuracy: topK.top1 ?? 0,
    topK,
    confusion,
    perClass,
    macroF1: perClass.reduce((a, p) => a + p.f1, 0) / Math.max(1, classes),
    count,
  };
}

export interface ForecastMetrics {
  mse: number;
  mae: number;
  /** Error at each horizon step (averaged over windows and channels). */
  perStep: { mse: number[]; mae: number[] };
  /** Error per channel (averaged over windows and steps). */
  perChannel: { mse: number[]; mae: number[] };
  count: number;
}

/** Running forecast errors over batches of `[n, T, C]` predictions and targets (standardised values). */
export class ForecastAccumulator {
  private se: Float64Array;
  private ae: Float64Array;
  private windows = 0;
  constructor(
    readonly horizon: number,
    readonly channels: number,
  ) {
    this.se = new Float64Array(horizon * channels);
    this.ae = new Float64Array(horizon * channels);
  }
  add(pred: Float32Array, target: Float32Array): void {
    const per = this.horizon * this.channels;
    for (let i = 0; i < pred.length; i++) {
      const d = pred[i] - target[i];
      this.se[i % per] += d * d;
      this.ae[i % per] += Math.abs(d);
    }
    this.windows += pred.length / per;
  }
  result(): ForecastMetrics {
    const { horizon: T, channels: C } = this;
    const n = Math.max(1, this.windows);
    const perStep = { mse: new Array<number>(T).fill(0), mae: new Array<number>(T).fill(0) };
    const perChannel = { mse: new Array<number>(C).fill(0), mae: new Array<number>(C).fill(0) };
    let se = 0;
    let ae = 0;
    for (let t = 0; t < T; t++)
      for (let c = 0; c < C; c++) {
        const i = t * C + c;
        perStep.mse[t] += this.se[i] / (n * C);
        perStep.mae[t] += this.ae[i] / (n * C);
        perChannel.mse[c] += this.se[i] / (n * T);
        perChannel.mae[c] += this.ae[i] / (n * T);
        se += this.se[i];
        ae += this.ae[i];
      }
    return { mse: se / (n * T * C), mae: ae / (n * T * C), perStep, perChannel, count: this.windows };
  }
}
