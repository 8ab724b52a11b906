/**
 * train.py of the PyTorch export reads data exactly as `heracles train` does: the same splits, windows and
 * standardised values for CSV series (generated, and ETTh1 when ../shared/data has it), the same
 * train/val/test images from IDX files; and it trains a classifier from an IDX folder. Needs a Python
 * with torch (see pytorch.test.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain, randomArray } from '../../../tests/unit/helpers';
import { initNodeBackend } from '../../backend/node';
import { parseSeriesCsv, seriesWindows, windowBatch } from '../../data/csv';
import { loadIdxSplits } from '../../data/idx';
import { DATA_DIR, haveData, missingReason } from '../../data/testing';
import { compileDocument } from '../../graph/compile';
import { exportPytorch } from './index';
import { maxAbsDiff, python, torchMissing, writeExport } from './testing';

const missing = torchMissing();
const withTorch = missing && !process.env.CI ? describe.skip : describe;

let tmp = '';
let exported = '';
beforeAll(async () => {
  await initNodeBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'heracles-pytorch-data-'));
  // A small image classifier: the folder's train.py is what the tests run.
  const doc = chain(
    [
      { id: 'in', type: 'Input', params: { shape: [8, 8, 1] } },
      { id: 'patch', type: 'PatchEmbed', params: { patchSize: 2, dim: 16 } },
      { id: 'mix', type: 'HeraclesMixer', params: { transform: 'dht2d' } },
      { id: 'head', type: 'ClassifierHead', params: { classes: 3 } },
      { id: 'out', type: 'Output' },
    ],
    { kind: 'classification', inputShape: [8, 8, 1], classes: 3 },
  );
  doc.training = { ...doc.training, epochs: 3, batchSize: 16, learningRate: 3e-3, seed: 1 };
  const { model } = compileDocument(doc);
  exported = path.join(tmp, 'export');
  writeExport(
    exported,
    exportPytorch(model, {
      document: doc,
      data: { task: 'classification', source: 'test', inputShape: [8, 8, 1] },
    }),
  );
  model.dispose();
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Imports the exported train.py, runs `code` (which prints one JSON line) and returns what it printed. */
function readWithTrainPy(code: string): unknown {
  const script = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(exported)})`,
    'import train',
    code,
  ].join('\n');
  const r = python(['-c', script], { timeoutMs: 60_000 });
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

interface SplitWindows {
  count: number;
  first: [number[], number[]];
  last: [number[], number[]];
}

function expectSameWindows(file: string, bytes: Uint8Array, lookback: number, horizon: number) {
  const set = parseSeriesCsv(bytes, file);
  const got = readWithTrainPy(
    [
      `train.INPUT_SHAPES = [[${lookback}, ${set.channels}]]`,
      `train.OUTPUT_SHAPES = [[${horizon}, ${set.channels}]]`,
      `sets = train.load_series(${JSON.stringify(file)}, None)`,
      'def flat(t): return t.flatten().tolist()',
      'print(json.dumps({s: {"count": len(w), "first": [flat(x) for x in w[0]], "last": [flat(x) for x in w[len(w) - 1]]} for s, w in sets.items()}))',
    ].join('\n'),
  ) as Record<string, SplitWindows>;
  for (const split of ['train', 'val', 'test'] as const) {
    const { count } = seriesWindows(set, split, lookback, horizon);
    expect(got[split].count, `${split} windows`).toBe(count);
    const w = windowBatch(set, split, lookback, horizon, [0, count - 1]);
    const n = lookback * set.channels;
    const m = horizon * set.channels;
    expect(maxAbsDiff(got[split].first[0], w.x.subarray(0, n)), `${split} first x`).toBeLessThan(1e-5);
    expect(maxAbsDiff(got[split].first[1], w.y.subarray(0, m)), `${split} first y`).toBeLessThan(1e-5);
    expect(maxAbsDiff(got[split].last[0], w.x.subarray(n)), `${split} last x`).toBeLessThan(1e-5);
    expect(maxAbsDiff(got[split].last[1], w.y.subarray(m)), `${split} last y`).toBeLessThan(1e-5);
  }
}

/** An IDX file: big-endian magic and dimensions, then one byte per value; gzipped. */
function idx(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([head, data]));
}

/** Images of 3 classes (a bright row, column or diagonal) with noise, and their labels. */
function imageSet(count: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const r = randomArray(count * 64, seed);
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let k = 0; k < count; k++) {
    const c = k % 3;
    labels[k] = c;
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 8; j++) {
        const on = c === 0 ? i === 3 : c === 1 ? j === 4 : i === j;
        images[k * 64 + i * 8 + j] = Math.round((on ? 200 : 30) + 25 * r[k * 64 + i * 8 + j]);
      }
  }
  return { images, labels };
}

withTorch('train.py reads data like heracles train', () => {
  it('a generated CSV series: splits, windows and standardised values', () => {
    const rows = 500;
    const r = randomArray(rows * 2, 3);
    const lines = ['timestamp;a;b'];
    for (let i = 0; i < rows; i++)
      lines.push(`${i};${(5 + Math.sin(i / 7) + r[2 * i]).toFixed(5)};${(100 * r[2 * i + 1]).toFixed(3)}`);
    const file = path.join(tmp, 'series.csv');
    writeFileSync(file, lines.join('\r\n'));
    expectSameWindows(file, readFileSync(file), 24, 6);
  }, 60_000);

  it(`ETTh1 with the standard ETT borders${missingReason('ett/ETTh1.csv')}`, () => {
    if (!haveData('ett/ETTh1.csv')) return;
    const file = path.join(DATA_DIR, 'ett/ETTh1.csv');
    expectSameWindows(file, readFileSync(file), 96, 96);
  }, 60_000);

  it('IDX files: the same train / val / test images, and a classifier trains on them', () => {
    const folder = path.join(tmp, 'idx');
    mkdirSync(folder, { recursive: true });
    const train = imageSet(300, 5);
    const test = imageSet(60, 6);
    writeFileSync(path.join(folder, 'train-images-idx3-ubyte.gz'), idx(0x803, [300, 8, 8], train.images));
    writeFileSync(path.join(folder, 'train-labels-idx1-ubyte.gz'), idx(0x801, [300], train.labels));
    writeFileSync(path.join(folder, 't10k-images-idx3-ubyte.gz'), idx(0x803, [60, 8, 8], test.images));
    writeFileSync(path.join(folder, 't10k-labels-idx1-ubyte.gz'), idx(0x801, [60], test.labels));

    const ours = loadIdxSplits(
      [
        'train-images-idx3-ubyte.gz',
        'train-labels-idx1-ubyte.gz',
        't10k-images-idx3-ubyte.gz',
        't10k-labels-idx1-ubyte.gz',
      ].map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(folder, name))) })),
    );
    const got = readWithTrainPy(
      [
        `sets = train.load_idx(${JSON.stringify(folder)}, 3)`,
        'print(json.dumps({s: {"count": len(d), "x": d[0][0].flatten().tolist(), "y": int(d[0][1])} for s, d in sets.items()}))',
      ].join('\n'),
    ) as Record<string, { count: number; x: number[]; y: number }>;
    for (const split of ['train', 'val', 'test'] as const) {
      const set = ours[split];
      expect(got[split].count, split).toBe(set.count);
      expect(got[split].y, `${split} first label`).toBe(set.labels[0]);
      const pixels = Float32Array.from(set.pixels.subarray(0, 64), (v) => v / 255);
      expect(maxAbsDiff(got[split].x, pixels), `${split} first image`).toBe(0);
    }

    const out = path.join(tmp, 'idx-trained');
    const r = python([path.join(exported, 'train.py'), '--data', folder, '--out', out], {
      timeoutMs: 60_000,
    });
    const epochs = r.stdout
      .split('\n')
      .filter((l) => l.includes('"trainLoss"'))
      .map((l) => JSON.parse(l) as { trainLoss: number; val: { accuracy: number; top5: number } });
    expect(epochs).toHaveLength(3);
    expect(epochs[2].trainLoss).toBeLessThan(epochs[0].trainLoss);
    for (const e of epochs) {
      expect(e.val.accuracy).toBeGreaterThanOrEqual(0);
      expect(e.val.accuracy).toBeLessThanOrEqual(1);
      expect(e.val.top5).toBe(1); // 3 classes: the true one is always among the top 5
    }
    const history = JSON.parse(readFileSync(path.join(out, 'history.json'), 'utf8'));
    expect(history.test.accuracy).toBeGreaterThan(0.5); // three easy patterns
  }, 90_000);

  it('a label beyond the model’s classes is refused with the file and the sample', () => {
    const folder = path.join(tmp, 'idx-bad');
    mkdirSync(folder, { recursive: true });
    const train = imageSet(30, 7);
    train.labels[4] = 7;
    writeFileSync(path.join(folder, 'train-images-idx3-ubyte.gz'), idx(0x803, [30, 8, 8], train.images));
    writeFileSync(path.join(folder, 'train-labels-idx1-ubyte.gz'), idx(0x801, [30], train.labels));
    writeFileSync(path.join(folder, 't10k-images-idx3-ubyte.gz'), idx(0x803, [30, 8, 8], train.images));
    writeFileSync(path.join(folder, 't10k-labels-idx1-ubyte.gz'), idx(0x801, [30], train.labels));
    const r = python([path.join(exported, 'train.py'), '--data', folder], { allowFailure: true });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('train label 4 is 7, the model has 3 classes');
  }, 60_000);
});
