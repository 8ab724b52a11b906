/**
 * The Data and Evaluate panels end to end in Debian Chromium: uploads through the real file input (a slice
 * of ETTh1, a slice of Fashion-MNIST written as real IDX files), the preview, every bad-input case with its
 * message (data, document and runs untouched), then a short run and its evaluation: the forecast plot, the
 * confusion matrix and the samples behind a cell, and the inside view.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { encode as encodePng } from 'fast-png';
import { zipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_DIR, haveData, missingReason } from '../../runtime/data/testing';
import { CURRENT_SCHEMA_VERSION } from '../../runtime/document/schema';
import { launchBrowser, openPage } from './browser.ts';

const ETT = path.join(DATA_DIR, 'ett/ETTh1.csv');
const FASHION = path.join(DATA_DIR, 'fashion-mnist');

const training = {
  optimizer: 'adamw',
  learningRate: 0.01,
  weightDecay: 0,
  epochs: 1,
  batchSize: 32,
  schedule: 'constant',
  warmupEpochs: 0,
  labelSmoothing: 0,
  seed: 1,
};

/** A tiny forecaster: Input [48, 7] → Hartley SSM → forecast head [12, 7]. */
const forecastDoc = {
  schemaVersion: CURRENT_SCHEMA_VERSION,
  metadata: { name: 'Tiny forecaster' },
  task: { kind: 'forecasting', lookback: 48, horizon: 12, channels: 7 },
  training,
  nodes: [
    { id: 'input', type: 'Input', params: { shape: [48, 7] }, position: { x: 0, y: 0 } },
    { id: 'ssm', type: 'HartleySSM', params: {}, position: { x: 0, y: 120 } },
    { id: 'head', type: 'ForecastHead', params: { horizon: 12, channels: 7 }, position: { x: 0, y: 240 } },
    { id: 'output', type: 'Output', params: {}, position: { x: 0, y: 360 } },
  ],
  edges: [
    { id: 'e1', source: 'input', target: 'ssm' },
    { id: 'e2', source: 'ssm', target: 'head' },
    { id: 'e3', source: 'head', target: 'output' },
  ],
};

/** A tiny image classifier: 28×28×1 → patches 4×4 → Hartley SSM → attention → 10 classes. */
const imageDoc = {
  schemaVersion: CURRENT_SCHEMA_VERSION,
  metadata: { name: 'Tiny fashion' },
  task: { kind: 'classification', inputShape: [28, 28, 1], classes: 10 },
  training,
  nodes: [
    { id: 'input', type: 'Input', params: { shape: [28, 28, 1] }, position: { x: 0, y: 0 } },
    { id: 'embed', type: 'PatchEmbed', params: { patchSize: 4, dim: 16 }, position: { x: 0, y: 120 } },
    { id: 'ssm', type: 'HartleySSM', params: {}, position: { x: 0, y: 240 } },
    { id: 'attn', type: 'MultiHeadAttention', params: { heads: 2 }, position: { x: 0, y: 360 } },
    { id: 'head', type: 'ClassifierHead', params: { classes: 10 }, position: { x: 0, y: 480 } },
    { id: 'output', type: 'Output', params: {}, position: { x: 0, y: 600 } },
  ],
  edges: [
    { id: 'e1', source: 'input', target: 'embed' },
    { id: 'e2', source: 'embed', target: 'ssm' },
    { id: 'e3', source: 'ssm', target: 'attn' },
    { id: 'e4', source: 'attn', target: 'head' },
    { id: 'e5', source: 'head', target: 'output' },
  ],
};

const docOf = (page: Page): Promise<string> =>
  page.evaluate(() => JSON.stringify((window as unknown as { __heraclesDoc: unknown }).__heraclesDoc));

async function openDoc(page: Page, doc: { metadata: { name: string }; [key: string]: unknown }) {
  await page.getByTestId('open-file').setInputFiles({
    name: 'doc.heracles.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(doc)),
  });
  await page.locator('[data-testid="doc-name"]', { hasText: doc.metadata.name }).waitFor();
}

/** Opens a dock tab (a click on the open tab would close it). */
async function showTab(page: Page, tab: string) {
  if ((await page.getByTestId('dock').getAttribute('data-tab')) !== tab)
    await page.getByTestId(`dock-tab-${tab}`).click();
}

/** The lab's run state, read through the handle the page exposes for tests. */
const runOf = (page: Page) =>
  page.evaluate(() => {
    type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const t = (window as unknown as { __heraclesLab: { train: Any } }).__heraclesLab.train;
    return {
      phase: t.phase as string,
      status: t.run?.status as string | undefined,
      message: t.message?.text,
    };
  });

