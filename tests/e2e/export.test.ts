/**
 * From the notebook, heracles-tiny and heracles-ts trained in the browser export to tfjs, ONNX and PyTorch,
 * and each file, loaded elsewhere (stock tfjs in Node, onnxruntime-node, Debian's PyTorch), predicts the
 * same numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../runtime/backend/node';
import { loadModelDir } from '../../runtime/io/model-dir';
import { maxAbsDiff, predictWithTorch, torchMissing } from '../../runtime/export/pytorch/testing';
import { randomArray } from '../unit/helpers';
import { launchBrowser, openPage } from './browser.ts';
import { ROOT } from './serve.ts';

type Doc = {
  metadata: { name: string };
  task: Record<string, unknown>;
  training: Record<string, unknown>;
  nodes: { id: string; type: string; params: Record<string, unknown> }[];
};

/** A preset as shipped, sized to a built-in demo set and trained for one epoch. */
async function preset(name: string, fit: (d: Doc) => void): Promise<Doc> {
  const doc = JSON.parse(
    await readFile(path.join(ROOT, 'templates', `${name}.heracles.json`), 'utf8'),
  ) as Doc;
  fit(doc);
  doc.training = { ...doc.training, epochs: 1, earlyStoppingPatience: 0 };
  return doc;
}
const node = (d: Doc, type: string) => d.nodes.find((n) => n.type === type) as Doc['nodes'][number];

async function download(page: Page, testid: string): Promise<Uint8Array> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
  return new Uint8Array(await readFile((await d.path()) as string));
}

async function writeAll(dir: string, files: Record<string, Uint8Array>) {
  for (const [name, bytes] of Object.entries(files)) {
    if (name.endsWith('/')) continue;
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), bytes);
  }
}

describe('export from the studio', () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let dir: string;
  beforeAll(async () => {
    browser = await launchBrowser();
    dir = await mkdtemp(path.join(tmpdir(), 'heracles-studio-export-'));
    await initNodeBackend('wasm');
  });
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Opens `doc`, loads a demo set, trains one epoch on wasm in the notebook, downloads the three exports. */
  async function trainAndExport(doc: Doc, demo: string) {
    const { page, errors, context } = await openPage(browser, '/');
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.locator('[data-testid="editor"][data-ready="true"]').waitFor();
    await page.getByTestId('open-file').setInputFiles({
      name: 'export.heracles.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(doc)),
    });
    await page.locator('[data-testid="doc-name"]', { hasText: doc.metadata.name }).waitFor();
    await page.getByTestId('view-notebook').click();

    // Data cell → a demo set; train cell → one epoch on wasm; export cell → three downloads.
    await page.getByTestId('lab-cell-data').getByRole('button', { name: demo }).click();
    await page.getByTestId('data-summary').waitFor();
    const train = page.getByTestId('lab-cell-train');
    await train.getByTestId('backend-select').selectOption('wasm');
    await train.getByTestId('start').click();
    await expect
      .poll(
        () =>
          page.evaluate(
            () =>
              (window as unknown as { __heraclesLab: { train: { run?: { status: string } } } }).__heraclesLab
                .train.run?.status,
          ),
        { timeout: 240_000, interval: 500 },
      )
      .toBe('completed');
    await page.getByTestId('lab-cell-export').getByTestId('export-tfjs').waitFor();
    const files = {
      tfjs: await download(page, 'export-tfjs'),
      onnx: await download(page, 'export-onnx'),
      pytorch: await download(page, 'export-pytorch'),
    };
    expect(errors).toEqual([]);
    await context.close();
    return files;
  }

  /** Each export, loaded elsewhere, predicts what the tfjs model predicts on the same inputs. */
  async function samePredictions(name: string, files: Awaited<ReturnType<typeof trainAndExport>>) {
    const tfjsDir = path.join(dir, `${name}-tfjs`);
    await writeAll(tfjsDir, unzipSync(files.tfjs));
    const { model } = await loadModelDir(tfjsDir);
    const shape = [3, ...(model.inputs[0].shape.slice(1) as number[])];
    const x = randomArray(
      shape.reduce((a, b) => a * b, 1),
      11,
    );
    const want = tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync().slice());
    model.dispose();

    const session = await ort.InferenceSession.create(files.onnx);
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, shape) });
    expect(maxAbsDiff(out[session.outputNames[0]].data as Float32Array, want)).toBeLessThan(1e-4);

    // PyTorch with Debian's torch (CI installs python3-torch).
    const missing = torchMissing();
    if (missing && !process.env.CI) {
      console.warn(`PyTorch check skipped: ${missing}`);
      return;
    }
    const torchDir = path.join(dir, `${name}-pytorch`);
    await writeAll(torchDir, unzipSync(files.pytorch));
    const [y] = predictWithTorch(torchDir, [{ values: x, shape }]);
    expect(maxAbsDiff(y.values, want)).toBeLessThan(1e-4);
  }

  it('heracles-tiny trained in the notebook exports to tfjs, ONNX and PyTorch with the same predictions', async () => {
    const doc = await preset('heracles-tiny', (d) => {
      // The shapes demo has 6 classes.
      d.task.classes = 6;
      node(d, 'ClassifierHead').params.classes = 6;
    });
    await samePredictions('tiny', await trainAndExport(doc, 'Shapes (images)'));
  });

  it('heracles-ts trained in the notebook exports to tfjs, ONNX and PyTorch with the same predictions', async () => {
    const doc = await preset('heracles-ts', (d) => {
      // The series demo has 4 channels.
      d.task.channels = 4;
      node(d, 'Input').params.shape = [96, 4];
      node(d, 'ForecastHead').params.channels = 4;
    });
    await samePredictions('ts', await trainAndExport(doc, 'Series (forecasting)'));
  });
});
