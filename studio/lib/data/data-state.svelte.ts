/**
 * The studio's loaded data as a rune class: the splits, where they came from, the split/seed/window
 * settings and the loading state. The Data panel edits it; the Train panel reads `splits` and `taskData()`.
 *
 * A failed load sets `error` and leaves the previous data in place, so a bad file never costs the user the
 * data (or the runs) they had.
 */
import { demoSeries, demoShapes } from '$runtime/data/demo';
import { checkUploadSizes, MAX_UPLOAD_BYTES, type LoadFilesOptions } from '$runtime/data/files';
import type { DataSplits } from '$runtime/data/types';
import { taskDataOf, type TaskData } from '$runtime/train/task-data';
import type { ParseReply, ParseRequest } from './parse.worker';

export type DemoName = 'shapes' | 'series';

/** A file to load with the path the user sees (folder drops and pickers keep the class folders). */
export interface UploadFile {
  path: string;
  file: File;
}

export class DataState {
  splits = $state.raw<DataSplits | null>(null);
  /** Where the data came from ("demo: shapes (seed 0)", "ETTh1.csv"); '' when nothing is loaded. */
  source = $state('');
  /** The last load's problem in plain language; null when it went well. */
  error = $state<string | null>(null);
  /** Things the loader skipped or changed without failing. */
  warnings = $state.raw<string[]>([]);
  /** Series windows: rows the model sees and rows it predicts. */
  lookback = $state(96);
  horizon = $state(24);
  /** Seed of the image split and of the demo generators. */
  seed = $state(0);
  /**
   * Split fractions for val and test. For series, `customSplit` false keeps the file's standard borders
   * (the ETT borders for ETTh/ETTm files, else 70/10/20).
   */
  valFraction = $state(0.1);
  testFraction = $state(0.2);
  customSplit = $state(false);
  loading = $state(false);
  /** Progress of the current load (files read, then parsing); null when idle. */
  progress = $state.raw<{ done: number; total: number; label: string } | null>(null);
  /** Bumped whenever new data replaces the old (the Train panel resets on it). */
  version = $state(0);

  readonly maxUploadBytes = MAX_UPLOAD_BYTES;
  /** What was loaded last, so split and seed changes can reload it. */
  #last: { demo: DemoName } | { files: UploadFile[] } | null = null;
  #worker: Worker | null = null;

  get kind(): 'images' | 'series' | null {
    return this.splits?.kind ?? null;
  }

  /** The trainer's and evaluator's view of the data, cut with the current lookback/horizon. */
  taskData(): TaskData | null {
    return this.splits ? taskDataOf(this.splits, { lookback: this.lookback, horizon: this.horizon }) : null;
  }

  async loadDemo(name: DemoName): Promise<boolean> {
    this.#last = { demo: name };
    return this.#run(async () =>
      name === 'shapes'
        ? demoShapes({
            count: 3000,
            seed: this.seed,
            valFraction: this.valFraction,
            testFraction: this.testFraction,
          })
        : demoSeries({ rows: 3000, seed: this.seed }),
    );
  }

  /** Loads uploaded files (see `runtime/data/files.ts` for what is accepted). Sizes are checked before reading. */
  async loadFiles(files: (File | UploadFile)[]): Promise<boolean> {
    const uploads = files.map((f) =>
      f instanceof File ? { path: f.webkitRelativePath || f.name, file: f } : f,
    );
    try {
      checkUploadSizes(uploads.map((u) => ({ path: u.path, size: u.file.size })));
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      return false;
    }
    this.#last = { files: uploads };
    return this.#run(() => this.#parse(uploads));
  }

  /** Loads the last data again with the current split and seed. */
  async reload(): Promise<boolean> {
    const last = this.#last;
    if (!last) return false;
    return 'demo' in last ? this.loadDemo(last.demo) : this.loadFiles(last.files);
  }

  clear(): void {
    this.splits = null;
    this.source = '';
    this.error = null;
    this.warnings = [];
    this.#last = null;
    this.version++;
  }

  options(): LoadFilesOptions {
    const train = 1 - this.valFraction - this.testFraction;
    return {
      seed: this.seed,
      valFraction: this.valFraction,
      testFraction: this.testFraction,
      ...(this.customSplit ? { split: [train, this.valFraction, this.testFraction] as const } : {}),
    };
  }

  async #run(load: () => Promise<DataSplits>): Promise<boolean> {
    this.loading = true;
    this.error = null;
    try {
      const splits = await load();
      this.splits = splits;
      this.source = splits.source;
      this.warnings = (splits.kind === 'images' ? splits.warnings : undefined) ?? [];
      if (splits.kind === 'series') {
        // A lookback longer than the train split cannot make a single window.
        const trainRows = splits.borders.train[1] - splits.borders.train[0];
        if (this.lookback + this.horizon > trainRows)
          this.lookback = Math.max(1, Math.min(this.lookback, Math.floor(trainRows / 2)));
        if (this.lookback + this.horizon > trainRows) this.horizon = Math.max(1, trainRows - this.lookback);
      }
      this.version++;
      return true;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      return false;
    } finally {
      this.loading = false;
      this.progress = null;
    }
  }

  #parse(files: UploadFile[]): Promise<DataSplits> {
    this.#worker?.terminate();
    // Vite bundles the worker from this exact `new Worker(new URL(…))` form.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a module URL, not state
    const worker = new Worker(new URL('./parse.worker.ts', import.meta.url), { type: 'module' });
    this.#worker = worker;
    return new Promise<DataSplits>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<ParseReply>) => {
        const msg = e.data;
        if (msg.kind === 'progress') {
          this.progress = { done: msg.done, total: msg.total, label: msg.label };
          return;
        }
        worker.terminate();
        if (this.#worker === worker) this.#worker = null;
        if (msg.kind === 'done') resolve(msg.splits);
        else reject(new Error(msg.message));
      };
      worker.onerror = (e) => {
        worker.terminate();
        reject(new Error(`the file reader stopped: ${e.message || 'unknown error'}`));
      };
      const req: ParseRequest = { files, opts: this.options() };
      worker.postMessage(req);
    });
  }
}
