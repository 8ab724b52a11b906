/**
 * The Train panel's state as a rune class: it drives the training worker (through `LabClient`), keeps the
 * live curves, writes the run and a checkpoint per epoch to IndexedDB, and resumes an interrupted run.
 *
 * The main thread only receives small messages per batch; curves are republished at most once per
 * animation frame (`curves`), so charts redraw at display rate whatever the step rate is.
 */
import { adaptToData } from '$runtime/document/adapt';
import { loadDocument } from '$runtime/document/load';
import { formatIssue, type HeraclesDocument, type Training } from '$runtime/document/schema';
import type { ExportFormat } from './protocol';
import type { DataSplits } from '$runtime/data/types';
import type { BrowserBackend } from '$runtime/backend/browser';
import type { EpochRecord } from '$runtime/train/trainer';
import type { DataState } from '../data/data-state.svelte';
import { LabClient, LabError } from './client';
import { checkTraining } from './hyper';
import type { BackendChoice, BackendReport, LabEvent, Preflight, TrainOutcome } from './protocol';
import { appendThinned, interruptedRun, newRunId, RunsDB, type DataRef, type RunRecord } from './runs-db';

export type TrainPhase = 'idle' | 'preparing' | 'training' | 'paused' | 'stopping';

export interface Progress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** 0..1 over the whole run. */
  fraction: number;
  etaSeconds: number;
  samplesPerSec: number;
}

/** What the charts draw: x values and series, as uPlot's aligned arrays. */
export interface Curves {
  batchLoss: [number[], number[]];
  lr: [number[], number[]];
  epochLoss: [number[], (number | null)[], (number | null)[]];
  /** Validation metric per epoch (accuracy, or mse and mae). */
  epochMetric: { names: string[]; data: [number[], ...(number | null)[][]] };
}

export interface TrainHost {
  /** The document as the editor has it now. */
  doc(): HeraclesDocument;
  /** Writes the training section back to the document (one undoable edit). */
  setTraining(t: Training): void;
  /** Whether the notebook's code may run (code blocks are registered in the worker only then). */
  trusted?(): boolean;
  data: DataState;
}

const demoOf = (source: string): DataRef['demo'] =>
  source.startsWith('demo: shapes') ? 'shapes' : source.startsWith('demo: series') ? 'series' : undefined;

export class TrainState {
  phase = $state<TrainPhase>('idle');
  backend = $state<BackendChoice>('auto');
  report = $state.raw<BackendReport | null>(null);
  preflight = $state.raw<Preflight | null>(null);
  progress = $state.raw<Progress | null>(null);
  curves = $state.raw<Curves>(emptyCurves());
  /** The last outcome or problem, in plain language. */
  message = $state.raw<{ kind: 'info' | 'error'; text: string } | null>(null);
  /** The run being trained (or the last one). */
  run = $state.raw<RunRecord | null>(null);
  /** A run whose tab went away mid-training, with a checkpoint to continue from. */
  interrupted = $state.raw<RunRecord | null>(null);
  /** Bumped after each stored checkpoint (the e2e tests wait on it). */
  checkpoints = $state(0);
  /** Bumped whenever the worker's model has new weights (each epoch, and the final ones). */
  modelVersion = $state(0);

  readonly db = new RunsDB();
  #client: LabClient | null = null;
  /** Which data (version + windows) the worker has: lookback/horizon change the windows, not the data. */
  #dataSent = '';
  #samples = { train: 0, val: 0, test: 0 };
  #batchLoss: [number, number][] = [];
  #lr: [number, number][] = [];
  #epochs: EpochRecord[] = [];
  #frame = 0;
  #saving: Promise<void> = Promise.resolve();

  constructor(readonly host: TrainHost) {}

  get client(): LabClient {
    if (!this.#client) {
      this.#client = new LabClient();
      this.#client.on((e) => this.#onEvent(e));
    }
    return this.#client;
  }

  get busy(): boolean {
    return this.phase !== 'idle';
  }

