/**
 * `heracles serve` on a real loopback socket: every route, each input format checked against the model
 * run in-process, and every kind of bad request answered with a 4xx `{ error, expected }` while the
 * server keeps answering /health.
 */
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, randomArray } from '../../tests/unit/helpers';
import {
  FIXTURE_CLASSES,
  FIXTURE_COLUMNS,
  tinyClassifier,
  tinyForecaster,
} from '../../tests/unit/model-fixtures';
import type { FixtureModel } from '../../tests/unit/model-fixtures';
import { initNodeBackend } from '../backend/node';
import { main } from '../cli/main';
import { imageToInput } from '../data/images';
import { loadModelDir, saveModel } from '../io/model-dir';
import type { LoadedModel } from '../io/model-dir';
import { createApp } from './app';
import { listen } from './listen';
import type { Listening } from './listen';

let work: string;
beforeAll(async () => {
  await initNodeBackend('wasm');
  work = mkdtempSync(path.join(os.tmpdir(), 'heracles-serve-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Saves the fixture as a model DIR and loads it back the way `heracles serve` does. */
async function modelDir(name: string, f: FixtureModel): Promise<{ dir: string; loaded: LoadedModel }> {
  const dir = path.join(work, name);
  await saveModel(dir, f.model, f);
  f.model.dispose();
  return { dir, loaded: await loadModelDir(dir) };
}

/** What the model says in-process, for comparison with the server. */
function direct(loaded: LoadedModel, values: Float32Array, count: number): Float32Array {
  return tf.tidy(
    () =>
      (
        loaded.model.predict(tf.tensor(values, [count, ...loaded.data.inputShape])) as tf.Tensor
      ).dataSync() as Float32Array,
  );
}

const softmax = (v: Float32Array) => {
  const m = Math.max(...v);
  const e = Array.from(v, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

async function expectClose(actual: number[], expected: number[], tol = 1e-5) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]), `index ${i}`).toBeLessThanOrEqual(tol));
}

/** A bad request: the status, and `{ error, expected }` whose error matches. Then /health still answers. */
async function expectRejected(server: Listening, res: Response, status: number, error: RegExp) {
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.error).toMatch(error);
  expect(typeof body.expected).toBe('string');
  expect(body.expected.length).toBeGreaterThan(5);
  const health = await fetch(`${server.url}/health`);
  expect(health.status).toBe(200);
}

