/**
 * The studio's training worker: owns the data, the compiled model and the tfjs backend, and drives the
 * framework-free runtime (compile, trainer, evaluation) for the main thread, which only sends messages
 * (see ./protocol.ts) and draws. Nothing here blocks the page: all tensor work happens in this thread.
 */
import * as tf from '@tensorflow/tfjs';
import {
  BROWSER_BACKENDS,
  initBrowserBackend,
  probeBrowserBackends,
  type BackendInfo,
  type BrowserBackend,
} from '$runtime/backend/browser';
import { fusedKernelsActive } from '$runtime/backend/fused-ops';
import { fusedKernelsFma } from '$runtime/backend/fused-kernels';
import type { DataSplits } from '$runtime/data/types';
import { formatIssue, type HeraclesDocument, type Training } from '$runtime/document/schema';
import { compileDocument, GraphError } from '$runtime/graph/compile';
import { disposeSpectralCache } from '$runtime/spectral/transform';
import { handleInspect } from '$runtime/evaluate/protocol';
import { exportTfjs } from '$runtime/export/tfjs';
import { zipFiles } from '$runtime/export/zip';
import type { CodeRegistration } from '$runtime/custom/code-block';
import type { DataInfo } from '$runtime/io/model-dir';
import { Optimizer } from '$runtime/train/optimizer';
import { dataInfoOf, taskDataOf, type TaskData } from '$runtime/train/task-data';
import { evaluate, lossOf, train, type Checkpoint } from '$runtime/train/trainer';
import {
  fastest,
  type BackendChoice,
  type BackendReport,
  type LabEvent,
  type LabPhase,
  type Preflight,
  type Reply,
  type Request,
  type Requests,
  type TrainOutcome,
} from './protocol';

interface Lab {
  data?: DataSplits;
  task?: TaskData;
  doc?: HeraclesDocument;
  model?: tf.LayersModel;
  /** Backend the model was built on (a model is rebuilt when the backend changes). */
  modelBackend?: string;
  modelSeed?: number;
  report?: BackendReport;
  probed?: BackendInfo[];
  last?: Checkpoint;
  phase: LabPhase;
  stopRequested: boolean;
  resumeWaiters: (() => void)[];
}

const lab: Lab = { phase: 'idle', stopRequested: false, resumeWaiters: [] };
const post = (m: Reply | { event: LabEvent }): void => (self as unknown as Worker).postMessage(m);
const emit = (event: LabEvent): void => post({ event });

function setPhase(phase: LabPhase): void {
  lab.phase = phase;
  emit({ kind: 'phase', phase });
}

/**
 * A macrotask boundary that costs ~0 ms (setTimeout in a loop is clamped to 4 ms): lets Pause/Stop
 * messages in between two training steps.
 */
const channel = new MessageChannel();
const ticks: (() => void)[] = [];
channel.port1.onmessage = () => ticks.shift()?.();
const nextTask = (): Promise<void> =>
  new Promise((resolve) => {
    ticks.push(resolve);
    channel.port2.postMessage(0);
  });

/**
 * Switches the active backend. Tensors the runtime keeps between models (the spectral transform
 * matrices) are dropped first: tfjs would otherwise move them lazily, and moving data off WebGPU reads
 * it back synchronously, which returns wrong values in a worker.
 */
async function useBackend(name: BrowserBackend): Promise<BackendInfo> {
  if (tf.getBackend() !== name) {
    dropModel();
    disposeSpectralCache();
  }
  return initBrowserBackend(name);
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(what);
  return value;
}

/** The model for `doc` on the active backend, rebuilt when the backend or the seed changed. */
function modelFor(seed: number): tf.LayersModel {
  const doc = need(lab.doc, 'no model: send the document first (compile)');
  if (lab.model && lab.modelBackend === tf.getBackend() && lab.modelSeed === seed) return lab.model;
  lab.model?.dispose();
  lab.model = undefined;
  lab.model = compileDocument(doc, { seed }).model;
  lab.modelBackend = tf.getBackend();
  lab.modelSeed = seed;
  return lab.model;
}

const trainableCount = (model: tf.LayersModel): number =>
  model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);

function dropModel(): void {
  lab.model?.dispose();
  lab.model = undefined;
  lab.modelBackend = undefined;
}

