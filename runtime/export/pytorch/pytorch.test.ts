/**
 * The PyTorch export against real PyTorch: exported models give the tfjs outputs (max |diff| ≤ 1e-4) for
 * the presets and for graphs using every other layer class the blocks build; train.py trains under
 * torchrun (DDP, 2 processes) and alone, with loss curves that agree. Needs a Python with torch
 * (HERACLES_PYTHON, default /usr/bin/python3): skipped with the reason when missing, failed in CI.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain, mustLoad, preset, randomArray } from '../../../tests/unit/helpers';
import { initNodeBackend } from '../../backend/node';
import { adaptToData } from '../../document/adapt';
import type { HeraclesDocument } from '../../document/schema';
import { compileDocument } from '../../graph/compile';
import type { DataInfo } from '../../io/model-dir';
import { ExportError } from '../errors';
import { exportPytorch } from './index';
import { PYTHON, maxAbsDiff, predictWithTorch, python, torchMissing, writeExport } from './testing';
import type { WeightIndex } from './weights';

const missing = torchMissing();
if (missing && !process.env.CI) console.warn(`PyTorch export tests skipped: ${missing}`);
const withTorch = missing && !process.env.CI ? describe.skip : describe;

let tmp = '';
beforeAll(async () => {
  await initNodeBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'heracles-pytorch-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const product = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Seeded values for every weight, with positive BN variances and norm scales near 1. */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const values = model.weights.map((w, i) => {
    const r = randomArray(product(w.shape as number[]), seed + i);
    const name = w.originalName;
    const v = /moving_variance$/.test(name)
      ? r.map((x) => 0.5 + Math.abs(x))
      : /gamma$/.test(name)
        ? r.map((x) => 1 + 0.3 * x)
        : r.map((x) => 0.3 * x);
    return tf.tensor(v, w.shape as number[]);
  });
  model.setWeights(values);
  tf.dispose(values);
}

function dataInfo(doc: HeraclesDocument, inputShape: number[]): DataInfo {
  return { task: doc.task.kind, source: 'test', inputShape };
}

/** Exports `doc` (seeded random weights) and compares PyTorch's outputs with tfjs's on a batch of 3. */
function expectParity(doc: HeraclesDocument, name: string, seed = 1): void {
  const { model } = compileDocument(doc);
  try {
    randomizeWeights(model, seed);
    const shapes = model.inputs.map((i) => i.shape.slice(1) as number[]);
    const before = tf.memory().numTensors;
    const files = exportPytorch(model, { document: doc, data: dataInfo(doc, shapes[0]) });
    expect(tf.memory().numTensors).toBe(before);
    const dir = path.join(tmp, name);
    writeExport(dir, files);
    const inputs = shapes.map((s, i) => ({
      values: randomArray(3 * product(s), seed * 100 + i),
      shape: [3, ...s],
    }));
    const xs = inputs.map((x) => tf.tensor(x.values, x.shape));
    const ys = ([] as tf.Tensor[]).concat(model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor);
    const expected = ys.map((y) => ({ shape: y.shape, values: y.dataSync() as Float32Array }));
    tf.dispose([...xs, ...ys]);
    const got = predictWithTorch(dir, inputs);
    expect(got.map((g) => g.shape)).toEqual(expected.map((e) => e.shape));
    got.forEach((g, i) => {
      const scale = maxAbsDiff(expected[i].values, new Float32Array(expected[i].values.length));
      expect(scale, 'outputs are not all zero').toBeGreaterThan(1e-3);
      expect(maxAbsDiff(g.values, expected[i].values), `${name} output ${i}`).toBeLessThanOrEqual(1e-4);
    });
  } finally {
    model.dispose();
  }
}

