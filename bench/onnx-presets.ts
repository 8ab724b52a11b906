/**
 * ONNX export of the paper's ImageNet models: heracles-s, -b and -l (224×224×3, 1000 classes), compiled
 * with their template seed, exported with `exportOnnx`, then one seeded 224×224 sample run through
 * onnxruntime-node (CPU) and through tfjs (wasm); then again with seeded random weights (random BatchNorm
 * statistics, spectral weights of size ~1: every path carries signal). Records max |ONNX − tfjs| over the
 * 1000 logits for both, the file size, the export time, and the forward time of each side.
 * Target: max |ONNX − tfjs| ≤ 1e-4 for all three.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { initNodeBackend } from '../runtime/backend/node';
import { mulberry32 } from '../runtime/data/bytes';
import { loadDocument } from '../runtime/document/load';
import { formatIssue } from '../runtime/document/schema';
import { exportOnnx } from '../runtime/export/onnx/index';
import { randomizeWeights } from '../runtime/export/onnx/testing';
import { compileDocument } from '../runtime/graph/compile';
import { fmt, isMain, log, ROOT, runStandalone, timeIt, type BenchResult, type Timing } from './util';

const PRESETS = ['heracles-s', 'heracles-b', 'heracles-l'];
const TOL = 1e-4;
const SIDE = 224;

interface Row {
  preset: string;
  params: number;
  exportMs: number;
  bytes: number;
  maxAbs: number;
  maxLogit: number;
  /** The same with seeded random weights. */
  randomMaxAbs: number;
  randomMaxLogit: number;
  sessionMs: number;
  ort: Timing;
  tfjs: Timing;
}

function loadPreset(name: string) {
  const raw = JSON.parse(readFileSync(path.join(ROOT, 'templates', `${name}.heracles.json`), 'utf8'));
  const r = loadDocument(raw);
  if (!r.ok) throw new Error(`${name}: ${r.issues.map(formatIssue).join('; ')}`);
  return r.doc;
}

/** [max |ONNX − tfjs|, max |tfjs logit|] for one sample (Infinity when a side is not finite). */
async function difference(
  session: ort.InferenceSession,
  model: tf.LayersModel,
  data: Float32Array,
  shape: number[],
): Promise<[number, number]> {
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  const ortOut = (await session.run(feeds))[session.outputNames[0]].data as Float32Array;
  const tfjsOut = tf.tidy(
    () => (model.predict(tf.tensor(data, shape)) as tf.Tensor).dataSync() as Float32Array,
  );
  let maxAbs = ortOut.length === tfjsOut.length ? 0 : Infinity;
  let maxLogit = 0;
  for (let i = 0; i < tfjsOut.length; i++) {
    const d = Math.abs(ortOut[i] - tfjsOut[i]);
    maxAbs = Number.isFinite(d) ? Math.max(maxAbs, d) : Infinity;
    maxLogit = Math.max(maxLogit, Math.abs(tfjsOut[i]));
  }
  return [maxAbs, maxLogit];
}

