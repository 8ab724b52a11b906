/**
 * `heracles train / eval / predict` end to end on slices of the real data (written to a temp folder in the
 * real formats), through the real binary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { encode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATA_DIR, haveData, missingReason } from '../../runtime/data/testing';
import { ROOT } from './helpers';

function heracles(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/heracles.js'), ...args], {
    encoding: 'utf8',
    cwd: ROOT,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** First `n` records of an IDX file, as a raw IDX file. */
function idxSlice(file: string, n: number): Buffer {
  const b = gunzipSync(readFileSync(file));
  const dims = b[3];
  const header = Buffer.from(b.subarray(0, 4 + 4 * dims));
  header.writeUInt32BE(n, 4);
  const per = dims === 3 ? b.readUInt32BE(8) * b.readUInt32BE(12) : 1;
  return Buffer.concat([header, b.subarray(4 + 4 * dims, 4 + 4 * dims + n * per)]);
}

const tmp = mkdtempSync(path.join(tmpdir(), 'heracles-cli-'));
const images = path.join(tmp, 'fashion');
const csv = path.join(tmp, 'transformer-slice.csv');

beforeAll(() => {
  if (haveData('fashion-mnist')) {
    mkdirSync(images, { recursive: true });
    const src = (f: string) => path.join(DATA_DIR, 'fashion-mnist', f);
    writeFileSync(
      path.join(images, 'train-images-idx3-ubyte'),
      idxSlice(src('train-images-idx3-ubyte.gz'), 1200),
    );
    writeFileSync(
      path.join(images, 'train-labels-idx1-ubyte'),
      idxSlice(src('train-labels-idx1-ubyte.gz'), 1200),
    );
    writeFileSync(
      path.join(images, 't10k-images-idx3-ubyte'),
      idxSlice(src('t10k-images-idx3-ubyte.gz'), 300),
    );
    writeFileSync(
      path.join(images, 't10k-labels-idx1-ubyte'),
      idxSlice(src('t10k-labels-idx1-ubyte.gz'), 300),
    );
  }
  if (haveData('ett')) {
    const lines = readFileSync(path.join(DATA_DIR, 'ett/ETTh1.csv'), 'utf8').split('\n');
    writeFileSync(csv, lines.slice(0, 1601).join('\n') + '\n');
  }
});