describe('serving a classifier', () => {
  let loaded: LoadedModel;
  let server: Listening;
  const post = (body: BodyInit, type?: string) =>
    fetch(`${server.url}/predict`, { method: 'POST', body, headers: type ? { 'Content-Type': type } : {} });
  const json = (v: unknown) => post(JSON.stringify(v), 'application/json');
  const sample = (seed: number) => Array.from(randomArray(28 * 28, seed), (v) => (v + 1) / 2);
  const nested = (flat: number[]) =>
    Array.from({ length: 28 }, (_, y) => Array.from({ length: 28 }, (_, x) => [flat[y * 28 + x]]));

  beforeAll(async () => {
    ({ loaded } = await modelDir('classifier', tinyClassifier(2)));
    server = await listen(createApp(loaded, { bodyLimitBytes: 200_000, maxBatch: 8 }), 0, '127.0.0.1');
  });
  afterAll(async () => {
    await server.close();
    loaded.model.dispose();
  });

  it('GET /health', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', task: 'classification', inputShape: [28, 28, 1] });
  });

  it('GET / is a model card with the task, shape, classes, metrics and a curl example', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    for (const text of [
      'classification',
      '[28, 28, 1]',
      'Sneaker',
      'accuracy',
      '0.8125',
      `curl -s ${server.url}/predict`,
    ])
      expect(html).toContain(text);
  });

  it('POST /predict with one nested input gives the in-process probabilities', async () => {
    const x = sample(1);
    const res = await json({ inputs: nested(x) });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.classes).toEqual(FIXTURE_CLASSES);
    expect(body.predictions).toHaveLength(1);
    const want = softmax(direct(loaded, Float32Array.from(x), 1));
    await expectClose(body.predictions[0].probabilities, want);
    expect(body.predictions[0].index).toBe(want.indexOf(Math.max(...want)));
    expect(body.predictions[0].label).toBe(FIXTURE_CLASSES[body.predictions[0].index]);
  });

  it('POST /predict with a batch (nested or flat) answers one prediction per input', async () => {
    const xs = [sample(2), sample(3), sample(4)];
    const want = direct(loaded, Float32Array.from(xs.flat()), 3);
    for (const inputs of [xs.map(nested), xs.flat()]) {
      const body = await (await json({ inputs })).json();
      expect(body.predictions).toHaveLength(3);
      for (let n = 0; n < 3; n++)
        await expectClose(body.predictions[n].probabilities, softmax(want.subarray(n * 10, n * 10 + 10)));
    }
  });

  it('POST /predict with PNG bytes resizes and scales like training', async () => {
    const pixels = Uint8Array.from({ length: 56 * 40 }, (_, i) => (i * 37) % 256);
    const png = new Uint8Array(encodePng({ width: 40, height: 56, data: pixels, channels: 1, depth: 8 }));
    const res = await post(png, 'image/png');
    expect(res.status).toBe(200);
    const body = await res.json();
    const x = Float32Array.from(imageToInput(png, 'x.png', [28, 28, 1]), (v) => v / 255);
    await expectClose(body.predictions[0].probabilities, softmax(direct(loaded, x, 1)));
  });

  it('keeps the tensor count flat over many requests', async () => {
    await json({ inputs: sample(5) }); // first call builds cached transform matrices
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) expect((await json({ inputs: sample(6 + i) })).status).toBe(200);
    await (await post('{oops', 'application/json')).json();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ['malformed JSON', () => post('{"inputs": [1, 2', 'application/json'), 400, /not valid JSON/],
    [
      'invalid UTF-8',
      () => post(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 'application/json'),
      400,
      /not valid JSON/,
    ],
    ['an empty body', () => post('', 'application/json'), 400, /body is empty/],
    ['no "inputs"', () => json({ input: [1] }), 400, /no "inputs" field/],
    ['a JSON array body', () => json([1, 2]), 400, /no "inputs" field/],
    ['empty inputs', () => json({ inputs: [] }), 400, /non-empty array/],
    [
      'a wrong shape',
      () => json({ inputs: Array(27).fill(Array(28).fill([0])) }),
      422,
      /shape \[27, 28, 1\]; the model takes \[28, 28, 1\]/,
    ],
    [
      'a ragged list',
      () => json({ inputs: [Array(28).fill([0]), Array(27).fill([0])] }),
      422,
      /inputs\[1\] has 27 entries, but inputs\[0\] has 28/,
    ],
    [
      'a string value',
      () => json({ inputs: [...Array(783).fill(0), 'x'] }),
      422,
      /inputs\[783\] is "x", not a finite number/,
    ],
    ['a null value', () => json({ inputs: [null, ...Array(783).fill(0)] }), 422, /inputs\[0\] is null/],
    [
      'a hostile nesting depth',
      () => post('{"inputs": ' + '['.repeat(90_000) + ']'.repeat(90_000) + '}', 'application/json'),
      422,
      /inputs\[0\]\[0\]\[0\]\[0\] is nested deeper than \[n, \.\.\.input shape\]/,
    ],
    [
      'a huge number',
      () => post(`{"inputs": [1e400${',0'.repeat(783)}]}`, 'application/json'),
      422,
      /inputs\[0\] is null, not a finite number/,
    ],
    [
      'a flat list of the wrong length',
      () => json({ inputs: Array(785).fill(0) }),
      422,
      /flat list of 785 numbers, not a whole number of inputs of shape \[28, 28, 1\] \(784 each\)/,
    ],
    [
      'too many inputs',
      () => json({ inputs: Array(784 * 9).fill(0) }),
      413,
      /9 inputs in one request; at most 8/,
    ],
    [
      'an oversized body',
      () => post(new Uint8Array(300_000).fill(32), 'application/json'),
      413,
      /larger than the limit of 200000 bytes/,
    ],
    [
      'an oversized chunked body (no Content-Length)',
      () =>
        fetch(`${server.url}/predict`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: new Blob([new Uint8Array(500_000).fill(32)]).stream(),
          duplex: 'half',
        } as RequestInit),
      413,
      /500000 bytes, larger than the limit of 200000 bytes/,
    ],
    ['text/plain', () => post('1,2,3', 'text/plain'), 415, /"text\/plain" is not accepted/],
    ['no Content-Type', () => post(new Uint8Array([1, 2, 3])), 415, /no Content-Type|is not accepted/],
    [
      'a CSV for an image model',
      () => post('a,b\n1,2', 'text/csv'),
      415,
      /"text\/csv" is not accepted by this classification model/,
    ],
    [
      'bytes that are not an image',
      () => post(new Uint8Array([1, 2, 3, 4, 5]), 'image/png'),
      422,
      /not a PNG or JPEG image .* starts with 01 02 03 04/,
    ],
    [
      'a truncated PNG',
      () =>
        post(
          new Uint8Array(
            encodePng({ width: 8, height: 8, data: new Uint8Array(64), channels: 1, depth: 8 }),
          ).subarray(0, 40),
          'image/png',
        ),
      422,
      /./,
    ],
    ['GET /predict', () => fetch(`${server.url}/predict`), 405, /GET is not allowed on \/predict/],
    ['an unknown route', () => fetch(`${server.url}/nope`), 404, /no route GET \/nope/],
  ])('rejects %s with a 4xx and keeps serving', async (_, send, status, error) => {
    await expectRejected(server, await send(), status, error);
  });
});

