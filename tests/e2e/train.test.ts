/**
 * Training in the studio, end to end in Debian Chromium: the worker, the backends (WebGPU is SwiftShader
 * here, so the model is tiny), the Train panel's controls and charts, checkpoints in IndexedDB and resume
 * after a reload, and the main thread's long tasks while training.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURRENT_SCHEMA_VERSION } from '../../runtime/document/schema';
import { launchBrowser, openPage } from './browser.ts';
import { ROOT } from './serve.ts';

/** Input 28×28×1 → patches 4×4 (7×7×16) → Hartley SSM → classifier (6 shapes): ~2k parameters. */
const tinyDoc = (training: Record<string, unknown>) => ({
  schemaVersion: CURRENT_SCHEMA_VERSION,
  metadata: { name: 'Tiny shapes' },
  task: { kind: 'classification', inputShape: [28, 28, 1], classes: 6 },
  training: {
    optimizer: 'adamw',
    learningRate: 0.01,
    weightDecay: 0,
    batchSize: 128,
    schedule: 'constant',
    warmupEpochs: 0,
    labelSmoothing: 0,
    seed: 3,
    ...training,
  },
  nodes: [
    { id: 'input', type: 'Input', params: { shape: [28, 28, 1] }, position: { x: 0, y: 0 } },
    { id: 'embed', type: 'PatchEmbed', params: { patchSize: 4, dim: 16 }, position: { x: 0, y: 120 } },
    { id: 'ssm', type: 'HartleySSM', params: {}, position: { x: 0, y: 240 } },
    { id: 'head', type: 'ClassifierHead', params: { classes: 6 }, position: { x: 0, y: 360 } },
    { id: 'output', type: 'Output', params: {}, position: { x: 0, y: 480 } },
  ],
  edges: [
    { id: 'e1', source: 'input', target: 'embed' },
    { id: 'e2', source: 'embed', target: 'ssm' },
    { id: 'e3', source: 'ssm', target: 'head' },
    { id: 'e4', source: 'head', target: 'output' },
  ],
});

interface LabView {
  phase: string;
  step: number;
  epoch: number;
  checkpoints: number;
  status?: string;
  message?: string;
  losses: number[];
  epochs: { epoch: number; trainLoss: number; valLoss?: number; val?: Record<string, number> }[];
  checkpointEpoch: number;
  backend?: string;
}

/** The lab's state as plain data (the page exposes the TrainState for tests as `__heraclesLab`). */
const lab = (page: Page): Promise<LabView> =>
  page.evaluate(() => {
    type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const session = (window as unknown as { __heraclesLab?: { train: Any } }).__heraclesLab;
    // The lab loads on demand (after a reload, once its panel opens): until then there is no session.
    if (!session)
      return {
        phase: 'absent',
        step: 0,
        epoch: 0,
        checkpoints: 0,
        losses: [],
        epochs: [],
        checkpointEpoch: 0,
      };
    const t = session.train;
    const p = t.progress;
    return {
      phase: t.phase,
      step: p ? (p.epoch - 1) * p.batches + p.batch : 0,
      epoch: p?.epoch ?? 0,
      checkpoints: t.checkpoints,
      status: t.run?.status,
      message: t.message?.text,
      losses: (t.curves.batchLoss[1] as number[]).slice(),
      epochs: JSON.parse(JSON.stringify(t.run?.epochs ?? [])),
      checkpointEpoch: t.run?.checkpointEpoch ?? 0,
      backend: t.report?.backend,
    };
  });