async function trainShort(page: Page) {
  await showTab(page, 'train');
  await page.getByTestId('backend-select').selectOption('wasm');
  await page.getByTestId('start').click();
  const end = Date.now() + 90_000;
  let r = await runOf(page);
  while (!(r.phase === 'idle' && r.status && r.status !== 'running')) {
    if (Date.now() > end) throw new Error(`the run did not finish: ${JSON.stringify(r)}`);
    await page.waitForTimeout(200);
    r = await runOf(page);
  }
  expect(r.status, r.message).toBe('completed');
}

/** Writes the first `n` items of a gzipped IDX file as a plain IDX file (header count rewritten). */
function idxSlice(file: string, n: number, out: string) {
  const bytes = gunzipSync(readFileSync(file));
  const dims = bytes[3];
  const per = Array.from({ length: dims - 1 }, (_, i) => bytes.readUInt32BE(8 + 4 * i)).reduce(
    (a, b) => a * b,
    1,
  );
  const header = Buffer.from(bytes.subarray(0, 4 + 4 * dims));
  header.writeUInt32BE(n, 4);
  writeFileSync(out, Buffer.concat([header, bytes.subarray(4 + 4 * dims, 4 + 4 * dims + n * per)]));
}

const gray = (v: number) =>
  Buffer.from(encodePng({ width: 8, height: 8, data: new Uint8Array(64).fill(v), channels: 1, depth: 8 }));

