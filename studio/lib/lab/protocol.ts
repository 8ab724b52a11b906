/**
 * The typed message protocol between the studio (main thread) and its training worker.
 *
 * Every request carries an `id`; the worker answers each with exactly one `Reply` of the same id
 * (`ok: true` + `result`, or `ok: false` + a plain-language `error`). While training, the worker also
 * posts `LabEvent`s (batches, epochs, checkpoints, state changes) that answer no request. Big typed arrays
 * (data, checkpoint weights) are transferred, not copied: see `transferablesOf`.
 */
import type { BackendInfo, BrowserBackend } from '$runtime/backend/browser';
import type { DataSplits } from '$runtime/data/types';
import type { HeraclesDocument, Training } from '$runtime/document/schema';
import type { InspectRequest, InspectResponse } from '$runtime/evaluate/protocol';
import type { RunInfo } from '$runtime/io/model-dir';
import type { BatchEvent, Checkpoint, EpochRecord, Evaluation, StopReason } from '$runtime/train/trainer';
import type { SplitName } from '$runtime/train/task-data';

export type BackendChoice = BrowserBackend | 'auto';

/** tfjs: a zip of the model folder; onnx: one `.onnx` file; pytorch: a zip of model.py, weights, train.py. */
export type ExportFormat = 'tfjs' | 'onnx' | 'pytorch';

/** What the worker is doing, as the Train panel shows it. */
export type LabPhase = 'idle' | 'training' | 'paused' | 'stopping';

/** Result of choosing a backend: the one in use, its adapter, and what was measured to choose it. */
export interface BackendReport {
  backend: BrowserBackend;
  adapter?: BackendInfo['adapter'];
  /** wasm only: whether the fused SIMD kernels (GELU, LayerNorm, Adam, the matrix products) run. */
  fused?: boolean;
  /** wasm only: whether their matrix products use fused multiply-adds (relaxed SIMD). */
  fma?: boolean;
  /** Milliseconds per training step of the current model, per backend that was timed. */
  stepMs: Partial<Record<BrowserBackend, number>>;
  /** Backends that could not be used, with why (unavailable, or the step failed). */
  skipped: Partial<Record<BrowserBackend, string>>;
  /** Why this backend: "fastest of …", "chosen by you", or why a forced one fell back. */
  why: string;
}

export interface Preflight {
  report: BackendReport;
  params: number;
  trainableParams: number;
  /** Training samples and batches per epoch at the chosen batch size. */
  samples: number;
  batches: number;
  /** One timed step on the chosen backend (after a warm-up step). */
  stepMs: number;
  /** `batches · stepMs` plus validation, in seconds. */
  epochSeconds: number;
}

/** The outcome of a training run, as posted back when `train` resolves. */
export interface TrainOutcome {
  stop: StopReason;
  message?: string;
  history: EpochRecord[];
  epochs: number;
  seconds: number;
  /** Headline test-split metrics (accuracy / mse, mae) of the final weights, when there is a test split. */
  test?: Record<string, number>;
}

export interface Requests {
  /** Which backends can start in this browser (and the WebGPU adapter). */
  probe: { req: Record<string, never>; res: BackendInfo[] };
  /** Hands the data to the worker (its arrays are transferred: the caller's copies become empty). */
  loadData: {
    req: { data: DataSplits; lookback?: number; horizon?: number };
    res: { train: number; val: number; test: number };
  };
  /** Builds the model of `doc` (throws with the document's problems). */
  compile: {
    /** `trusted`: the notebook's code cells may run (their blocks are registered first). */
    req: { doc: HeraclesDocument; trusted?: boolean };
    res: { params: number; trainableParams: number };
  };
  /** Picks the backend (timing each when 'auto') and times one step of the compiled model on the data. */
  preflight: { req: { backend: BackendChoice; training: Training }; res: Preflight };
  /** Trains; resolves when training ends. Progress arrives as events meanwhile. */
  train: { req: { training: Training; resume?: Checkpoint }; res: TrainOutcome };
  pause: { req: Record<string, never>; res: { phase: LabPhase } };
  resume: { req: Record<string, never>; res: { phase: LabPhase } };
  stop: { req: Record<string, never>; res: { phase: LabPhase } };
  /** The last checkpoint of the current or last run. */
  checkpoint: { req: Record<string, never>; res: Checkpoint | null };
  evaluate: { req: { split: SplitName }; res: Evaluation };
  /** Forwarded to the evaluation code (`runtime/evaluate/protocol.ts`) with the trained model. */
  inspect: { req: { request: InspectRequest }; res: InspectResponse };
  /**
   * The trained model as a tfjs zip (model.json, weights, the layers loader, document, data.json,
   * run.json): unzipped, `heracles eval/predict` load it.
   */
  export: {
    req: { format: ExportFormat; document: HeraclesDocument; run?: RunInfo; loaderSource: string };
    res: Uint8Array;
  };
}

export type RequestType = keyof Requests;

export type Request = {
  [K in RequestType]: { id: number; type: K } & Requests[K]['req'];
}[RequestType];

export type Reply =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string; issues?: string[] };

export type LabEvent =
  | { kind: 'batch'; batch: BatchEvent }
  | { kind: 'epoch'; epoch: EpochRecord }
  | { kind: 'checkpoint'; checkpoint: Checkpoint }
  | { kind: 'phase'; phase: LabPhase };

export type WorkerMessage = Reply | { event: LabEvent };

export const isEvent = (m: WorkerMessage): m is { event: LabEvent } => 'event' in m;

/**
 * The buffers of a value's typed arrays, to transfer instead of copy. Arrays that share a buffer are
 * listed once; a view on part of a bigger buffer is not transferred (that would detach the rest).
 */
export function transferablesOf(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const seen = new Set<unknown>();
  const visit = (v: unknown): void => {
    if (!v || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      const buf = v.buffer;
      if (buf instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === buf.byteLength) out.add(buf);
      return;
    }
    if (v instanceof ArrayBuffer) {
      out.add(v);
      return;
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) visit(x);
  };
  visit(value);
  return [...out];
}

/** Step time as the panel prints it: "12 ms/step" or "1.3 s/step". */
export function formatStep(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s/step` : `${Math.round(ms)} ms/step`;
}

const BACKEND_LABEL: Record<BrowserBackend, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WebAssembly',
  cpu: 'CPU (JS)',
};

export const backendLabel = (b: BrowserBackend): string => BACKEND_LABEL[b];

/** "WebGPU · SwiftShader (software) · 12 ms/step" — the line the Train panel shows. */
export function describeBackend(r: BackendReport): string {
  const parts: string[] = [BACKEND_LABEL[r.backend]];
  if (r.adapter)
    parts.push(r.adapter.description + (r.adapter.isFallbackAdapter ? ' (software fallback)' : ''));
  if (r.fused) parts.push(r.fma ? 'fused SIMD kernels (FMA)' : 'fused SIMD kernels');
  const ms = r.stepMs[r.backend];
  if (ms !== undefined) parts.push(formatStep(ms));
  return parts.join(' · ');
}

/** Picks the fastest timed backend; undefined when none could be timed. */
export function fastest(stepMs: BackendReport['stepMs']): BrowserBackend | undefined {
  let best: BrowserBackend | undefined;
  for (const [name, ms] of Object.entries(stepMs) as [BrowserBackend, number][])
    if (best === undefined || ms < (stepMs[best] as number)) best = name;
  return best;
}
