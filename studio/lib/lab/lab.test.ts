/**
 * The lab's pure helpers: the message protocol's transfer list and backend choice, run-history logic
 * (interrupted runs, curve thinning, overlays) and the hyper-parameter checks. IndexedDB and the worker
 * themselves are exercised in the browser (tests/e2e/train.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { RunRecord } from './runs-db';
import { appendThinned, comparableMetrics, headline, interruptedRun, overlayEpochs } from './runs-db';
import { checkTraining, defaultTraining, formatDuration } from './hyper';
import { describeBackend, fastest, formatStep, transferablesOf } from './protocol';

const run = (over: Partial<RunRecord>): RunRecord => ({
  id: 'r',
  name: 'run',
  created: 0,
  updated: 0,
  status: 'completed',
  document: '{}',
  data: { source: 'demo: shapes (seed 0)', kind: 'images', seed: 0, samples: { train: 1, val: 1, test: 1 } },
  training: defaultTraining('classification'),
  backend: 'wasm',
  batchLoss: [],
  epochs: [],
  checkpointEpoch: 0,
  seconds: 0,
  ...over,
});

describe('protocol helpers', () => {
  it('transfers each whole buffer once and never a view on part of a buffer', () => {
    const pixels = new Uint8Array(16);
    const labels = new Int32Array(4);
    const shared = new Float32Array(8);
    const part = new Float32Array(shared.buffer, 8, 2);
    const list = transferablesOf({
      a: { pixels, labels },
      again: pixels,
      list: [shared, part],
      n: 3,
      s: 'x',
    });
    expect(list).toHaveLength(3);
    expect(list).toContain(pixels.buffer);
    expect(list).toContain(labels.buffer);
    expect(list).toContain(shared.buffer);
    expect(transferablesOf({ only: part })).toEqual([]);
  });

  it('picks the fastest timed backend and says what it measured', () => {
    expect(fastest({ webgpu: 1100, wasm: 19, cpu: 400 })).toBe('wasm');
    expect(fastest({})).toBeUndefined();
    const line = describeBackend({
      backend: 'webgpu',
      adapter: { description: 'google swiftshader', isFallbackAdapter: true },
      stepMs: { webgpu: 12.4 },
      skipped: {},
      why: 'chosen by you',
    });
    expect(line).toBe('WebGPU · google swiftshader (software fallback) · 12 ms/step');
    const wasm = { backend: 'wasm', fused: true, stepMs: { wasm: 40 }, skipped: {}, why: 'fastest' } as const;
    expect(describeBackend(wasm)).toBe('WebAssembly · fused SIMD kernels · 40 ms/step');
    expect(describeBackend({ ...wasm, fma: true })).toBe(
      'WebAssembly · fused SIMD kernels (FMA) · 40 ms/step',
    );
    expect(formatStep(1530)).toBe('1.5 s/step');
  });
});

describe('run history', () => {
  it('offers the newest run left mid-training with a checkpoint, and nothing else', () => {
    const runs = [
      run({ id: 'done', status: 'completed', checkpointEpoch: 10, updated: 5 }),
      run({ id: 'no-checkpoint', status: 'running', checkpointEpoch: 0, updated: 9 }),
      run({ id: 'old', status: 'running', checkpointEpoch: 2, updated: 1 }),
      run({ id: 'new', status: 'running', checkpointEpoch: 3, updated: 4 }),
      run({ id: 'failed', status: 'failed', checkpointEpoch: 3, updated: 8 }),
      run({ id: 'all-epochs', status: 'running', checkpointEpoch: 10, updated: 7 }),
    ];
    expect(interruptedRun(runs)?.id).toBe('new');
    expect(interruptedRun(runs.filter((r) => r.id !== 'new' && r.id !== 'old'))).toBeUndefined();
  });

  it('thins the batch curve to a bounded size, keeping its first and latest points', () => {
    const pts: [number, number][] = [];
    for (let i = 1; i <= 1000; i++) appendThinned(pts, [i, 1 / i], 100);
    expect(pts.length).toBeLessThanOrEqual(100);
    expect(pts.length).toBeGreaterThan(50);
    expect(pts[0][0]).toBe(1);
    expect(pts[pts.length - 1][0]).toBe(1000);
    for (let i = 1; i < pts.length; i++) expect(pts[i][0]).toBeGreaterThan(pts[i - 1][0]);
  });

  it('overlays two runs on the union of their epochs, null where a run has none', () => {
    const a = run({
      epochs: [
        { epoch: 1, trainLoss: 2, valLoss: 1.5, val: { accuracy: 0.5 }, lr: 1, seconds: 1 },
        { epoch: 2, trainLoss: 1, valLoss: 1.2, val: { accuracy: 0.6 }, lr: 1, seconds: 1 },
      ],
    });
    const b = run({
      epochs: [{ epoch: 1, trainLoss: 3, val: { accuracy: 0.4, top5: 1 }, lr: 1, seconds: 1 }],
    });
    expect(overlayEpochs([a, b], 'trainLoss')).toEqual([
      [1, 2],
      [2, 1],
      [3, null],
    ]);
    expect(overlayEpochs([a, b], 'valLoss')).toEqual([
      [1, 2],
      [1.5, 1.2],
      [null, null],
    ]);
    expect(comparableMetrics([a, b])).toEqual(['trainLoss', 'valLoss', 'accuracy']);
    expect(headline(a)).toBe('acc 60.0%');
    expect(headline(run({ test: { mse: 0.4123, mae: 0.4 } }))).toBe('mse 0.412');
  });
});

describe('hyper-parameters', () => {
  it('has defaults per task that pass their own checks', () => {
    expect(checkTraining(defaultTraining('classification'))).toEqual([]);
    expect(checkTraining(defaultTraining('forecasting'))).toEqual([]);
    expect(defaultTraining('classification').labelSmoothing).toBeGreaterThan(0);
    expect(defaultTraining('forecasting').earlyStoppingPatience).toBeGreaterThan(0);
  });

  it('names the field, the range and the bad value', () => {
    const t = { ...defaultTraining('classification'), learningRate: 0, batchSize: 2.5, labelSmoothing: 0.9 };
    const problems = checkTraining(t);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe('Learning rate: expected a number > 0 and ≤ 10, got 0');
    expect(problems[1]).toContain('Batch size: expected a whole number');
    expect(problems[2]).toContain('Label smoothing');
    expect(checkTraining({ ...t, ...defaultTraining('classification'), epochs: Number.NaN })[0]).toContain(
      'Epochs',
    );
  });

  it('formats durations for ETAs', () => {
    expect(formatDuration(42.4)).toBe('42 s');
    expect(formatDuration(200)).toBe('3 min 20 s');
    expect(formatDuration(3900)).toBe('1 h 05 min');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('—');
  });
});