describe('Data and Evaluate panels', () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'heracles-data-e2e-'));
    browser = await launchBrowser();
    const opened = await openPage(browser, '/');
    page = opened.page;
    errors = opened.errors;
    await page.setViewportSize({ width: 1400, height: 1100 });
    await page.locator('[data-testid="editor"][data-ready="true"]').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`uploads an ETTh1 slice: preview table and plot; bad input leaves data and document alone${missingReason('ett/ETTh1.csv')}`, async () => {
    if (!haveData('ett/ETTh1.csv')) return;
    await openDoc(page, forecastDoc);
    // Not named ETTh*: a 1,500-row slice cannot use the standard ETT borders, so it gets 70/10/20.
    const slice = path.join(dir, 'ett-slice.csv');
    writeFileSync(slice, readFileSync(ETT, 'utf8').split('\n').slice(0, 1501).join('\n'));
    await showTab(page, 'data');
    await page.getByTestId('data-file-input').setInputFiles(slice);
    await page.getByTestId('data-summary').waitFor();
    // The windows start from the document's task.
    await expect(page.getByTestId('data-lookback').inputValue()).resolves.toBe('48');
    await expect(page.getByTestId('data-horizon').inputValue()).resolves.toBe('12');
    await expect(page.getByTestId('data-summary').textContent()).resolves.toContain('1500 rows × 7 channels');
    const table = page.getByTestId('series-table');
    await expect(table.locator('th').allTextContents()).resolves.toEqual([
      'date',
      'HUFL',
      'HULL',
      'MUFL',
      'MULL',
      'LUFL',
      'LULL',
      'OT',
    ]);
    await expect(table.locator('tbody tr').first().textContent()).resolves.toContain('2016-07-01 00:00:00');
    await page.locator('[data-testid="series-plot"] canvas').first().waitFor();
    await expect(page.getByTestId('data-issues').count()).resolves.toBe(0);

    const doc = await docOf(page);
    const summary = await page.getByTestId('data-summary').textContent();
    const expectRefused = async (files: Parameters<Page['setInputFiles']>[1], ...parts: string[]) => {
      await page.getByTestId('data-file-input').setInputFiles(files);
      const error = page.locator('[data-testid="data-error"]', { hasText: parts[0] });
      await error.waitFor();
      const text = (await error.textContent()) ?? '';
      for (const p of parts) expect(text).toContain(p);
      // The earlier data and the document are untouched.
      await expect(page.getByTestId('data-summary').textContent()).resolves.toBe(summary);
      expect(await docOf(page)).toBe(doc);
    };

    // Text in a numeric column: the file, the row and the column.
    const rows = readFileSync(slice, 'utf8').split('\n');
    rows[5] = rows[5].replace(/,([^,]+),/, ',oops,');
    await expectRefused(
      { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) },
      'bad.csv',
      'row 6',
      'HUFL',
      'oops',
    );
    // IDX images and labels with different counts.
    const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    const images = (n: number) =>
      Buffer.from([...u32(0x803), ...u32(n), ...u32(4), ...u32(4), ...new Array(n * 16).fill(1)]);
    const labels = (n: number) =>
      Buffer.from([...u32(0x801), ...u32(n), ...Array.from({ length: n }, (_, i) => i % 2)]);
    await expectRefused(
      [
        { name: 'train-images-idx3-ubyte', mimeType: 'application/octet-stream', buffer: images(30) },
        { name: 'train-labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: labels(29) },
        { name: 't10k-images-idx3-ubyte', mimeType: 'application/octet-stream', buffer: images(4) },
        { name: 't10k-labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: labels(4) },
      ],
      'mismatched counts',
      '30 images',
      '29 labels',
    );
    // A zip with one class.
    const zip = Buffer.from(zipSync({ 'cats/cat/1.png': gray(10), 'cats/cat/2.png': gray(20) }));
    await expectRefused(
      { name: 'cats.zip', mimeType: 'application/zip', buffer: zip },
      'needs at least 2 classes',
    );
    // A 2 GB file, dropped: refused by its size before reading. A Blob of 2,048 references to one MiB
    // has the size without the memory.
    await page.evaluate(() => {
      const mib = new Blob([new Uint8Array(1024 * 1024)]);
      const file = new File(new Array(2048).fill(mib), 'huge.csv', { type: 'text/csv' });
      const dt = new DataTransfer();
      dt.items.add(file);
      const zone = document.querySelector('[data-testid="data-drop"]') as HTMLElement;
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.locator('[data-testid="data-error"]', { hasText: 'huge.csv' }).waitFor();
    await expect(page.getByTestId('data-error').textContent()).resolves.toMatch(
      /is 2048 MB, over the studio's limit of 512 MB/,
    );
    await expect(page.getByTestId('data-summary').textContent()).resolves.toBe(summary);
    expect(await docOf(page)).toBe(doc);
  });

  it(`trains briefly on the slice, then shows predicted vs actual and the per-step error${missingReason('ett/ETTh1.csv')}`, async () => {
    if (!haveData('ett/ETTh1.csv')) return;
    await trainShort(page);
    await showTab(page, 'evaluate');
    await page.getByTestId('evaluate-forecast').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('evaluate-forecast').textContent()).resolves.toMatch(
      /MSE \d+\.\d+ · MAE \d+\.\d+/,
    );
    await page.locator('[data-testid="forecast-plot"] canvas').first().waitFor();
    await page.locator('[data-testid="horizon-plot"] canvas').first().waitFor();
    // Another channel and window redraw the plot with that column's name.
    await page.getByTestId('forecast-channel').selectOption({ label: 'OT' });
    await page.getByTestId('forecast-window').fill('5');
    await page.locator('[data-testid="forecast-plot"] .u-legend', { hasText: 'predicted' }).waitFor();
    await page.locator('[data-testid="forecast-caption"]', { hasText: 'OT · window 5' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('a document whose input does not match the data: a plain message and a fix, undoable', async () => {
    await openDoc(page, {
      ...imageDoc,
      metadata: { name: 'Wrong size' },
      nodes: imageDoc.nodes.map((n) => (n.id === 'input' ? { ...n, params: { shape: [32, 32, 3] } } : n)),
      task: { ...imageDoc.task, inputShape: [32, 32, 3] },
    });
    const opened = await docOf(page);
    await showTab(page, 'data');
    await page.getByRole('button', { name: 'Shapes (images)' }).click();
    await page.locator('[data-testid="data-summary"]', { hasText: 'demo: shapes' }).waitFor();
    const issues = page.getByTestId('data-issues');
    await issues.waitFor();
    await expect(issues.textContent()).resolves.toContain(
      "Input node 'input' expects [32, 32, 3] but the data has 28×28×1 images — set the Input shape to [28, 28, 1]",
    );
    // Training refuses before it starts, with the same mismatch, and the document stays as it was.
    expect(await docOf(page)).toBe(opened);
    await showTab(page, 'train');
    await page.getByTestId('start').click();
    await page.locator('[data-testid="train-message"]', { hasText: 'does not fit the data' }).waitFor();
    await expect(page.getByTestId('train-message').textContent()).resolves.toContain(
      "the data has images [28, 28, 1] but the model's input is [32, 32, 3]",
    );
    expect(await docOf(page)).toBe(opened);
    await showTab(page, 'data');
    await page.getByTestId('data-fit').click();
    await expect(issues.count()).resolves.toBe(0);
    const fitted = JSON.parse(await docOf(page));
    expect(fitted.nodes.find((n: { id: string }) => n.id === 'input').params.shape).toEqual([28, 28, 1]);
    expect(fitted.task.classes).toBe(6);
    // The seed control regenerates the demo set.
    await page.getByTestId('data-seed').fill('2');
    await page.getByRole('button', { name: 'Apply split & seed' }).click();
    await page.locator('[data-testid="data-summary"]', { hasText: 'demo: shapes (seed 2)' }).waitFor();
    // One undo brings the document back as it was opened.
    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    expect(await docOf(page)).toBe(opened);
    await issues.waitFor();
  });

  it(`uploads Fashion-MNIST IDX files, trains briefly, shows the confusion matrix and a cell's samples${missingReason('fashion-mnist')}`, async () => {
    if (!haveData('fashion-mnist')) return;
    await openDoc(page, imageDoc);
    const files = [
      ['train-images-idx3-ubyte', 1200],
      ['train-labels-idx1-ubyte', 1200],
      ['t10k-images-idx3-ubyte', 200],
      ['t10k-labels-idx1-ubyte', 200],
    ] as const;
    for (const [name, n] of files) idxSlice(path.join(FASHION, `${name}.gz`), n, path.join(dir, name));
    await showTab(page, 'data');
    await page.getByTestId('data-file-input').setInputFiles(files.map(([name]) => path.join(dir, name)));
    await page.locator('[data-testid="data-summary"]', { hasText: '(IDX)' }).waitFor();
    await expect(page.getByTestId('data-summary').textContent()).resolves.toContain(
      '1400 images 28×28×1, 10 classes',
    );
    await expect(page.locator('[data-testid="data-images"] canvas').count()).resolves.toBeGreaterThan(10);
    // Plain IDX files carry no class names: the labels are the digits.
    await expect(page.getByTestId('data-images').textContent()).resolves.toContain('9');

    await trainShort(page);
    await showTab(page, 'evaluate');
    const matrix = page.getByTestId('confusion-matrix');
    await matrix.waitFor({ timeout: 30_000 });
    // The counts add up to the test split.
    const counts = (await matrix.locator('td').allTextContents()).map(Number);
    const headline = ((await page.getByTestId('evaluate-accuracy').textContent()) ?? '').replace(/\s+/g, ' ');
    expect(headline).toMatch(/Accuracy \d+\.\d% on 200 test samples · top-3/);
    expect(counts).toHaveLength(100);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(200);
    // Click the fullest cell: its samples appear, as many as the cell says (up to the shown limit).
    const best = counts.indexOf(Math.max(...counts));
    await page
      .getByTestId(`cm-cell-${Math.floor(best / 10)}-${best % 10}`)
      .locator('button')
      .click();
    await page.getByTestId('cell-samples').waitFor();
    await expect(page.locator('[data-testid="cell-images"] canvas').count()).resolves.toBe(
      Math.min(48, counts[best]),
    );
    await expect(page.getByTestId('per-class').locator('tbody tr').count()).resolves.toBe(10);

    // Inside the model: the Hartley SSM's filter, attention maps and an activation.
    await page.getByTestId('evaluate-inside-tab').click();
    await page.getByTestId('inside-node').selectOption('ssm');
    await page.locator('[data-testid="filter-map"] canvas').first().waitFor();
    await expect(page.locator('[data-testid="filter-map"]').count()).resolves.toBe(16);
    await page.getByTestId('inside-node').selectOption('attn');
    await page.locator('[data-testid="attention-map"] canvas').first().waitFor();
    await expect(page.locator('[data-testid="attention-map"]').count()).resolves.toBe(2);
    await page.locator('[data-testid="activation-map"] canvas').waitFor();

    // A bad upload now leaves the data, the runs and the evaluation as they were.
    await showTab(page, 'runs');
    await page.getByTestId('run-row').nth(1).waitFor(); // both runs of this file, loaded from IndexedDB
    const runs = await page.getByTestId('run-row').count();
    expect(runs).toBeGreaterThanOrEqual(2);
    await showTab(page, 'data');
    const summary = await page.getByTestId('data-summary').textContent();
    await page.getByTestId('data-file-input').setInputFiles({
      name: 'notes.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('a,b\n1,2\nthree,4\n'),
    });
    await page.locator('[data-testid="data-error"]', { hasText: 'notes.csv' }).waitFor();
    await expect(page.getByTestId('data-summary').textContent()).resolves.toBe(summary);
    await showTab(page, 'runs');
    await page
      .getByTestId('run-row')
      .nth(runs - 1)
      .waitFor(); // the list loads from IndexedDB
    await expect(page.getByTestId('run-row').count()).resolves.toBe(runs);
    await showTab(page, 'evaluate');
    await page.getByTestId('evaluate-inside-tab').waitFor();
    expect(errors).toEqual([]);
  });
});