describe('heracles train, eval and predict', () => {
  it('refuses to train without --data, with a clear message', () => {
    const r = heracles('train', 'heracles-s');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--data is required/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it.skipIf(!haveData('fashion-mnist'))(
    `trains an image model on Fashion-MNIST IDX files, evaluates and predicts${missingReason('fashion-mnist')}`,
    () => {
      const out = path.join(tmp, 'img-run');
      const doc = path.join(ROOT, 'tests/fixtures/small-image.heracles.json');
      const r = heracles(
        'train',
        doc,
        '--data',
        images,
        '--epochs',
        '1',
        '--batch-size',
        '50',
        '--lr',
        '0.003',
        '--out',
        out,
        '--json',
      );
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.out);
      expect(summary.stop).toBe('completed');
      for (const f of [
        'model.json',
        'weights.bin',
        'document.heracles.json',
        'data.json',
        'run.json',
        'checkpoint/checkpoint.json',
      ])
        expect(existsSync(path.join(out, f)), f).toBe(true);
      const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
      expect(run.history).toHaveLength(1);
      expect(JSON.parse(readFileSync(path.join(out, 'data.json'), 'utf8')).classNames[9]).toBe('Ankle boot');

      const ev = heracles('eval', out, '--data', images, '--json');
      expect(ev.code).toBe(0);
      const j = JSON.parse(ev.out);
      expect(j).toMatchObject({ task: 'classification', split: 'test' });
      expect(j.metrics.accuracy).toBeCloseTo(summary.metrics.test.accuracy, 6);
      expect(j.metrics.accuracy).toBeGreaterThan(0.2); // above chance (0.1) after one short epoch

      // An image file and a JSON array both predict.
      const png = path.join(tmp, 'one.png');
      const pixels = idxSlice(path.join(DATA_DIR, 'fashion-mnist/t10k-images-idx3-ubyte.gz'), 1).subarray(16);
      writeFileSync(png, encode({ width: 28, height: 28, data: new Uint8Array(pixels), channels: 1 }));
      const p = heracles('predict', out, '--input', png, '--json');
      expect(p.code).toBe(0);
      const pred = JSON.parse(p.out).predictions[0];
      expect(pred.probabilities).toHaveLength(10);
      const arr = path.join(tmp, 'one.json');
      writeFileSync(arr, JSON.stringify(Array.from(pixels, (v) => v / 255)));
      const q = JSON.parse(heracles('predict', out, '--input', arr, '--json').out).predictions[0];
      expect(q.class).toBe(pred.class);
      q.probabilities.forEach((v: number, i: number) => expect(v).toBeCloseTo(pred.probabilities[i], 5));

      // Resume continues from the checkpoint to the new epoch count (here on two threads).
      const again = heracles(
        'train',
        '--resume',
        out,
        '--data',
        images,
        '--epochs',
        '2',
        '--threads',
        '2',
        '--json',
      );
      expect(again.err).toBe('');
      expect(again.code).toBe(0);
      const resumed = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
      expect(resumed.history.map((h: { epoch: number }) => h.epoch)).toEqual([1, 2]);
      expect(resumed.config.threads).toBe(2);
      expect(resumed.history[1].trainLoss).toBeLessThan(resumed.history[0].trainLoss);

      // A folder that exists is never overwritten.
      const refused = heracles('train', doc, '--data', images, '--out', out);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(/exists and is not empty/);

      // A model folder with its weights missing is named as such.
      rmSync(path.join(out, 'weights.bin'));
      const broken = heracles('eval', out, '--data', images);
      expect(broken.code).toBe(2);
      expect(broken.err).toMatch(/weights\.bin.*missing/);
    },
  );

  it.skipIf(!haveData('ett'))(
    `trains a forecaster on a slice of ETTh1 and forecasts a CSV window${missingReason('ett')}`,
    () => {
      const out = path.join(tmp, 'ts-run');
      const r = heracles(
        'train',
        'heracles-ts',
        '--data',
        csv,
        '--epochs',
        '1',
        '--lookback',
        '48',
        '--horizon',
        '24',
        '--out',
        out,
        '--json',
      );
      expect(r.code).toBe(0);
      const s = JSON.parse(r.out);
      expect(s.task).toBe('forecasting');
      expect(s.metrics.test.mse).toBeGreaterThan(0);
      expect(s.metrics.test.mse).toBeLessThan(5);
      const ev = JSON.parse(heracles('eval', out, '--data', csv, '--json').out);
      expect(Object.keys(ev.metrics)).toEqual(
        expect.arrayContaining(['mse', 'mae', 'perStep', 'perChannel']),
      );
      expect(ev.metrics.perStep.mse).toHaveLength(24);
      const window = path.join(tmp, 'window.csv');
      writeFileSync(window, readFileSync(csv, 'utf8').split('\n').slice(0, 49).join('\n'));
      const p = heracles('predict', out, '--input', window, '--json');
      expect(p.code).toBe(0);
      const f = JSON.parse(p.out);
      expect(f.columns).toHaveLength(7);
      expect(f.forecast).toHaveLength(24);
      // In the data's units (OT is oil temperature, tens of degrees), not standardised.
      expect(Math.abs(f.forecast[0][6])).toBeGreaterThan(1);
    },
  );

  it('says which file is wrong when the data is bad', () => {
    const bad = path.join(tmp, 'bad.csv');
    writeFileSync(bad, 'date,a,b\n2020-01-01,1,2\n2020-01-02,x,3\n');
    const r = heracles('train', 'heracles-ts', '--data', bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.csv.*row 3.*"a"/);
    const wrongKind = heracles('train', 'heracles-tiny', '--data', bad);
    expect(wrongKind.code).toBe(2);
  });
});
