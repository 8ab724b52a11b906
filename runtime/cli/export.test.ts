/** `heracles export`: the tfjs path end to end, dispatch to ONNX/PyTorch, and every bad-input path. */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../tests/unit/helpers';
import { tinyClassifier } from '../../tests/unit/model-fixtures';
import { initNodeBackend } from '../backend/node';
import { ExportError } from '../export/errors';
import { saveModel } from '../io/model-dir';
import { EXPORTERS, exportCommand } from './export';
import type { Exporter, ExportFormat } from './export';
import { main } from './main';

let work: string;
let modelDir: string;

beforeAll(async () => {
  await initNodeBackend('wasm');
  work = mkdtempSync(path.join(os.tmpdir(), 'heracles-export-cli-'));
  modelDir = path.join(work, 'model');
  const f = tinyClassifier(5);
  await saveModel(modelDir, f.model, f);
  f.model.dispose();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Files other than the ones we expect: a leftover temporary would show up here. */
const listing = (dir: string) => readdirSync(dir).sort();

describe('heracles export --format tfjs', () => {
  it('writes a zip holding the model folder, its loader and the same weights', async () => {
    const out = path.join(work, 'tiny.zip');
    const r = await run('export', modelDir, '--format', 'tfjs', '--out', out, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ format: 'tfjs', out });
    const files = unzipSync(new Uint8Array(readFileSync(out)));
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining(['model.json', 'weights.bin', 'heracles-layers.js']),
    );
    expect(Buffer.from(files['weights.bin']).equals(readFileSync(path.join(modelDir, 'weights.bin')))).toBe(
      true,
    );
    expect(listing(work)).toEqual(['model', 'tiny.zip']);
    rmSync(out);
  });

  it('defaults --out to <DIR>-tfjs.zip', async () => {
    const r = await run('export', modelDir, '--format', 'tfjs');
    expect(r.code).toBe(0);
    expect(r.out).toContain('model-tfjs.zip');
    expect(existsSync(path.join(work, 'model-tfjs.zip'))).toBe(true);
    rmSync(path.join(work, 'model-tfjs.zip'));
  });
});