describe('PyTorch export: needs a Python with torch', () => {
  it.runIf(Boolean(missing && process.env.CI))(`${PYTHON} imports torch (CI)`, () => {
    throw new Error(`CI needs PyTorch for the export tests: ${missing}`);
  });
  it('files and weight layouts (no Python needed)', () => {
    const doc = chain(
      [
        { id: 'in', type: 'Input', params: { shape: [4, 3] } },
        { id: 'fc', type: 'Dense', params: { units: 5 } },
        { id: 'head', type: 'ClassifierHead', params: { classes: 2, norm: false } },
        { id: 'out', type: 'Output' },
      ],
      { kind: 'classification', inputShape: [4, 3], classes: 2 },
    );
    const { model } = compileDocument(doc);
    randomizeWeights(model, 3);
    const files = exportPytorch(model, { document: doc, data: dataInfo(doc, [4, 3]) });
    expect([...files.keys()].sort()).toEqual(
      [
        'README.md',
        'data.json',
        'document.heracles.json',
        'model.py',
        'train.py',
        'weights.bin',
        'weights.json',
      ].sort(),
    );
    const index = JSON.parse(files.get('weights.json') as string) as WeightIndex;
    const kernel = index.weights.find((w) => w.key === 'fc.dense.weight');
    expect(kernel).toMatchObject({ name: 'fc/dense/kernel', shape: [5, 3] });
    const bin = files.get('weights.bin') as Uint8Array;
    const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    const tfKernel = model.getLayer('fc/dense').getWeights()[0].arraySync() as number[][];
    const off = (kernel?.offset ?? 0) / 4;
    // PyTorch's Linear weight is [out, in]: entry (o, i) is tfjs's kernel (i, o).
    for (let o = 0; o < 5; o++) for (let i = 0; i < 3; i++) expect(all[off + o * 3 + i]).toBe(tfKernel[i][o]);
    expect(bin.byteLength).toBe(4 * index.weights.reduce((n, w) => n + product(w.shape), 0));
    expect(files.get('model.py')).toContain('self.fc.dense = nn.Linear(3, 5, bias=True)');
    model.dispose();
  });

  it('an unsupported layer class is an ExportError naming the layer and class', () => {
    const x = tf.input({ shape: [4, 4, 2], name: 'input' });
    const y = tf.layers.batchNormalization({ name: 'stage1/bn' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: y });
    const doc = preset('heracles-tiny');
    expect(() => exportPytorch(model, { document: doc, data: dataInfo(doc, [4, 4, 2]) })).toThrowError(
      /stage1\/bn: layer class "BatchNormalization" has no PyTorch export/,
    );
    expect(() => exportPytorch(model, { document: doc, data: dataInfo(doc, [4, 4, 2]) })).toThrow(
      ExportError,
    );
    model.dispose();
  });

  it('a strided "same" convolution is refused with the layer named', () => {
    const x = tf.input({ shape: [8, 8, 2], name: 'input' });
    const y = tf.layers
      .conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', name: 'stem/conv' })
      .apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: y });
    const doc = preset('heracles-tiny');
    expect(() => exportPytorch(model, { document: doc, data: dataInfo(doc, [8, 8, 2]) })).toThrowError(
      /stem\/conv: padding "same" with strides \[2, 2\]/,
    );
    model.dispose();
  });
});

