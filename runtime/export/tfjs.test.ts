/**
 * The tfjs export end to end: zip → unzip → a plain Node script with stock @tensorflow/tfjs and the
 * bundled loader predicts exactly what this process predicts; the unzipped folder is a model DIR.
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, randomArray } from '../../tests/unit/helpers';
import { tinyClassifier, tinyForecaster } from '../../tests/unit/model-fixtures';
import type { FixtureModel } from '../../tests/unit/model-fixtures';
import { initNodeBackend } from '../backend/node';
import { main } from '../cli/main';
import { loadModelDir } from '../io/model-dir';
import { bundleLayersLoader } from './loader-node';
import { TFJS_LOADER_FILE, exportTfjs } from './tfjs';
import { zipFiles } from './zip';

// What a user writes: stock tfjs, our loader, the files read by hand (tfjs has no file:// in Node).
const STOCK_SCRIPT = `
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import './${TFJS_LOADER_FILE}';
const { modelTopology, weightsManifest } = JSON.parse(readFileSync('model.json', 'utf8'));
const weightData = new Uint8Array(readFileSync('weights.bin')).buffer;
const weightSpecs = weightsManifest.flatMap((g) => g.weights);
const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }));
const { shape, values } = JSON.parse(readFileSync('input.json', 'utf8'));
const y = model.predict(tf.tensor(values, shape));
writeFileSync('output.json', JSON.stringify({ backend: tf.getBackend(), values: Array.from(y.dataSync()) }));
`;

let work: string;
beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'heracles-tfjs-export-'));
  // The unzipped folder resolves '@tensorflow/tfjs' like a user's project would: from its node_modules.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'), 'dir');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Exports, zips and unzips into a fresh folder; returns it and the zip's entry names. */
async function exportAndUnzip(f: FixtureModel, name: string): Promise<{ dir: string; entries: string[] }> {
  const files = await exportTfjs(f.model, f, await bundleLayersLoader());
  const dir = path.join(work, name);
  mkdirSync(dir);
  const unzipped = unzipSync(zipFiles(files));
  for (const [file, bytes] of Object.entries(unzipped)) writeFileSync(path.join(dir, file), bytes);
  return { dir, entries: Object.keys(unzipped) };
}

function predictIn(model: tf.LayersModel, x: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each([
  ['heracles-tiny', () => tinyClassifier(3)],
  ['heracles-ts', () => tinyForecaster(3)],
])('tfjs export of %s', (name, make) => {
  let f: FixtureModel;
  let dir: string;
  let entries: string[];
  beforeAll(async () => {
    // The stock script has only tfjs's cpu backend; compare on the same backend for bit equality.
    await initNodeBackend('cpu');
    f = make();
    ({ dir, entries } = await exportAndUnzip(f, name));
  });
  afterAll(() => f.model.dispose());

  it('holds the model, the loader, the document, data and run files', () => {
    expect(entries.sort()).toEqual(
      [
        'README.md',
        'data.json',
        'document.heracles.json',
        TFJS_LOADER_FILE,
        'model.json',
        'run.json',
        'weights.bin',
      ].sort(),
    );
    const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');
    expect(readme).toContain(TFJS_LOADER_FILE);
    expect(JSON.parse(readFileSync(path.join(dir, 'data.json'), 'utf8'))).toEqual(f.data);
    expect(JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')).metrics).toEqual(f.run.metrics);
    const loader = readFileSync(path.join(dir, TFJS_LOADER_FILE), 'utf8');
    // tfjs stays external: the loader registers on the user's instance instead of bundling its own.
    expect(loader).toMatch(/from "@tensorflow\/tfjs"/);
    expect(loader.length).toBeLessThan(200_000);
  });

  it('predicts identical numbers in a stock tfjs Node script', () => {
    const shape = [2, ...f.data.inputShape];
    const x = randomArray(
      shape.reduce((a, b) => a * b, 1),
      7,
    );
    writeFileSync(path.join(dir, 'input.json'), JSON.stringify({ shape, values: Array.from(x) }));
    writeFileSync(path.join(dir, 'predict.mjs'), STOCK_SCRIPT);
    execFileSync(process.execPath, ['predict.mjs'], { cwd: dir, stdio: 'pipe', timeout: 120_000 });
    const out = JSON.parse(readFileSync(path.join(dir, 'output.json'), 'utf8'));
    expect(out.backend).toBe('cpu');
    predictIn(f.model, x, shape); // the first call builds the layers' cached transform matrices
    const before = tf.memory().numTensors;
    const mine = predictIn(f.model, x, shape);
    expect(tf.memory().numTensors).toBe(before);
    expect(mine.some((v) => v !== 0)).toBe(true);
    // Same kernels on both sides: the numbers are bit-identical.
    expect(maxAbsDiff(out.values, mine)).toBe(0);
  });

  it('is a model DIR: loadModelDir and `heracles predict` read the unzipped folder', async () => {
    const loaded = await loadModelDir(dir);
    const shape = [1, ...f.data.inputShape];
    const x = randomArray(
      shape.reduce((a, b) => a * b, 1),
      11,
    );
    expect(maxAbsDiff(predictIn(loaded.model, x, shape), predictIn(f.model, x, shape))).toBe(0);
    loaded.model.dispose();
    const input = path.join(dir, 'one.json');
    writeFileSync(input, JSON.stringify(Array.from(x)));
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['predict', dir, '--input', input, '--json', '--backend', 'cpu'], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(JSON.parse(out[0]).task).toBe(f.data.task);
  });
});