  /** Looks for a run the last session left mid-training. */
  async findInterrupted(): Promise<void> {
    this.interrupted = interruptedRun(await this.db.list()) ?? null;
  }

  /** Hands the current data to the worker (a copy: the Data panel keeps showing its own). */
  async #sendData(): Promise<DataSplits> {
    const data = this.host.data;
    const splits = data.splits;
    if (!splits) throw new LabError('Load a data set in the Data panel first (a demo set works offline).');
    const key = `${data.version}:${data.lookback}:${data.horizon}`;
    if (this.#dataSent !== key) {
      this.#samples = await this.client.request(
        'loadData',
        { data: structuredClone(splits), lookback: data.lookback, horizon: data.horizon },
        { transfer: true },
      );
      this.#dataSent = key;
    }
    return splits;
  }

  /** The document fitted to the data (the task section and input shapes follow it), or why it cannot be. */
  #fitted(doc: HeraclesDocument, splits: DataSplits): HeraclesDocument {
    const data = this.host.data;
    const shape =
      splits.kind === 'images'
        ? {
            task: 'classification' as const,
            imageShape: splits.train.shape,
            classes: splits.train.classNames.length,
          }
        : { task: 'forecasting' as const, channels: splits.channels };
    const r = adaptToData(doc, shape, { lookback: data.lookback, horizon: data.horizon });
    if (!r.ok)
      throw new LabError(
        `The model does not fit the data: ${r.issues.map(formatIssue).join('; ')}`,
        r.issues.map(formatIssue),
      );
    return r.doc;
  }

  /** Pre-flight only: backend choice, parameters, one timed step and the estimated epoch time. */
  async check(): Promise<Preflight | null> {
    return this.#guard(async () => {
      this.phase = 'preparing';
      const doc = await this.#prepare(this.host.doc());
      return this.#preflight(doc.training);
    });
  }

  async #prepare(doc: HeraclesDocument): Promise<HeraclesDocument> {
    const problems = checkTraining(doc.training);
    if (problems.length) throw new LabError(`Check the hyper-parameters: ${problems.join('; ')}`, problems);
    const splits = await this.#sendData();
    const fitted = this.#fitted(doc, splits);
    await this.client.request('compile', { doc: fitted, trusted: this.host.trusted?.() ?? false });
    return fitted;
  }

  async #preflight(training: Training): Promise<Preflight> {
    const pf = await this.client.request('preflight', { backend: this.backend, training });
    this.preflight = pf;
    this.report = pf.report;
    return pf;
  }

  /** Pre-flight, then a new run from scratch. */
  async start(): Promise<void> {
    if (this.busy) return;
    await this.#guard(async () => {
      this.phase = 'preparing';
      this.message = null;
      const doc = await this.#prepare(this.host.doc());
      const pf = await this.#preflight(doc.training);
      const data = this.host.data;
      const splits = data.splits as DataSplits;
      const now = Date.now();
      const run: RunRecord = {
        id: newRunId(now),
        name: `${doc.metadata.name} · ${isoMinute(now)}`,
        created: now,
        updated: now,
        status: 'running',
        document: JSON.stringify(doc),
        data: {
          source: splits.source,
          kind: splits.kind,
          demo: demoOf(splits.source),
          seed: data.seed,
          valFraction: data.valFraction,
          testFraction: data.testFraction,
          lookback: splits.kind === 'series' ? data.lookback : undefined,
          horizon: splits.kind === 'series' ? data.horizon : undefined,
          samples: { ...this.#samples },
        },
        training: doc.training,
        backend: pf.report.backend,
        batchLoss: [],
        epochs: [],
        checkpointEpoch: 0,
        seconds: 0,
      };
      await this.#train(run);
    });
  }

  /** Continues the interrupted run from its last checkpoint (reloading a demo data set if needed). */
  async resumeInterrupted(): Promise<void> {
    const run = this.interrupted;
    if (!run || this.busy) return;
    await this.#guard(async () => {
      this.phase = 'preparing';
      const data = this.host.data;
      if (!data.splits || data.source !== run.data.source) {
        if (!run.data.demo)
          throw new LabError(
            `This run trained on ${run.data.source}: load that data in the Data panel, then resume.`,
          );
        data.seed = run.data.seed;
        if (run.data.valFraction !== undefined) data.valFraction = run.data.valFraction;
        if (run.data.testFraction !== undefined) data.testFraction = run.data.testFraction;
        if (run.data.lookback) data.lookback = run.data.lookback;
        if (run.data.horizon) data.horizon = run.data.horizon;
        if (!(await data.loadDemo(run.data.demo)))
          throw new LabError(`Could not regenerate ${run.data.source}: ${data.error}`);
      }
      const parsed = loadDocument(run.document);
      if (!parsed.ok)
        throw new LabError(
          `The run's document no longer loads: ${parsed.issues.map(formatIssue).join('; ')}`,
        );
      await this.#sendData();
      await this.client.request('compile', { doc: parsed.doc, trusted: this.host.trusted?.() ?? false });
      await this.#preflight(run.training);
      const checkpoint = await this.db.checkpoint(run.id);
      if (!checkpoint)
        throw new LabError(`The checkpoint of ${run.name} is missing; start a new run instead.`);
      this.interrupted = null;
      await this.#train({ ...run, backend: this.report?.backend ?? run.backend }, checkpoint);
    });
  }

  async discardInterrupted(): Promise<void> {
    const run = this.interrupted;
    if (!run) return;
    this.interrupted = null;
    await this.db.put({ ...run, status: 'stopped', message: 'interrupted (tab closed); not resumed' });
  }

  async #train(run: RunRecord, resume?: Awaited<ReturnType<RunsDB['checkpoint']>>): Promise<void> {
    this.#batchLoss = resume ? [...run.batchLoss] : [];
    this.#epochs = resume ? [...resume.history] : [];
    this.#lr = [];
    this.run = { ...run, epochs: this.#epochs };
    this.#publish();
    await this.db.put(this.run);
    this.phase = 'training';
    let outcome: TrainOutcome;
    try {
      outcome = await this.client.request('train', { training: run.training, resume });
    } catch (e) {
      // Not 'running' any more: a failed run must not be offered for resuming after a reload.
      await this.#saving;
      const failed: RunRecord = {
        ...(this.run as RunRecord),
        status: 'failed',
        message: e instanceof Error ? e.message : String(e),
        updated: Date.now(),
      };
      this.run = failed;
      await this.db.put(failed);
      throw e;
    }
    await this.#saving;
    const final: RunRecord = {
      ...(this.run as RunRecord),
      status: outcome.stop,
      message: outcome.message,
      epochs: outcome.history,
      batchLoss: this.#batchLoss,
      test: outcome.test,
      seconds: (run.seconds ?? 0) + outcome.seconds,
      updated: Date.now(),
    };
    this.run = final;
    this.modelVersion++;
    await this.db.put(final);
    this.message =
      outcome.stop === 'diverged'
        ? { kind: 'error', text: `Training stopped: ${outcome.message}` }
        : {
            kind: 'info',
            text:
              outcome.stop === 'completed'
                ? `Finished ${outcome.history.length} epoch${outcome.history.length === 1 ? '' : 's'} in ${outcome.seconds.toFixed(1)} s`
                : `Training ended: ${outcome.message}`,
          };
  }

  pause(): void {
    if (this.phase === 'training') void this.client.request('pause', {});
  }

  resume(): void {
    if (this.phase === 'paused') void this.client.request('resume', {});
  }

  stop(): void {
    if (this.phase === 'training' || this.phase === 'paused') void this.client.request('stop', {});
  }

  /** The trained model as a tfjs zip (see `runtime/export/tfjs.ts`). */
  exportZip(loaderSource: string): Promise<Uint8Array> {
    return this.exportModel('tfjs', loaderSource);
  }

  /** The trained model in a service format: tfjs zip, `.onnx` file, or PyTorch folder as a zip. */
  async exportModel(format: ExportFormat, loaderSource = ''): Promise<Uint8Array> {
    const run = this.run;
    const parsed = run ? loadDocument(run.document) : null;
    const document = parsed?.ok ? parsed.doc : this.host.doc();
    return this.client.request('export', {
      format,
      document,
      loaderSource,
      run: run
        ? {
            config: { ...run.training },
            history: run.epochs,
            stop: run.status,
            message: run.message,
            seconds: run.seconds,
            backend: run.backend,
            metrics: run.test,
            startedAt: iso(run.created),
            finishedAt: iso(run.updated),
          }
        : undefined,
    });
  }

  dispose(): void {
    cancelAnimationFrame(this.#frame);
    this.#client?.terminate();
    this.#client = null;
  }

  #onEvent(e: LabEvent): void {
    switch (e.kind) {
      case 'phase':
        // 'idle' comes before the run's record is final: #guard sets it once everything is stored.
        if (e.phase !== 'idle') this.phase = e.phase;
        return;
      case 'batch': {
        const b = e.batch;
        const step = (b.epoch - 1) * b.batches + b.batch;
        appendThinned(this.#batchLoss, [step, b.loss]);
        appendThinned(this.#lr, [step, b.lr]);
        const epochs = this.run?.training.epochs ?? b.epoch;
        this.progress = {
          epoch: b.epoch,
          epochs,
          batch: b.batch,
          batches: b.batches,
          fraction: step / (epochs * b.batches),
          etaSeconds: b.etaSeconds,
          samplesPerSec: b.samplesPerSec,
        };
        this.#schedule();
        return;
      }
      case 'epoch':
        this.modelVersion++;
        this.#epochs = [...this.#epochs, e.epoch];
        this.#schedule();
        return;
      case 'checkpoint': {
        const run = this.run;
        if (!run) return;
        const updated: RunRecord = { ...run, epochs: this.#epochs, batchLoss: [...this.#batchLoss] };
        this.run = updated;
        // Sequenced: checkpoints reach the store in order and the final record is written after them.
        this.#saving = this.#saving
          .then(() => this.db.saveCheckpoint(run.id, e.checkpoint, updated))
          .then(
            () => {
              this.run = { ...(this.run as RunRecord), checkpointEpoch: e.checkpoint.epoch };
              this.checkpoints++;
            },
            (err) => {
              this.message = { kind: 'error', text: `Could not store the checkpoint: ${String(err)}` };
            },
          );
        return;
      }
    }
  }

  #schedule(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#publish();
    });
  }

  #publish(): void {
    const names = Object.keys(this.#epochs.find((r) => r.val)?.val ?? {}).filter((k) => k !== 'top5');
    this.curves = {
      batchLoss: [this.#batchLoss.map((p) => p[0]), this.#batchLoss.map((p) => p[1])],
      lr: [this.#lr.map((p) => p[0]), this.#lr.map((p) => p[1])],
      epochLoss: [
        this.#epochs.map((r) => r.epoch),
        this.#epochs.map((r) => r.trainLoss),
        this.#epochs.map((r) => r.valLoss ?? null),
      ],
      epochMetric: {
        names,
        data: [
          this.#epochs.map((r) => r.epoch),
          ...names.map((n) => this.#epochs.map((r) => r.val?.[n] ?? null)),
        ],
      },
    };
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (e) {
      this.message = { kind: 'error', text: e instanceof Error ? e.message : String(e) };
      return null;
    } finally {
      this.phase = 'idle';
    }
  }
}

// Plain timestamps → text (a throwaway Date; nothing reactive holds it).
const iso = (ms: number): string => new Date(ms).toISOString();
/** "2026-11-28 16:05" for run names. */
const isoMinute = (ms: number): string => iso(ms).slice(0, 16).replace('T', ' ');

export function emptyCurves(): Curves {
  return {
    batchLoss: [[], []],
    lr: [[], []],
    epochLoss: [[], [], []],
    epochMetric: { names: [], data: [[]] },
  };
}

export type { BrowserBackend };