/** Milliseconds of one training step (forward, backward, update) after `warmup` untimed steps. */
async function timeStep(model: tf.LayersModel, task: TaskData, t: Training, warmup = 1): Promise<number> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = new Optimizer({ name: t.optimizer, weightDecay: t.weightDecay, momentum: t.momentum });
  const n = Math.min(t.batchSize, task.size('train'));
  const idx = Array.from({ length: n }, (_, i) => i);
  const step = async () => {
    const { x, y } = task.batch('train', idx);
    const { value, grads } = tf.variableGrads(
      () => lossOf(task, model.apply(x, { training: true }) as tf.Tensor, y, t.labelSmoothing),
      vars,
    );
    await value.data();
    optimizer.apply(
      vars,
      vars.map((v) => grads[v.name]),
      t.learningRate,
    );
    // Reading one updated variable waits for the whole step on asynchronous (GPU) backends.
    if (vars.length) await vars[vars.length - 1].data();
    tf.dispose([x, y, value, ...Object.values(grads)]);
  };
  try {
    for (let i = 0; i < warmup; i++) await step();
    const t0 = performance.now();
    await step();
    return performance.now() - t0;
  } finally {
    optimizer.dispose();
  }
}

/** Chooses the backend: each available one timed on a fresh copy of the model when `auto`. */
async function chooseBackend(choice: BackendChoice, t: Training): Promise<BackendReport> {
  const task = need(lab.task, 'no data: load a data set first');
  need(lab.doc, 'no model: send the document first (compile)');
  lab.probed ??= await probeBrowserBackends();
  const infos = lab.probed;
  const stepMs: BackendReport['stepMs'] = {};
  const skipped: BackendReport['skipped'] = {};
  for (const b of infos) if (!b.available) skipped[b.name] = b.reason ?? 'unavailable';
  const candidates =
    choice === 'auto' ? BROWSER_BACKENDS.filter((b) => infos.find((i) => i.name === b)?.available) : [choice];
  for (const name of candidates) {
    try {
      await useBackend(name);
      stepMs[name] = await timeStep(modelFor(t.seed), task, t);
      delete skipped[name];
    } catch (e) {
      skipped[name] = errorText(e);
    } finally {
      dropModel();
    }
  }
  let backend = choice === 'auto' ? fastest(stepMs) : stepMs[choice] !== undefined ? choice : undefined;
  let why: string;
  if (backend && choice === 'auto') {
    const others = Object.keys(stepMs).filter((b) => b !== backend);
    why = others.length ? `fastest of ${Object.keys(stepMs).join(', ')}` : 'the only backend that works here';
  } else if (backend) why = 'chosen by you';
  else {
    // A forced backend that failed falls back to the fastest that works (cpu always does).
    const reason = choice === 'auto' ? 'no backend could run a step' : `${choice}: ${skipped[choice]}`;
    await useBackend('cpu');
    stepMs.cpu = await timeStep(modelFor(t.seed), task, t);
    dropModel();
    backend = 'cpu';
    why = `fell back to cpu (${reason})`;
  }
  await useBackend(backend);
  const adapter = backend === 'webgpu' ? infos.find((i) => i.name === 'webgpu')?.adapter : undefined;
  const fused = backend === 'wasm' ? fusedKernelsActive() : undefined;
  const fma = backend === 'wasm' ? fusedKernelsFma() : undefined;
  lab.report = { backend, adapter, fused, fma, stepMs, skipped, why };
  return lab.report;
}

async function preflight(req: Requests['preflight']['req']): Promise<Preflight> {
  const task = need(lab.task, 'no data: load a data set first');
  const t = req.training;
  const report = await chooseBackend(req.backend, t);
  const model = modelFor(t.seed);
  const samples = task.size('train');
  const batches = Math.ceil(samples / t.batchSize);
  const stepMs = report.stepMs[report.backend] as number;
  // Validation runs forward only (about a third of a step) over the val split once per epoch.
  const valBatches = Math.ceil(task.size('val') / Math.max(t.batchSize, 128));
  dropModel(); // the timed steps changed its weights: training starts from freshly seeded ones
  return {
    report,
    params: model.countParams(),
    trainableParams: trainableCount(model),
    samples,
    batches,
    stepMs,
    epochSeconds:
      (batches * stepMs + (valBatches * stepMs * Math.max(t.batchSize, 128)) / t.batchSize / 3) / 1000,
  };
}

async function runTraining(req: Requests['train']['req']): Promise<TrainOutcome> {
  if (lab.phase !== 'idle') throw new Error('training is already running');
  const task = need(lab.task, 'no data: load a data set first');
  const t = req.training;
  if (!lab.report) await chooseBackend('auto', t);
  dropModel();
  const model = modelFor(t.seed);
  lab.stopRequested = false;
  lab.last = req.resume;
  setPhase('training');
  try {
    const result = await train(
      model,
      task,
      t,
      {
        onBatch: (batch) => emit({ kind: 'batch', batch }),
        onEpoch: (epoch) => emit({ kind: 'epoch', epoch }),
        onCheckpoint: (checkpoint) => {
          lab.last = checkpoint;
          emit({ kind: 'checkpoint', checkpoint });
        },
        shouldStop: () => lab.stopRequested,
        yieldToHost: async () => {
          await nextTask();
          while (lab.phase === 'paused' && !lab.stopRequested)
            await new Promise<void>((r) => lab.resumeWaiters.push(r));
        },
      },
      req.resume,
    );
    if (result.checkpoint) lab.last = result.checkpoint;
    let test: Record<string, number> | undefined;
    // Test metrics for runs that ran their course (a user's Stop should not wait for a test pass).
    if (task.size('test') > 0 && result.stop !== 'diverged' && result.stop !== 'stopped')
      test = (await evaluate(model, task, 'test', Math.max(t.batchSize, 128))).summary;
    return {
      stop: result.stop,
      message: result.message,
      history: result.history,
      epochs: result.epochs,
      seconds: result.seconds,
      test,
    };
  } finally {
    setPhase('idle');
  }
}