withTorch('PyTorch export matches tfjs', () => {
  it('heracles-tiny', () => expectParity(preset('heracles-tiny'), 'tiny'), 60_000);

  it('heracles-ts', () => expectParity(preset('heracles-ts'), 'ts', 2), 60_000);

  it('image tokens: BatchNorm, DCT / 1-D Hartley SSMs, local convs, mixers, row attention, class attention', () => {
    const task = { kind: 'classification', inputShape: [6, 8, 12], classes: 5 } as const;
    const doc = chain(
      [
        { id: 'in', type: 'Input', params: { shape: [6, 8, 12] } },
        { id: 'bn', type: 'BatchNorm' },
        { id: 'dct', type: 'HartleySSM', params: { transform: 'dct' } },
        { id: 'dht1d', type: 'HartleySSM', params: { transform: 'dht1d' } },
        { id: 'local', type: 'LocalConvSSM', params: { kernelSize: 5 } },
        { id: 'local-rows', type: 'LocalConvSSM', params: { kernelSize: 3, rows: true } },
        { id: 'mix', type: 'HeraclesMixer', params: { transform: 'dct', kernelSize: 3 } },
        { id: 'mix.rows', type: 'HeraclesMixer', params: { transform: 'dht1d', kernelSize: 5, rows: true } },
        { id: 'attn-rows', type: 'MultiHeadAttention', params: { heads: 2, rows: true } },
        { id: 'attn', type: 'MultiHeadAttention', params: { heads: 3 } },
        { id: 'act', type: 'Activation', params: { fn: 'swish' } },
        { id: 'fc', type: 'Dense', params: { units: 12, activation: 'tanh' } },
        { id: 'drop', type: 'Dropout', params: { rate: 0.3 } },
        { id: 'dp', type: 'DropPath', params: { rate: 0.2 } },
        { id: 'class', type: 'ClassAttention', params: { heads: 3, mlpRatio: 2 } },
        { id: 'head', type: 'ClassifierHead', params: { classes: 5 } },
        { id: 'out', type: 'Output' },
      ],
      { ...task, inputShape: [...task.inputShape] },
    );
    expectParity(doc, 'image-layers', 3);
  }, 60_000);

  it('sequences: mixed patches, 1-D downsample, 2-D/1-D Hartley, even kernel, max pool, softmax', () => {
    const doc = chain(
      [
        { id: 'in', type: 'Input', params: { shape: [24, 3] } },
        { id: 'patch', type: 'PatchEmbed', params: { patchSize: 4, stride: 2, dim: 8, norm: true } },
        { id: 'down', type: 'Downsample', params: { dim: 16 } },
        { id: 'ssm2d', type: 'HartleySSM', params: { transform: 'dht2d' } },
        { id: '2nd', type: 'HartleySSM', params: { transform: 'dht1d' } },
        { id: 'for', type: 'LocalConvSSM', params: { kernelSize: 4 } },
        { id: 'attn', type: 'MultiHeadAttention', params: { heads: 2 } },
        { id: 'bn', type: 'BatchNorm' },
        { id: 'pool', type: 'GlobalPool', params: { mode: 'max' } },
        { id: 'fc', type: 'Dense', params: { units: 6, activation: 'relu' } },
        { id: 'soft', type: 'Activation', params: { fn: 'softmax' } },
        { id: 'head', type: 'ClassifierHead', params: { classes: 4 } },
        { id: 'out', type: 'Output' },
      ],
      { kind: 'classification', inputShape: [24, 3], classes: 4 },
    );
    expectParity(doc, 'sequence-layers', 4);
  }, 60_000);

  it('branches: conv stem, Concat, Add, Reshape, average pool, Flatten; mixed forecast head with RevIN', () => {
    const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({ id, type, params });
    const edge = (source: string, target: string, targetHandle = 'in') => ({
      id: `${source}-${target}-${targetHandle}`,
      source,
      target,
      targetHandle,
    });
    const image = mustLoad({
      schemaVersion: 1,
      metadata: { name: 'branches "quoted" \\ name' },
      task: { kind: 'classification', inputShape: [12, 12, 3], classes: 3 },
      nodes: [
        node('in', 'Input', { shape: [12, 12, 3] }),
        node('stem', 'ConvStem', { dim: 8, width: 4, stride: 2 }),
        node('a', 'Dense', { units: 8, activation: 'gelu' }),
        node('b', 'HartleySSM', { transform: 'dht2d' }),
        node('cat', 'Concat'),
        node('c', 'Dense', { units: 16 }),
        node('sum', 'Add'),
        node('rows', 'Reshape', { targetShape: [-1, 16] }),
        node('pool', 'GlobalPool', { mode: 'avg' }),
        node('flat', 'Flatten'),
        node('head', 'ClassifierHead', { classes: 3 }),
        node('out', 'Output'),
      ],
      edges: [
        edge('in', 'stem'),
        edge('stem', 'a'),
        edge('stem', 'b'),
        edge('a', 'cat'),
        edge('b', 'cat'),
        edge('cat', 'c'),
        edge('cat', 'sum'),
        edge('c', 'sum'),
        edge('sum', 'rows'),
        edge('rows', 'pool'),
        edge('pool', 'flat'),
        edge('flat', 'head'),
        edge('head', 'out'),
      ],
    });
    expectParity(image, 'branches', 5);
    const series = mustLoad({
      schemaVersion: 1,
      metadata: { name: 'mixed forecast' },
      task: { kind: 'forecasting', lookback: 16, horizon: 4, channels: 2 },
      nodes: [
        node('in', 'Input', { shape: [16, 2] }),
        node('revin', 'RevIN'),
        node('patch', 'PatchEmbed', { patchSize: 4, dim: 8 }),
        node('blk', 'HeraclesBlock', { mixer: 'ssm', transform: 'dht1d', mlpRatio: 2 }),
        node('head', 'ForecastHead', { horizon: 4, channels: 2 }),
        node('denorm', 'RevINDenorm'),
        node('out', 'Output'),
      ],
      edges: [
        edge('in', 'revin'),
        edge('revin', 'patch'),
        edge('patch', 'blk'),
        edge('blk', 'head'),
        edge('head', 'denorm'),
        edge('in', 'denorm', 'reference'),
        edge('denorm', 'out'),
      ],
    });
    expectParity(series, 'mixed-forecast', 6);
  }, 60_000);

  it('frozen layers stay fixed in training: no gradients, BatchNorm on its running statistics', () => {
    const doc = preset('heracles-tiny');
    const { model } = compileDocument(doc);
    for (const name of ['stem/conv0', 'stem/bn0']) model.getLayer(name).trainable = false;
    const dir = path.join(tmp, 'frozen');
    writeExport(dir, exportPytorch(model, { document: doc, data: dataInfo(doc, [28, 28, 1]) }));
    model.dispose();
    const check = [
      'import sys, torch',
      `sys.path.insert(0, ${JSON.stringify(dir)})`,
      'from model import HeraclesModel',
      'm = HeraclesModel().train()',
      'before = m.stem.bn0.running_mean.clone()',
      'm(torch.rand(4, 28, 28, 1)).sum().backward()',
      'assert m.stem.conv0.weight.grad is None and m.stem.bn0.weight.grad is None, "frozen weights got gradients"',
      'assert m.stem.conv1.weight.grad is not None, "trainable weights got no gradient"',
      'assert torch.equal(before, m.stem.bn0.running_mean), "a frozen BatchNorm updated its statistics"',
      'assert not torch.equal(torch.zeros(16), m.stem.bn1.running_mean), "a trainable BatchNorm kept its statistics"',
    ].join('\n');
    python(['-c', check]);
  }, 60_000);

  it('load_weights names the weight and the file when weights.bin is short or weights.json disagrees', () => {
    const doc = chain(
      [
        { id: 'in', type: 'Input', params: { shape: [4, 3] } },
        { id: 'fc', type: 'Dense', params: { units: 5 } },
        { id: 'head', type: 'ClassifierHead', params: { classes: 2 } },
        { id: 'out', type: 'Output' },
      ],
      { kind: 'classification', inputShape: [4, 3], classes: 2 },
    );
    const { model } = compileDocument(doc);
    const files = exportPytorch(model, { document: doc, data: dataInfo(doc, [4, 3]) });
    model.dispose();
    const dir = path.join(tmp, 'broken');
    const load = () =>
      python(
        [
          '-c',
          `import sys; sys.path.insert(0, ${JSON.stringify(dir)}); import model as m; m.load_weights(m.HeraclesModel(), ${JSON.stringify(dir)})`,
        ],
        {
          allowFailure: true,
        },
      );
    const bin = files.get('weights.bin') as Uint8Array;
    writeExport(dir, new Map([...files, ['weights.bin', bin.subarray(0, bin.byteLength - 8)]]));
    let r = load();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /weights\.bin: 'head\.head\.bias' needs bytes \d+-\d+, but the file has \d+ bytes/,
    );
    const json = (files.get('weights.json') as string).replace('"shape":[5,3]', '"shape":[3,5]');
    writeExport(dir, new Map([...files, ['weights.json', json]]));
    r = load();
    expect(r.stderr).toContain("weights.json: 'fc.dense.weight' has shape [3, 5], the model expects [5, 3]");
  }, 60_000);

  it('model.py and train.py compile (py_compile)', () => {
    const doc = preset('heracles-tiny');
    const { model } = compileDocument(doc);
    const dir = path.join(tmp, 'compile');
    writeExport(dir, exportPytorch(model, { document: doc, data: dataInfo(doc, [28, 28, 1]) }));
    model.dispose();
    python(['-m', 'py_compile', path.join(dir, 'model.py'), path.join(dir, 'train.py')]);
  });
});