async function until(page: Page, what: string, test: (v: LabView) => boolean, timeoutMs = 90_000) {
  const end = Date.now() + timeoutMs;
  let v = await lab(page);
  while (!test(v)) {
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what}; lab: ${JSON.stringify({ ...v, losses: v.losses.length })}`,
      );
    await page.waitForTimeout(150);
    v = await lab(page);
  }
  return v;
}

async function openDoc(page: Page, doc: unknown) {
  await page.getByTestId('open-file').setInputFiles({
    name: 'tiny.heracles.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(doc)),
  });
  await page.locator('[data-testid="doc-name"]', { hasText: 'Tiny shapes' }).waitFor();
}

async function loadShapes(page: Page) {
  await openTab(page, 'data');
  await page.getByRole('button', { name: 'Shapes (images)' }).click();
  await page.getByTestId('data-summary').waitFor();
}

async function openTab(page: Page, tab: string) {
  const button = page.getByTestId(`dock-tab-${tab}`);
  if ((await button.getAttribute('aria-selected')) !== 'true') await button.click();
}

async function startOn(page: Page, backend: string) {
  await openTab(page, 'train');
  await page.getByTestId('backend-select').selectOption(backend);
  await page.getByTestId('start').click();
}

/** Records main-thread long tasks from the first script on (PerformanceObserver 'longtask'). */
const LONGTASKS = `
  window.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
`;

/** What went wrong in the page, less the loads a deliberate reload cuts short. */
const problems = (errors: string[]) => errors.filter((e) => !e.includes('net::ERR_ABORTED'));

describe('training in the studio', () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let webgpuLosses: number[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    const opened = await openPage(browser, '/');
    page = opened.page;
    errors = opened.errors;
    await page.addInitScript(LONGTASKS);
    await page.reload();
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.locator('[data-testid="editor"][data-ready="true"]').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('trains one epoch on WebGPU: the loss goes down, progress and charts render, the main thread stays free', async () => {
    await openDoc(page, tinyDoc({ epochs: 1 }));
    await loadShapes(page);
    const t0 = await page.evaluate(() => performance.now());
    await startOn(page, 'webgpu');
    await until(page, 'the first steps', (v) => v.step > 0);
    const done = await until(
      page,
      'the run to finish',
      (v) => v.phase === 'idle' && !!v.status && v.status !== 'running',
    );
    const t1 = await page.evaluate(() => performance.now());
    expect(done.status, done.message).toBe('completed');
    expect(done.backend).toBe('webgpu');
    await expect(page.getByTestId('backend-line').textContent()).resolves.toMatch(
      /WebGPU · .+ · \d+(\.\d)? m?s\/step/,
    );
    webgpuLosses = done.losses.slice(0, 5);
    const n = done.losses.length;
    expect(n).toBe(17); // 2100 training images / 128
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(done.losses.slice(0, 5));
    const last = mean(done.losses.slice(-5));
    // 17 small steps: the loss drops ~6% and validation accuracy is well above chance (1/6).
    expect(last).toBeLessThan(first * 0.96);
    expect(done.epochs).toHaveLength(1);
    expect(done.epochs[0].val?.accuracy).toBeGreaterThan(0.22);
    expect(done.checkpointEpoch).toBe(1);
    // The charts drew their points (uPlot canvases with data).
    await expect(page.getByTestId('chart-batch-loss').getAttribute('data-points')).resolves.toBe(String(n));
    expect(await page.locator('[data-testid="chart-batch-loss"] canvas').count()).toBe(1);
    await expect(page.getByTestId('progress').getAttribute('data-epoch')).resolves.toBe('1');
    const longest = await page.evaluate(
      ([from, to]) =>
        Math.max(
          0,
          ...(window as unknown as { __longtasks: { start: number; duration: number }[] }).__longtasks
            .filter((e) => e.start >= from && e.start <= to)
            .map((e) => e.duration),
        ),
      [t0, t1],
    );
    console.log(`longest main-thread task while training on webgpu: ${longest.toFixed(0)} ms (${n} steps)`);
    expect(longest).toBeLessThan(300);
    expect(problems(errors)).toEqual([]);
  });

  it('gives the same first losses on wasm as on WebGPU for the same seed', async () => {
    expect(webgpuLosses).toHaveLength(5);
    await startOn(page, 'wasm');
    // On wasm the epoch takes well under a second: let it finish, then compare its first steps.
    const v = await until(
      page,
      'the wasm run',
      (x) => x.phase === 'idle' && x.status === 'completed' && x.backend === 'wasm',
    );
    const diffs = v.losses.slice(0, 5).map((loss, i) => Math.abs(loss - webgpuLosses[i]));
    console.log(
      `first losses webgpu ${webgpuLosses.map((x) => x.toFixed(5))} wasm ${v.losses.slice(0, 5).map((x) => x.toFixed(5))}`,
    );
    expect(Math.max(...diffs)).toBeLessThan(2e-3);
    // The studio's wasm runs the fused SIMD kernels (GELU, LayerNorm, Adam, the matrix products), as Node
    // does, with fused multiply-adds (Chromium has relaxed SIMD).
    await expect(page.getByTestId('backend-line').textContent()).resolves.toMatch(
      /fused SIMD kernels \(FMA\)/,
    );
  });

  it('pauses and resumes; after a reload mid-training it resumes from the checkpoint', async () => {
    // Small batches make each epoch a few hundred steps, so the run is still going when it is reloaded.
    await openDoc(page, tinyDoc({ epochs: 4, batchSize: 16 }));
    await startOn(page, 'wasm');
    await until(page, 'a few steps', (v) => v.phase === 'training' && v.step >= 3);
    await page.getByTestId('pause').click();
    await until(page, 'the pause', (v) => v.phase === 'paused');
    await page.waitForTimeout(500); // the step in flight when Pause arrived may still land
    const paused = (await lab(page)).step;
    await page.waitForTimeout(1500);
    expect((await lab(page)).step).toBe(paused);
    // Resume by the keyboard shortcut (Ctrl+Enter: Start, Pause or Resume).
    await page.getByTestId('resume').waitFor();
    await page.keyboard.press('Control+Enter');
    await until(page, 'progress after resume', (v) => v.phase === 'training' && v.step > paused + 2);

    // Once the first epoch's checkpoint is stored, pause (so the run cannot end first) and reload.
    await until(page, 'the first checkpoint', (v) => v.checkpointEpoch >= 1);
    await page.getByTestId('pause').click();
    await until(page, 'the second pause', (v) => v.phase === 'paused');
    const before = await lab(page);
    expect(before.status).toBe('running');
    await page.reload();
    await page.locator('[data-testid="editor"][data-ready="true"]').waitFor();
    const offer = page.getByTestId('resume-offer');
    await offer.waitFor();
    await expect(offer.textContent()).resolves.toMatch(/interrupted after epoch [123]\s+of\s+4/);
    await page.getByTestId('resume-offer-accept').click();
    // No wait for phase 'training' in between: two wasm epochs can finish between two polls.
    const resumed = await until(
      page,
      'the resumed run to finish',
      (v) => v.phase === 'idle' && v.status === 'completed',
      240_000, // Auto times each backend again before resuming
    );
    // The epochs before the reload come from the checkpoint; training went on from there.
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(resumed.epochs[0].trainLoss).toBeCloseTo(before.epochs[0].trainLoss, 6);
    // Auto timed every backend that starts here and says which won.
    await expect(page.getByTestId('backend-line').textContent()).resolves.toMatch(/fastest of .*wasm/);

    // Export: a tfjs zip with the model, its weights, the layers loader and the run.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    const zip = unzipSync(new Uint8Array(await readFile(await download.path())));
    const files = Object.keys(zip);
    expect(files).toEqual(
      expect.arrayContaining([
        'model.json',
        'weights.bin',
        'heracles-layers.js',
        'document.heracles.json',
        'data.json',
        'run.json',
      ]),
    );
    expect(download.suggestedFilename()).toBe('Tiny-shapes-tfjs.zip');
    // Unzipped, the command line loads it and predicts one of the demo's classes.
    const dir = await mkdtemp(path.join(tmpdir(), 'heracles-export-'));
    try {
      for (const [name, bytes] of Object.entries(zip)) await writeFile(path.join(dir, name), bytes);
      await writeFile(path.join(dir, 'sample.json'), JSON.stringify(new Array(28 * 28).fill(0.5)));
      const out = execFileSync(
        process.execPath,
        ['bin/heracles.js', 'predict', dir, '--input', path.join(dir, 'sample.json'), '--json'],
        { cwd: ROOT, encoding: 'utf8' },
      );
      const label = JSON.parse(out).predictions[0].label;
      expect(['circle', 'square', 'triangle', 'cross', 'ring', 'bar']).toContain(label);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    await openTab(page, 'runs');
    await page.locator('[data-testid="run-row"][data-status="completed"]').first().waitFor();
    expect(problems(errors)).toEqual([]);
  }, 360_000); // two passes of Auto's backend timing, three short epochs, an export
});