describe('serving a forecaster', () => {
  let loaded: LoadedModel;
  let server: Listening;
  const lookback = 32;
  const post = (body: string, type: string) =>
    fetch(`${server.url}/predict`, { method: 'POST', body, headers: { 'Content-Type': type } });
  // A window in original units: 40 rows (more than the lookback), columns in another order plus a date.
  const rows = Array.from({ length: 40 }, (_, t) => ({
    date: `2026-01-01 ${String(t % 24).padStart(2, '0')}:00`,
    OT: 30 + 4 * Math.sin(t / 5),
    HUFL: 10 + 2 * Math.cos(t / 3),
    HULL: -2 + 0.5 * Math.sin(t / 7),
  }));
  const csv = (rs = rows, header = 'date,OT,HUFL,HULL') =>
    [header, ...rs.map((r) => `${r.date},${r.OT},${r.HUFL},${r.HULL}`)].join('\n') + '\n';
  const window = rows.slice(-lookback).map((r) => FIXTURE_COLUMNS.map((c) => r[c as 'OT']));

  beforeAll(async () => {
    ({ loaded } = await modelDir('forecaster', tinyForecaster(4, lookback, 8)));
    server = await listen(createApp(loaded), 0, '127.0.0.1');
  });
  afterAll(async () => {
    await server.close();
    loaded.model.dispose();
  });

  it('POST /predict with a CSV window forecasts in original units', async () => {
    const res = await post(csv(), 'text/csv');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ task: 'forecasting', columns: FIXTURE_COLUMNS, horizon: 8 });
    expect(body.forecast).toHaveLength(8);
    const { mean, std } = loaded.data as { mean: number[]; std: number[] };
    const x = Float32Array.from(window.flatMap((r) => r.map((v, c) => (v - mean[c]) / std[c])));
    const want = Array.from(direct(loaded, x, 1), (v, i) => v * std[i % 3] + mean[i % 3]);
    await expectClose(body.forecast.flat(), want, 1e-4);
    // The same window as JSON gives the same forecast, as a list of one.
    const j = await (await post(JSON.stringify({ inputs: window }), 'application/json')).json();
    expect(j.forecasts).toHaveLength(1);
    await expectClose(j.forecasts[0].flat(), body.forecast.flat(), 1e-6);
  });

  it('GET / names the horizon and the columns', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    expect(html).toContain('Forecasts 8 steps of HUFL, HULL, OT from the last 32 steps');
    expect(html).toContain('mse');
  });

  it.each([
    [
      'a missing column',
      () => post(csv(rows, 'date,OT,HUFL,HULX'), 'text/csv'),
      422,
      /lacks the column HULL/,
    ],
    [
      'too few rows',
      () => post(csv(rows.slice(0, 10)), 'text/csv'),
      422,
      /has 10 data rows; the model needs the last 32/,
    ],
    [
      'a text cell',
      () => post(csv().replace(/\n2026-01-01 10:00,[^,]+,/, '\n2026-01-01 10:00,n/a,'), 'text/csv'),
      422,
      /row \d+, column "OT": expected a number, got "n\/a"/,
    ],
    [
      'a window of the wrong length',
      () => post(JSON.stringify({ inputs: window.slice(1) }), 'application/json'),
      422,
      /shape \[31, 3\]; the model takes \[32, 3\]/,
    ],
    [
      'an image for a series model',
      () => post('x', 'image/png'),
      415,
      /"image\/png" is not accepted by this forecasting model/,
    ],
  ])('rejects %s', async (_, send, status, error) => {
    await expectRejected(server, await send(), status, error);
  });
});