/** A real CSV series: a date column and 3 noisy periodic channels. */
function seriesCsv(rows: number): string {
  const r = randomArray(rows * 3, 11);
  const lines = ['date,load,temp,OT'];
  const t0 = Date.UTC(2020, 0, 1);
  for (let i = 0; i < rows; i++) {
    const date = new Date(t0 + i * 3_600_000).toISOString().replace('T', ' ').slice(0, 19);
    const a = 10 + 3 * Math.sin((2 * Math.PI * i) / 24) + 0.3 * r[3 * i];
    const b = 20 + 2 * Math.cos((2 * Math.PI * i) / 12) + 0.3 * r[3 * i + 1];
    const c = 0.5 * a + 0.2 * b + 0.3 * r[3 * i + 2];
    lines.push(`${date},${a.toFixed(4)},${b.toFixed(4)},${c.toFixed(4)}`);
  }
  return lines.join('\n') + '\n';
}

/** heracles-ts sized down: 3 series, lookback 32, horizon 8, width 16. */
function smallTs(): HeraclesDocument {
  const r = adaptToData(
    preset('heracles-ts'),
    { task: 'forecasting', channels: 3 },
    { lookback: 32, horizon: 8 },
  );
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('\n'));
  const doc = r.doc;
  for (const n of doc.nodes) {
    if (n.id === 'patch') Object.assign(n.params, { patchSize: 8, stride: 4, dim: 16 });
    if (n.type === 'Stage') Object.assign(n.params, { dim: 16, heads: 2, depth: 1 });
  }
  doc.training = { ...doc.training, epochs: 2, batchSize: 32, learningRate: 2e-3, warmupEpochs: 0, seed: 0 };
  doc.training.earlyStoppingPatience = 0;
  return doc;
}

const epochLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"trainLoss"'))
    .map((l) => JSON.parse(l) as { epoch: number; trainLoss: number; valLoss: number; val: { mse: number } });

/**
 * `torchrun` as a module of the same Python, on one node with a free port (the fixed port of `--standalone`
 * can be taken by another run). Debian's torch 1.13 under Python 3.11 parses the default `--redirects 0` /
 * `--tee 0` to None and crashes (`'NoneType' object has no attribute 'get'`); a mapping for a rank that
 * does not exist means "no redirection" on every version.
 */
async function torchrun(): Promise<string[]> {
  const port = await new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
  return [
    '-m',
    'torch.distributed.run',
    '--nnodes=1',
    '--master_addr=127.0.0.1',
    `--master_port=${port}`,
  ].concat(['--redirects', '9:0', '--tee', '9:0']);
}

withTorch('train.py', () => {
  it('trains under torchrun with 2 processes (DDP, gloo) and alone, with matching loss curves', async () => {
    const doc = smallTs();
    const { model } = compileDocument(doc);
    const dir = path.join(tmp, 'ddp');
    const files = exportPytorch(model, {
      document: doc,
      data: { ...dataInfo(doc, [32, 3]), columns: ['load', 'temp', 'OT'], lookback: 32, horizon: 8 },
    });
    model.dispose();
    writeExport(dir, files);
    const csv = path.join(dir, 'series.csv');
    writeFileSync(csv, seriesCsv(900));

    // Generous limits: other test files share the two cores with these processes.
    const one = python([path.join(dir, 'train.py'), '--data', csv, '--out', path.join(dir, 'one')], {
      timeoutMs: 180_000,
    });
    const two = python(
      [
        ...(await torchrun()),
        '--nproc_per_node=2',
        path.join(dir, 'train.py'),
        '--data',
        csv,
        '--out',
        path.join(dir, 'two'),
      ],
      { timeoutMs: 180_000 },
    );
    const a = epochLines(one.stdout);
    const b = epochLines(two.stdout);
    expect(a.map((e) => e.epoch)).toEqual([1, 2]);
    expect(
      b.map((e) => e.epoch),
      `only rank 0 logs\n${two.stdout}`,
    ).toEqual([1, 2]);
    for (const run of [a, b]) {
      expect(run.every((e) => Number.isFinite(e.trainLoss) && Number.isFinite(e.valLoss))).toBe(true);
      expect(run[1].trainLoss).toBeLessThan(run[0].trainLoss);
    }
    a.forEach((e, i) => {
      expect(Math.abs(b[i].trainLoss - e.trainLoss) / e.trainLoss, `epoch ${i + 1} train loss`).toBeLessThan(
        0.25,
      );
    });
    // The trained weights are saved in the export's format and load back into the model.
    for (const out of ['one', 'two']) {
      const index = JSON.parse(readFileSync(path.join(dir, out, 'weights.json'), 'utf8')) as WeightIndex;
      expect(index.weights.length).toBe(
        (JSON.parse(files.get('weights.json') as string) as WeightIndex).weights.length,
      );
      const history = JSON.parse(readFileSync(path.join(dir, out, 'history.json'), 'utf8'));
      expect(history.processes).toBe(out === 'one' ? 1 : 2);
      expect(Number.isFinite(history.test.mse)).toBe(true);
    }
    const [y] = predictWithTorch(
      dir,
      [{ values: randomArray(32 * 3, 5), shape: [1, 32, 3] }],
      path.join(dir, 'two'),
    );
    expect(y.shape).toEqual([1, 8, 3]);
    expect(y.values.every((v) => Number.isFinite(v))).toBe(true);
  }, 400_000);

  it('a process group that never shuts down does not hold the job: train.py leaves after its limit', () => {
    // The export from the test above; its teardown is made to hang as destroy_process_group() sometimes does.
    const dir = path.join(tmp, 'ddp');
    const code = [
      'import time, train',
      'train.dist.barrier = lambda: None',
      'train.dist.destroy_process_group = lambda: time.sleep(600)',
      'train.shut_down(1, 0, limit=1)',
      'print("not reached")',
    ].join('\n');
    const started = performance.now();
    const r = python(['-c', code], { cwd: dir, timeoutMs: 60_000, allowFailure: true });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('not reached');
    expect(r.stderr).toContain('process 1: the process group did not shut down within 1 s');
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('bad data ends with exit code 2 and names the row and column', () => {
    const dir = path.join(tmp, 'ddp');
    const csv = path.join(dir, 'bad.csv');
    writeFileSync(csv, seriesCsv(900).replace(/\n(2020-01-02 03:00:00),[^,]+,/, '\n$1,n/a,'));
    const r = python([path.join(dir, 'train.py'), '--data', csv, '--out', path.join(dir, 'bad')], {
      allowFailure: true,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad\.csv: row 29, column 'load'/);
  }, 60_000);
});