describe('heracles export: bad input exits 2 and writes nothing', () => {
  it.each([
    [
      ['export', 'MODEL', '--format', 'keras'],
      /unknown format "keras"; expected --format tfjs\|onnx\|pytorch/,
    ],
    [['export', 'MODEL'], /--format is required/],
    [['export', '--format', 'tfjs'], /expected one model folder/],
    [['export', 'WORK/nope', '--format', 'tfjs'], /nope: no such folder/],
    [
      ['export', 'MODEL', '--format', 'tfjs', '--out', 'WORK/missing/x.zip'],
      /the folder .*missing does not exist/,
    ],
    [
      ['export', 'MODEL', '--format', 'tfjs', '--out', 'WORK/model'],
      /is a folder; the tfjs export is one file/,
    ],
  ])('%j', async (args, message) => {
    const r = await run(...args.map((a) => a.replace('MODEL', modelDir).replace('WORK', work)));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(listing(work)).toEqual(['model']);
  });

  /** A copy of the model folder with one file changed. */
  function broken(name: string, change: (dir: string) => void): string {
    const dir = path.join(work, name);
    mkdirSync(dir);
    for (const f of readdirSync(modelDir))
      writeFileSync(path.join(dir, f), readFileSync(path.join(modelDir, f)));
    change(dir);
    return dir;
  }

  it.each([
    [
      'no-weights',
      (d: string) => rmSync(path.join(d, 'weights.bin')),
      /weights file "weights.bin" named in model.json is missing/,
    ],
    [
      'short-weights',
      (d: string) => writeFileSync(path.join(d, 'weights.bin'), new Uint8Array(100)),
      /weights are 100 bytes but model.json describes \d+/,
    ],
    [
      'bad-json',
      (d: string) => writeFileSync(path.join(d, 'model.json'), '{"modelTopology": '),
      /model.json: not valid JSON/,
    ],
    [
      'no-model',
      (d: string) => rmSync(path.join(d, 'model.json')),
      /not a trained model folder: model.json is missing/,
    ],
    [
      'bad-topology',
      (d: string) =>
        writeFileSync(
          path.join(d, 'model.json'),
          '{"modelTopology": {"class_name": "Nope"}, "weightsManifest": []}',
        ),
      /bad-topology: cannot load the model/,
    ],
  ])('a corrupt model folder (%s)', async (name, change, message) => {
    const dir = broken(name, change);
    const out = path.join(work, `${name}.zip`);
    const r = await run('export', dir, '--format', 'tfjs', '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(existsSync(out)).toBe(false);
    rmSync(dir, { recursive: true });
  });

  const failing =
    (e: Error): Exporter =>
    async () => {
      throw e;
    };
  const withExporter = (format: ExportFormat, exporter: Exporter) => ({ ...EXPORTERS, [format]: exporter });

  it('an ExportError names the block and leaves an existing --out untouched', async () => {
    const out = path.join(work, 'old.onnx');
    writeFileSync(out, 'the previous export');
    const error = new ExportError('no ONNX rule for layer class Foo', 'stage1/b0/mixer', 'use tfjs');
    await expect(
      exportCommand(
        { dir: modelDir, format: 'onnx', out, backend: 'wasm', json: false },
        { out: () => {}, err: () => {} },
        withExporter('onnx', failing(error)),
      ),
    ).rejects.toMatchObject({
      lines: [
        'heracles export: cannot export to onnx: stage1/b0/mixer: no ONNX rule for layer class Foo (use tfjs)',
        'Nothing was written.',
      ],
    });
    expect(readFileSync(out, 'utf8')).toBe('the previous export');
    expect(listing(work)).toEqual(['model', 'old.onnx']);
    rmSync(out);
  });

  it('a failure while writing a folder removes the temporary and creates no --out', async () => {
    const out = path.join(work, 'torch');
    const files = new Map<string, string>([
      ['model.py', '# ok'],
      ['../escape.py', '# must not be written'],
    ]);
    await expect(
      exportCommand(
        { dir: modelDir, format: 'pytorch', out, backend: 'wasm', json: false },
        { out: () => {}, err: () => {} },
        withExporter('pytorch', async () => ({ kind: 'folder', files })),
      ),
    ).rejects.toThrow(/leaves the folder/);
    expect(listing(work)).toEqual(['model']);
  });

  it('refuses a non-empty --out folder for PyTorch before exporting', async () => {
    const out = path.join(work, 'taken');
    mkdirSync(out);
    writeFileSync(path.join(out, 'keep.txt'), 'mine');
    const r = await run('export', modelDir, '--format', 'pytorch', '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/exists and is not empty; choose another --out \(nothing was overwritten\)/);
    expect(listing(out)).toEqual(['keep.txt']);
    rmSync(out, { recursive: true });
  });
});

// The ONNX and PyTorch exporters check their numbers in their own tests; here only the dispatch.
const has = (p: string) => existsSync(path.join(ROOT, 'runtime/export', p, 'index.ts'));

describe('heracles export dispatches to the ONNX and PyTorch exporters', () => {
  it.skipIf(!has('onnx'))('--format onnx writes one .onnx file', async () => {
    const out = path.join(work, 'tiny.onnx');
    const r = await run('export', modelDir, '--format', 'onnx', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(out).byteLength).toBeGreaterThan(1_000_000); // 1.4 M float32 parameters
    rmSync(out);
  });

  it.skipIf(!has('pytorch'))('--format pytorch writes a folder with model.py', async () => {
    const out = path.join(work, 'tiny-pytorch');
    const r = await run('export', modelDir, '--format', 'pytorch', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(out)).toContain('model.py');
    rmSync(out, { recursive: true });
  });
});