function wake(): void {
  lab.resumeWaiters.splice(0).forEach((r) => r());
}

async function handle(req: Request): Promise<unknown> {
  switch (req.type) {
    case 'probe':
      lab.probed = await probeBrowserBackends();
      return lab.probed;
    case 'loadData': {
      lab.data = req.data;
      lab.task = taskDataOf(req.data, { lookback: req.lookback, horizon: req.horizon });
      const task = lab.task;
      return { train: task.size('train'), val: task.size('val'), test: task.size('test') };
    }
    case 'compile': {
      if (lab.phase !== 'idle') throw new Error('cannot change the model while training; stop first');
      dropModel();
      await registerCode(req.doc, req.trusted ?? false);
      lab.doc = req.doc;
      const model = modelFor(req.doc.training.seed);
      return {
        params: model.countParams(),
        trainableParams: trainableCount(model),
      };
    }
    case 'preflight':
      if (lab.phase !== 'idle') throw new Error('cannot run the pre-flight check while training');
      return preflight(req);
    case 'train':
      return runTraining(req);
    case 'pause':
      if (lab.phase === 'training') setPhase('paused');
      return { phase: lab.phase };
    case 'resume':
      if (lab.phase === 'paused') setPhase('training');
      wake();
      return { phase: lab.phase };
    case 'stop':
      if (lab.phase !== 'idle') {
        lab.stopRequested = true;
        setPhase('stopping');
        wake();
      }
      return { phase: lab.phase };
    case 'checkpoint':
      return lab.last ?? null;
    case 'evaluate':
      return evaluate(
        need(lab.model, 'no trained model yet'),
        need(lab.task, 'no data: load a data set first'),
        req.split,
      );
    case 'inspect':
      return handleInspect(
        need(lab.model, 'train a model first: the inside view looks at trained weights'),
        need(lab.task, 'no data: load a data set first'),
        req.request,
      );
    case 'export': {
      const model = need(lab.model, 'train a model first: there are no trained weights to export');
      const files = { document: req.document, data: dataInfo(), run: req.run };
      if (req.format === 'onnx') {
        const { exportOnnx } = await import('$runtime/export/onnx/index');
        return exportOnnx(model, { docName: req.document.metadata.name });
      }
      if (req.format === 'pytorch') {
        const { exportPytorch } = await import('$runtime/export/pytorch/index');
        return zipFiles(exportPytorch(model, files));
      }
      return zipFiles(await exportTfjs(model, files, req.loaderSource));
    }
  }
}

let codeRegistration: CodeRegistration | undefined;

/** Registers the blocks a trusted notebook's code cells define (an untrusted notebook's code never runs). */
async function registerCode(doc: HeraclesDocument, trusted: boolean): Promise<void> {
  if (!doc.cells.some((c) => c.kind === 'code') && !codeRegistration) return;
  const { registerNotebookCode } = await import('$runtime/custom/code-block');
  codeRegistration?.dispose();
  codeRegistration = registerNotebookCode(doc, { trusted });
  if (codeRegistration.errors.length)
    throw new Error(codeRegistration.errors.map((e) => e.message).join('; '));
}

/** What `heracles eval/predict` need to know about the data (the CLI writes the same `data.json`). */
function dataInfo(): DataInfo {
  return dataInfoOf(
    need(lab.data, 'no data: load a data set first'),
    need(lab.task, 'no data: load a data set first'),
  );
}

function errorText(e: unknown): string {
  if (e instanceof GraphError) return e.issues.map(formatIssue).join('\n');
  return e instanceof Error ? e.message : String(e);
}

// Until a backend is chosen, models are built on cpu: it always starts, and builds are cheap there.
const started = initBrowserBackend('cpu');

self.onmessage = async (ev: MessageEvent<Request>) => {
  const req = ev.data;
  try {
    await started;
    const result = await handle(req);
    post({ id: req.id, ok: true, result });
  } catch (e) {
    post({
      id: req.id,
      ok: false,
      error: errorText(e),
      issues: e instanceof GraphError ? e.issues.map(formatIssue) : undefined,
    });
  }
};