describe('unexpected failures', () => {
  it('answer 500 JSON and the app keeps answering', async () => {
    const f = tinyClassifier(9);
    const errors: unknown[] = [];
    const app = createApp({ ...f, model: f.model }, { onError: (e) => errors.push(e) });
    f.model.dispose(); // every prediction now fails inside tfjs
    const res = await app.request('/predict', {
      method: 'POST',
      body: JSON.stringify({ inputs: Array(784).fill(0) }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: expect.stringMatching(/failed/) });
    expect(errors).toHaveLength(1);
    expect((await app.request('/health')).status).toBe(200);
  });
});

describe('heracles serve (the command)', () => {
  async function run(...args: string[]) {
    const err: string[] = [];
    const code = await main(args, { out: () => {}, err: (l) => err.push(l) });
    return { code, err: err.join('\n') };
  }

  it('exits 2 for a folder without weights, a missing folder, or a bad port', async () => {
    const f = tinyClassifier(1);
    const dir = path.join(work, 'no-weights');
    await saveModel(dir, f.model, f);
    f.model.dispose();
    rmSync(path.join(dir, 'weights.bin'));
    let r = await run('serve', dir, '--port', '0');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/weights file "weights.bin" named in model.json is missing/);
    r = await run('serve', path.join(work, 'nothing'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no such folder/);
    r = await run('serve', dir, '--port', '70000');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--port expects a whole number from 0 to 65535, got "70000"/);
  });

  it('exits 2 when the port is taken', async () => {
    const f = tinyClassifier(1);
    const { dir, loaded } = await modelDir('port-taken', f);
    const other = await listen(createApp(loaded), 0, '127.0.0.1');
    const r = await run('serve', dir, '--port', String(other.port));
    await other.close();
    loaded.model.dispose();
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`port ${other.port} on 127.0.0.1 is in use; choose another --port`));
  });

  it('runs as a process, answers curl-like requests and stops on SIGTERM with exit 0', async () => {
    const dir = path.join(work, 'classifier'); // written by the first describe
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/heracles.js'), 'serve', dir, '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /at (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`serve exited early with ${code}`)));
    });
    expect((await (await fetch(`${url}/health`)).json()).status).toBe('ok');
    const bad = await fetch(`${url}/predict`, {
      method: 'POST',
      body: '{',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', resolve);
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });
});
