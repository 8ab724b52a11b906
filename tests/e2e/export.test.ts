/**
 * From the notebook, a model trained in the browser exports to tfjs, ONNX and PyTorch, and each file, loaded
 * elsewhere (stock tfjs in Node, onnxruntime-node, Debian's PyTorch), predicts the same numbers.
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
import { CURRENT_SCHEMA_VERSION } from '../../runtime/document/schema';
import { loadModelDir } from '../../runtime/io/model-dir';
import { maxAbsDiff, predictWithTorch, torchMissing } from '../../runtime/export/pytorch/testing';
import { randomArray } from '../unit/helpers';
import { launchBrowser, openPage } from './browser.ts';

/** A small but complete Heracles: patches → Heracles mixer (Hartley + local conv) → attention → head. */
const doc = {
  schemaVersion: CURRENT_SCHEMA_VERSION,
  metadata: { name: 'Export check' },
  task: { kind: 'classification', inputShape: [28, 28, 1], classes: 6 },
  training: { epochs: 1, batchSize: 128, learningRate: 0.005, seed: 5 },
  nodes: [
    { id: 'input', type: 'Input', params: { shape: [28, 28, 1] } },
    { id: 'embed', type: 'PatchEmbed', params: { patchSize: 4, dim: 16 } },
    { id: 'block', type: 'HeraclesBlock', params: { mixer: 'ssm', mlpRatio: 2 } },
    { id: 'attn', type: 'HeraclesBlock', params: { mixer: 'attention', heads: 2, mlpRatio: 2 } },
    { id: 'head', type: 'ClassifierHead', params: { classes: 6 } },
    { id: 'output', type: 'Output' },
  ],
  edges: ['input', 'embed', 'block', 'attn', 'head', 'output']
    .slice(1)
    .map((t, i, a) => ({ id: `e${i}`, source: i ? a[i - 1] : 'input', target: t })),
};

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

  it('a model trained in the notebook exports to tfjs, ONNX and PyTorch with the same predictions', async () => {
    const { page, errors, context } = await openPage(browser, '/');
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.locator('[data-testid="editor"][data-ready="true"]').waitFor();
    await page.getByTestId('open-file').setInputFiles({
      name: 'export.heracles.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(doc)),
    });
    await page.locator('[data-testid="doc-name"]', { hasText: 'Export check' }).waitFor();
    await page.getByTestId('view-notebook').click();

    // Data cell → demo shapes; train cell → one epoch on wasm; export cell → three downloads.
    await page.getByTestId('lab-cell-data').getByRole('button', { name: 'Shapes (images)' }).click();
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
        { timeout: 150_000, interval: 500 },
      )
      .toBe('completed');
    const exporter = page.getByTestId('lab-cell-export');
    await exporter.getByTestId('export-tfjs').waitFor();
    const tfjsZip = await download(page, 'export-tfjs');
    const onnxBytes = await download(page, 'export-onnx');
    const torchZip = await download(page, 'export-pytorch');
    expect(errors).toEqual([]);
    await context.close();

    // tfjs: the unzipped folder loads like any model folder.
    const tfjsDir = path.join(dir, 'tfjs');
    await writeAll(tfjsDir, unzipSync(tfjsZip));
    const { model } = await loadModelDir(tfjsDir);
    const x = randomArray(3 * 28 * 28, 11).map((v) => Math.abs(v) % 1);
    const want = tf.tidy(() => (model.predict(tf.tensor(x, [3, 28, 28, 1])) as tf.Tensor).dataSync().slice());

    // ONNX in onnxruntime.
    const session = await ort.InferenceSession.create(onnxBytes);
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [3, 28, 28, 1]) });
    const onnxY = out[session.outputNames[0]].data as Float32Array;
    expect(maxAbsDiff(onnxY, want)).toBeLessThan(1e-4);

    // PyTorch with Debian's torch (CI installs python3-torch).
    const missing = torchMissing();
    if (missing && !process.env.CI) {
      console.warn(`PyTorch check skipped: ${missing}`);
      return;
    }
    const torchDir = path.join(dir, 'pytorch');
    await writeAll(torchDir, unzipSync(torchZip));
    const [y] = predictWithTorch(torchDir, [{ values: x, shape: [3, 28, 28, 1] }]);
    expect(y.shape).toEqual([3, 6]);
    expect(maxAbsDiff(y.values, want)).toBeLessThan(1e-4);
  });
});