async function measure(name: string): Promise<Row> {
  const { model } = compileDocument(loadPreset(name));
  // Trainable parameters, as the README counts them (BatchNorm statistics are not).
  const params = model.trainableWeights.reduce(
    (n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1),
    0,
  );
  const t0 = performance.now();
  const bytes = exportOnnx(model, { docName: name });
  const exportMs = performance.now() - t0;

  const shape = [1, SIDE, SIDE, 3];
  const rand = mulberry32(2024);
  const data = Float32Array.from({ length: SIDE * SIDE * 3 }, () => rand() * 2 - 1);

  const s0 = performance.now();
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  const sessionMs = performance.now() - s0;
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  const [maxAbs, maxLogit] = await difference(session, model, data, shape);

  const ortT = await timeIt(() => session.run(feeds), { warmup: 0, reps: 3, minReps: 1, budgetMs: 20_000 });
  const tfjsT = await timeIt(
    () => tf.tidy(() => (model.predict(tf.tensor(data, shape)) as tf.Tensor).dataSync()),
    { warmup: 0, reps: 3, minReps: 1, budgetMs: 30_000 },
  );
  await session.release();

  randomizeWeights(model, 7);
  const randomSession = await ort.InferenceSession.create(exportOnnx(model), { executionProviders: ['cpu'] });
  const [randomMaxAbs, randomMaxLogit] = await difference(randomSession, model, data, shape);
  await randomSession.release();
  model.dispose();
  log(
    `${name}: max |diff| ${maxAbs.toExponential(2)} (logits up to ${fmt(maxLogit, 2)}), random weights ${randomMaxAbs.toExponential(2)} (logits up to ${fmt(randomMaxLogit, 2)}), ${fmt(bytes.length / 2 ** 20)} MiB, export ${fmt(exportMs)} ms`,
  );
  return {
    preset: name,
    params,
    exportMs,
    bytes: bytes.length,
    maxAbs,
    maxLogit,
    randomMaxAbs,
    randomMaxLogit,
    sessionMs,
    ort: ortT,
    tfjs: tfjsT,
  };
}

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  await initNodeBackend('wasm');
  const rows: Row[] = [];
  for (const name of PRESETS) rows.push(await measure(name));
  const worst = Math.max(...rows.flatMap((r) => [r.maxAbs, r.randomMaxAbs]));
  return {
    name: 'onnx-presets',
    title: 'ONNX export of Heracles-S/B/L: onnxruntime vs tfjs',
    date: new Date().toISOString(),
    description: `Each ImageNet preset is compiled (template seed, initial weights), exported with \`exportOnnx\` (opset 17, channels-last, 2-D Hartley transforms as constant-matrix MatMuls), and one seeded ${SIDE}×${SIDE}×3 sample is run through onnxruntime-node ${ort.env.versions.common} (CPU execution provider) and tfjs (wasm). The difference is the largest absolute difference over the 1000 logits; it is measured again after replacing every weight with seeded random values (\`randomizeWeights\`: BatchNorm statistics, biases, spectral weights uniform in [−1, 1]), which the initial weights leave near 0 or 1. Forward times are single-sample medians (up to 3 runs after the comparison run), for orientation only: both sides share the 2-core machine.`,
    target: 'max |ONNX − tfjs| ≤ 1e-4 for S/B/L',
    headline: `max |ONNX − tfjs| ${rows.map((r) => `${r.preset.replace('heracles-', '').toUpperCase()}: ${Math.max(r.maxAbs, r.randomMaxAbs).toExponential(1)}`).join(', ')} (initial and random weights)`,
    pass: worst <= TOL,
    tables: [
      {
        caption: `one ${SIDE}×${SIDE} sample, batch 1`,
        headers: [
          'preset',
          'trainable parameters',
          'max abs diff',
          'max abs logit',
          'max abs diff, random weights',
          'max abs logit, random weights',
          'ONNX file (MiB)',
          'export (s)',
          'ORT session (s)',
          'ORT forward (ms)',
          'tfjs wasm forward (ms)',
        ],
        rows: rows.map((r) => [
          r.preset,
          r.params.toLocaleString('en-US'),
          r.maxAbs.toExponential(1),
          fmt(r.maxLogit, 2),
          r.randomMaxAbs.toExponential(1),
          fmt(r.randomMaxLogit, 2),
          fmt(r.bytes / 2 ** 20),
          fmt(r.exportMs / 1000, 2),
          fmt(r.sessionMs / 1000, 2),
          fmt(r.ort.median),
          fmt(r.tfjs.median),
        ]),
      },
    ],
    notes: [
      'The file holds the weights as float32 plus the transform matrices (one copy per token-grid size, shared by every block of a stage), so its size is ≈ 4 bytes × parameters.',
      'The exported graph keeps the studio’s channels-last layout (input [batch, 224, 224, 3], batch symbolic); each convolution sits between a Transpose to channels-first and one back.',
    ],
    data: { rows },
    seconds: Math.round((performance.now() - t0) / 1000),
  };
}

if (isMain(import.meta.url)) await runStandalone(run);
