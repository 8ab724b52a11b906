/**
 * Hyper-parameters as the Train panel edits them: sane defaults per task, and a check of a form's values
 * that names the field and the allowed range (the document schema enforces the same ranges on load).
 */
import type { Training } from '$runtime/document/schema';

export type TaskKind = 'classification' | 'forecasting';

/**
 * Defaults that train the demo sets and small real sets well: image classifiers like AdamW with a
 * cosine schedule, weight decay and a little label smoothing; forecasters overfit fast, so a smaller
 * learning rate, less decay and early stopping on the validation loss.
 */
export function defaultTraining(task: TaskKind, seed = 0): Training {
  const common = { optimizer: 'adamw', momentum: 0.9, schedule: 'cosine', gradClip: 0, seed } as const;
  return task === 'classification'
    ? {
        ...common,
        learningRate: 1e-3,
        weightDecay: 0.05,
        epochs: 10,
        batchSize: 64,
        warmupEpochs: 1,
        labelSmoothing: 0.1,
        earlyStoppingPatience: 0,
      }
    : {
        ...common,
        learningRate: 5e-4,
        weightDecay: 0.01,
        epochs: 20,
        batchSize: 32,
        warmupEpochs: 0,
        labelSmoothing: 0,
        earlyStoppingPatience: 3,
        gradClip: 1,
      };
}

interface Range {
  label: string;
  min: number;
  max: number;
  integer?: boolean;
  /** The minimum itself is not allowed (learning rate > 0). */
  exclusiveMin?: boolean;
}

export const RANGES: Partial<Record<keyof Training, Range>> = {
  learningRate: { label: 'Learning rate', min: 0, max: 10, exclusiveMin: true },
  weightDecay: { label: 'Weight decay', min: 0, max: 10 },
  momentum: { label: 'Momentum', min: 0, max: 1 },
  epochs: { label: 'Epochs', min: 1, max: 10_000, integer: true },
  batchSize: { label: 'Batch size', min: 1, max: 65_536, integer: true },
  warmupEpochs: { label: 'Warm-up epochs', min: 0, max: 1000 },
  labelSmoothing: { label: 'Label smoothing', min: 0, max: 0.5 },
  gradClip: { label: 'Gradient clipping', min: 0, max: 1e6 },
  earlyStoppingPatience: { label: 'Early-stopping patience', min: 0, max: 1000, integer: true },
  seed: { label: 'Seed', min: 0, max: 2 ** 31 - 1, integer: true },
};

/** The problems of a training section, one plain sentence per bad field (empty when it is fine). */
export function checkTraining(t: Training): string[] {
  const out: string[] = [];
  for (const [key, r] of Object.entries(RANGES) as [keyof Training, Range][]) {
    const v = t[key] as unknown;
    const okNumber = typeof v === 'number' && Number.isFinite(v);
    const bad =
      !okNumber ||
      (r.integer && !Number.isInteger(v)) ||
      (r.exclusiveMin ? (v as number) <= r.min : (v as number) < r.min) ||
      (v as number) > r.max;
    if (bad)
      out.push(
        `${r.label}: expected ${r.integer ? 'a whole number' : 'a number'} ${r.exclusiveMin ? '>' : '≥'} ${r.min} and ≤ ${r.max}, got ${okNumber ? v : JSON.stringify(v ?? null)}`,
      );
  }
  return out;
}

/** "12 s", "3 min 20 s", "1 h 05 min" — for ETAs and epoch estimates. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
